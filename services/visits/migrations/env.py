"""Alembic environment of the visits schema."""

from libs.common.migrations import run_env

run_env()

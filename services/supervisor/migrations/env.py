"""Alembic environment of the supervisor schema."""

from libs.common.migrations import run_env

run_env()

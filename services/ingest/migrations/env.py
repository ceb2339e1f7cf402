"""Alembic environment of the ingest schema."""

from libs.common.migrations import run_env

run_env()

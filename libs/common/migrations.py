"""Alembic migrations, one version table per service schema, run under an advisory lock."""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, pool, text

from libs.common.db import libpq_url


def sqlalchemy_url(url: str) -> str:
    """The psycopg 3 dialect URL for a libpq URL."""
    return "postgresql+psycopg://" + libpq_url(url).removeprefix("postgresql://")


def alembic_config(migrations_dir: Path, *, schema: str, database_url: str) -> Config:
    """An Alembic config for one service's migrations folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(migrations_dir: Path, *, schema: str, database_url: str, revision: str = "head") -> None:
    """Brings the service's schema to `revision`."""
    command.upgrade(alembic_config(migrations_dir, schema=schema, database_url=database_url), revision)


def run_env() -> None:
    """Body of every service's `migrations/env.py` (online mode only)."""
    cfg = context.config
    schema = cfg.attributes["schema"]
    engine = create_engine(cfg.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    # Replicas may start together; one migrates, the others wait and then find nothing to do.
    lock_key = zlib.crc32(f"v360-migrate-{schema}".encode())
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key})
        try:
            quoted = conn.dialect.identifier_preparer.quote_schema(schema)
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS " + quoted))
            conn.commit()
            context.configure(
                connection=conn,
                version_table="alembic_version",
                version_table_schema=schema,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
            conn.commit()
    engine.dispose()


def sql_file(migration_file: str, name: str) -> str:
    """Reads the `.sql` beside a migration module."""
    return (Path(migration_file).parent / name).read_text()

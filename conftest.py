"""Session fixtures: a real Postgres database and Redis, and the services over real gRPC."""

from __future__ import annotations

import os

# Tests fork child processes (devstack's ProcessGroup) while this process serves gRPC: with gRPC's fork
# handlers on, a child may print "epoll_ctl failed" between fork and exec. Set before grpc is imported.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

from collections.abc import AsyncIterator, Iterator

import pytest

from libs.common.telemetry import instrument
from tests.support.gateway import Api, running_gateway
from tests.support.servers import embedded_postgres, embedded_redis, fresh_database, migrate_all, scratch_dir
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """DATABASE_URL when set, else an embedded Postgres for this session."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    with scratch_dir("pg") as data_dir, embedded_postgres(data_dir) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set, else an embedded Redis for this session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with scratch_dir("redis") as data_dir, embedded_redis(data_dir) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database with every service's migrations applied, dropped after the session."""
    with fresh_database(postgres_server_url) as url:
        migrate_all(url)
        yield url


@pytest.fixture(scope="session")
async def stack(database_url: str, redis_url: str) -> AsyncIterator[Stack]:
    """ingest, visits and supervisor serving on loopback for the whole session."""
    # Instrumented before anything opens, as an exporting process would be: tests/observability reads spans.
    instrument()
    async with running_stack(database_url=database_url, redis_url=redis_url) as running:
        yield running


@pytest.fixture(scope="session")
async def api(stack: Stack) -> AsyncIterator[Api]:
    """The real gateway in front of the session stack."""
    async with running_gateway(stack) as running:
        yield running

"""What every fuzzed request must leave true: the database untouched by a refusal, no exception in any log.

Also the bridge that lets Hypothesis (synchronous, in a worker thread) drive calls on the session's event
loop, where the services and the gateway run in-process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from hypothesis import HealthCheck, Phase, settings
from psycopg import sql

from libs.common.db import libpq_url

T = TypeVar("T")
SCHEMAS = ("ingest", "visits", "supervisor")
# Deterministic in CI (no example database, a fixed seed), no per-example deadline (two shared cores),
# and no explain phase: a failure prints its request, which says more than Hypothesis' line hints.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)
SETTLE_SECONDS = 20.0

Group = tuple[str, str | None]
Snapshot = dict[Group, tuple[int, int]]


def _pending_work_query() -> str:
    # Work the services' own workers still owe the given tenants: outbox rows due by now (ingest's hand-offs to
    # visits, visits' changes, supervisor's timeline appends and provider sends; a visit's reminders are due
    # later) and sandbox deliveries still ticking towards `read`.
    return """
        SELECT (SELECT count(*) FROM ingest.outbox WHERE status = 'pending' AND tenant = ANY(%(t)s))
             + (SELECT count(*) FROM visits.outbox
                 WHERE status = 'pending' AND not_before <= now() AND tenant = ANY(%(t)s))
             + (SELECT count(*) FROM supervisor.outbox WHERE status = 'pending' AND tenant = ANY(%(t)s))
             + (SELECT count(*) FROM supervisor.outbound_messages
                 WHERE provider = 'sandbox' AND status NOT IN ('read', 'failed') AND tenant = ANY(%(t)s))
    """


# A refused request must change neither the row count nor the newest row version (max xmin) of any table,
# per tenant. Rows of tenants other tests made before the ledger opened are not compared: their outbox
# relays, delivery jobs and sandbox ticks may write at any moment, and no fuzzed request acts for them.
# Everything else is: the fuzz tenants, rows of no tenant (dead letters), any tenant that appears later.
# `settle` waits until the workers owe the fuzz tenants nothing, so between two snapshots taken after it
# only the request in between can have written.
@dataclass
class Ledger:
    """Per table of the services' schemas and per tenant: the row count and the newest row version."""

    conn: psycopg.AsyncConnection[Any]
    query: sql.Composed
    foreign: frozenset[str]
    tables: tuple[str, ...] = field(default=())

    @classmethod
    async def open(cls, database_url: str, *, fuzz_tenants: Iterable[str]) -> Ledger:
        """Connects and lists every table of the three schemas with the column naming its tenant."""
        conn = await psycopg.AsyncConnection.connect(libpq_url(database_url), autocommit=True)
        rows = await (
            await conn.execute(
                """
                SELECT t.table_schema, t.table_name,
                       (SELECT c.column_name FROM information_schema.columns c
                         WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
                           AND c.column_name IN ('tenant', 'slug')
                         ORDER BY c.column_name = 'tenant' DESC LIMIT 1)
                  FROM information_schema.tables t
                 WHERE t.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'
                 ORDER BY 1, 2
                """,
                (list(SCHEMAS),),
            )
        ).fetchall()
        parts = [
            sql.SQL(
                "SELECT {name} AS t, {tenant} AS tenant, count(*) AS n, coalesce(max(xmin::text::bigint), 0) AS v "
                "FROM {table} GROUP BY 2"
            ).format(
                name=sql.Literal(f"{schema}.{table}"),
                tenant=sql.SQL("{}::text").format(sql.Identifier(column)) if column else sql.SQL("NULL::text"),
                table=sql.Identifier(schema, table),
            )
            for schema, table, column in rows
        ]
        ledger = cls(
            conn=conn,
            query=sql.SQL(" UNION ALL ").join(parts),
            foreign=frozenset(),
            tables=tuple(f"{schema}.{table}" for schema, table, _ in rows),
        )
        seen = {tenant for (_, tenant) in await ledger.snapshot() if tenant is not None}
        ledger.foreign = frozenset(seen - set(fuzz_tenants))
        return ledger

    async def close(self) -> None:
        """Closes the connection."""
        await self.conn.close()

    async def snapshot(self) -> Snapshot:
        """Counts and newest versions now."""
        rows = await (await self.conn.execute(self.query)).fetchall()
        return {(table, tenant): (count, version) for table, tenant, count, version in rows}

    def changes(self, before: Snapshot, after: Snapshot) -> list[str]:
        """Every compared group whose count or newest version moved, as readable lines."""
        lines = []
        for group in sorted(set(before) | set(after), key=lambda g: (g[0], g[1] or "")):
            if group[1] in self.foreign:
                continue
            was, now = before.get(group, (0, 0)), after.get(group, (0, 0))
            if was != now:
                lines.append(f"{group[0]} tenant={group[1]!r}: rows {was[0]} -> {now[0]}, xmin {was[1]} -> {now[1]}")
        return lines

    async def settle(self, tenants: Iterable[str]) -> None:
        """Waits until the services' workers owe `tenants` nothing (fails after SETTLE_SECONDS)."""
        wanted = sorted(set(tenants))
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            row = await (await self.conn.execute(_pending_work_query(), {"t": wanted})).fetchone()
            if row is None or row[0] == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{row[0]} outbox rows/jobs of {wanted} still pending after {SETTLE_SECONDS}s")
            await asyncio.sleep(0.02)


class ExceptionLog(logging.Handler):
    """Keeps every ERROR record that carries an exception, and every interceptor 'unhandled error' line."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "unhandled error" in record.getMessage():
            self.records.append(record)

    def take(self) -> list[str]:
        """The kept records as text (logger, message, exception type), and forgets them."""
        taken, self.records = self.records, []
        return [f"{r.name}: {r.getMessage()[:300]}" + _exception(r) for r in taken]


def _exception(record: logging.LogRecord) -> str:
    if not record.exc_info or record.exc_info[0] is None:
        return ""
    return f" [{record.exc_info[0].__name__}: {record.exc_info[1]}]"


@contextmanager
def watching_logs() -> Iterator[ExceptionLog]:
    """An ExceptionLog on the root logger, where every in-process service, worker and the gateway log."""
    handler = ExceptionLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


class LoopBridge:
    """Runs coroutines on the session loop from Hypothesis' worker thread and waits for their results."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float = 120.0) -> T:
        """The coroutine's result, run on the loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

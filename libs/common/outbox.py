"""The one outbox engine: every hand-off to another service (or to a later moment) is a row in the caller's
transaction, handled later by a worker that holds no transaction while it works.

How a row travels:

1. `enqueue(conn, ...)` writes it inside the transaction of the change that causes it (so both commit or
   neither does). The payload is a protobuf message: its type name and bytes are stored. A `dedupe_key`
   makes the write idempotent; an `ordering_key` keeps one key's rows in order; `not_before` delays it;
   a `group_key` lets `cancel(conn, group_key=...)` drop the group's pending rows in a later transaction.
2. After the commit the caller may `flush(ids)`: the rows are claimed and handled at once, in the caller's
   task, so the next read already sees their effect. Whatever is not done then waits for the poll loop.
3. `run(stop)` polls: one statement leases due rows with `FOR UPDATE SKIP LOCKED` (`locked_until`, a
   claim id, attempts + 1), so any number of replicas share the table. Each row's handler runs in its
   own task, with no transaction open, inside the trace of the request that wrote the row.
4. The outcome is written in another short statement, only if the claim still holds the row: done,
   failed for good, or rescheduled after the one backoff policy. A worker killed at any point leaves a
   lease that runs out, and the row is handled again: handlers must be idempotent (the receivers'
   dedupe keys make them so).

Failures are classified by the one rule of `libs.common.errors.is_retryable` (the typed peer clients raise
domain errors that carry it); a handler may also return `Retry`, `Defer` or `Fail` itself. Time comes
from an injectable clock, so tests move it instead of sleeping. Metrics: `v360_outbox_backlog`,
`v360_outbox_oldest_seconds`, `v360_outbox_scheduled` and `v360_outbox_attempts_total`, labelled by
service and kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg
import psycopg_pool
from google.protobuf.message import DecodeError, Message
from prometheus_client import Counter, Gauge
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.backoff import Backoff
from libs.common.clock import Clock, SystemClock
from libs.common.db import Queries
from libs.common.errors import DomainError, is_retryable
from libs.common.telemetry import continued_trace, trace_carrier, untraced

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
T = TypeVar("T")

_SQL = Queries(Path(__file__).parent / "sql" / "outbox")
TABLE_DDL = Path(__file__).parent / "sql" / "outbox_table.sql"
# Every replica reports the same table: aggregate these with max(), not sum().
BACKLOG = Gauge("v360_outbox_backlog", "Outbox rows due and not done yet, by service and kind.", ["service", "kind"])
OLDEST = Gauge(
    "v360_outbox_oldest_seconds",
    "Seconds since the oldest row that is not done became due, by service and kind.",
    ["service", "kind"],
)
SCHEDULED = Gauge(
    "v360_outbox_scheduled", "Outbox rows due later (not_before ahead), by service and kind.", ["service", "kind"]
)
ATTEMPTS = Counter(
    "v360_outbox_attempts_total",
    "Rows handled, by service, kind and outcome (done, retry, deferred, failed).",
    ["service", "kind", "outcome"],
)
# The backlog is one query over the pending rows: every few seconds is plenty for a gauge.
MEASURE_EVERY_SECONDS = 5.0
# Writing an outcome is retried this often (doubling) while the database is away, within the lease.
SETTLE_RETRY_FIRST_SECONDS = 0.1
SETTLE_RETRY_MAX_SECONDS = 1.0
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class Task(Generic[M]):
    """One claimed row as its handler sees it."""

    id: int
    tenant: str
    kind: str
    payload: M
    # This try's number (1 for the first).
    attempt: int
    max_attempts: int | None
    dedupe_key: str | None
    claim: uuid.UUID

    @property
    def last_attempt(self) -> bool:
        """Whether a failure now ends the row (its attempts are used up)."""
        return self.max_attempts is not None and self.attempt >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again after the kind's backoff, and not before `retry_after` seconds when the other side said so."""

    error: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Defer:
    """Nothing was attempted (e.g. a circuit is open): try again in `seconds` without using up an attempt."""

    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class Fail:
    """Give up on the row for good."""

    error: str


# What a handler returns: None when the work is done.
Outcome = Retry | Defer | Fail | None
Handler = Callable[[Task[M]], Awaitable[Outcome]]


@dataclass(frozen=True, slots=True)
class Kind(Generic[M]):
    """A registered kind of row: its payload's message type, its handler and its retry delays."""

    name: str
    message: type[M]
    handler: Handler[M]
    backoff: Backoff

    def decode(self, payload_type: str, payload: bytes) -> M:
        """The row's payload as this kind's message; DecodeError when it is not one."""
        if payload_type != self.message.DESCRIPTOR.full_name:
            raise DecodeError(f"payload is a {payload_type}, {self.name} takes {self.message.DESCRIPTOR.full_name}")
        message = self.message()
        message.ParseFromString(payload)
        return message


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    tenant: str
    kind: str
    payload_type: str
    payload: bytes
    dedupe_key: str | None
    attempts: int
    max_attempts: int | None
    trace_context: dict[str, str]
    claim: uuid.UUID


def table_ddl(schema: str) -> str:
    """The DDL of the outbox table in `schema`, for the service's own migration."""
    return sql.SQL(TABLE_DDL.read_text()).format(outbox=sql.Identifier(schema, "outbox")).as_string(None)


def statements(schema: str) -> dict[str, str]:
    """The engine's SQL for the outbox table of `schema`, by statement name."""
    table = sql.Identifier(schema, "outbox")
    return {name: sql.SQL(getattr(_SQL, name)).format(outbox=table).as_string(None) for name in _SQL.names()}


def describe(exc: BaseException) -> str:
    """A failure as one line for the row's `last_error` (no tracebacks, no secrets from connection strings)."""
    if isinstance(exc, DomainError):
        return f"{exc.code.name}: {exc.message}"[:MAX_ERROR]
    if isinstance(exc, psycopg.Error | psycopg_pool.PoolTimeout):
        return f"database: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


async def retry_database(
    operation: Callable[[], Awaitable[T]], *, within: float, what: str, clock: Callable[[], float] = time.monotonic
) -> T:
    """Runs `operation`, trying again on database errors for up to `within` seconds (then raises).

    For writes that must not be dropped by a passing outage (a restart, a connection the server closed),
    e.g. recording what a provider already accepted. `operation` must be idempotent.
    """
    give_up_at = clock() + within
    delay = SETTLE_RETRY_FIRST_SECONDS
    while True:
        try:
            return await operation()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            if clock() + delay > give_up_at:
                raise
            log.warning("%s: database error %s, trying again in %.1fs", what, type(exc).__name__, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, SETTLE_RETRY_MAX_SECONDS)


class Outbox:
    """The outbox of one service: `<schema>.outbox`, the kinds it handles, the worker loop and its metrics."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        *,
        schema: str,
        lease_seconds: float,
        clock: Clock | None = None,
        concurrency: int = 8,
        poll_seconds: float = 1.0,
        drain_seconds: float = 5.0,
    ) -> None:
        self.pool = pool
        self.service = schema
        self.lease_seconds = lease_seconds
        self.clock: Clock = clock or SystemClock()
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.drain_seconds = drain_seconds
        self._sql = statements(schema)
        self._kinds: dict[str, Kind[Any]] = {}
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._next_measure = 0.0

    def register(self, name: str, message: type[M], handler: Handler[M], *, backoff: Backoff) -> None:
        """Declares a kind of row: payloads of type `message`, handled by `handler`, retried after `backoff`."""
        if name in self._kinds:
            raise ValueError(f"outbox kind {name!r} is registered twice")
        self._kinds[name] = Kind(name, message, handler, backoff)
        for gauge in (BACKLOG, OLDEST, SCHEDULED):
            gauge.labels(self.service, name).set(0)

    async def enqueue(
        self,
        conn: AsyncConnection[Any],
        *,
        kind: str,
        payload: Message,
        tenant: str,
        dedupe_key: str | None = None,
        ordering_key: str | None = None,
        group_key: str | None = None,
        not_before: datetime | None = None,
        max_attempts: int | None = None,
    ) -> int | None:
        """Writes one row in the caller's transaction; its id, or None when `dedupe_key` was used before."""
        registered = self._kinds.get(kind)
        if registered is None:
            raise ValueError(f"outbox kind {kind!r} is not registered")
        if not isinstance(payload, registered.message):
            raise TypeError(f"{kind} takes {registered.message.DESCRIPTOR.full_name}, not {type(payload).__name__}")
        now = self.clock.now()
        cur = await conn.execute(
            self._sql["enqueue"],
            {
                "tenant": tenant,
                "kind": kind,
                "payload_type": payload.DESCRIPTOR.full_name,
                "payload": payload.SerializeToString(),
                "dedupe_key": dedupe_key,
                "ordering_key": ordering_key,
                "group_key": group_key,
                "trace_context": Jsonb(trace_carrier()),
                "max_attempts": max_attempts,
                "not_before": not_before or now,
                "now": now,
            },
        )
        row = await cur.fetchone()
        return None if row is None else int(row[0])

    async def cancel(self, conn: AsyncConnection[Any], *, group_key: str) -> int:
        """Cancels the group's pending rows in the caller's transaction; returns how many."""
        cur = await conn.execute(self._sql["cancel"], {"group_key": group_key, "now": self.clock.now()})
        return cur.rowcount

    def wake(self) -> None:
        """Makes the poll loop look for due rows now instead of at its next tick."""
        self._wake.set()

    async def flush(self, ids: Iterable[int | None] = (), *, dedupe_keys: Iterable[str] = ()) -> set[int]:
        """Handles the given rows now, in this task, if they are due and free; the rest waits for the loop.

        Returns the ids of the rows whose handler ran here (whatever its outcome).
        """
        wanted = [row_id for row_id in ids if row_id is not None]
        keys = list(dedupe_keys)
        if not wanted and not keys:
            return set()
        try:
            rows = await self._claim(limit=len(wanted) + len(keys), ids=wanted, keys=keys)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            log.warning("%s outbox: could not claim rows to flush (%s)", self.service, type(exc).__name__)
            rows = []
        await asyncio.gather(*(self._process(row) for row in rows))
        if len(rows) < len(wanted) + len(keys):
            self.wake()
        return {row.id for row in rows}

    async def run(self, stop: asyncio.Event) -> None:
        """Polls and handles due rows until `stop` is set, then lets the rows in hand finish."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self._wake.clear()
                # Polling makes no spans; each row's work joins the trace it was written in (see _process).
                with untraced():
                    await self.measure()
                    await self._claim_and_start()
                waking = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait(
                    {stopping, waking, *self._running}, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                waking.cancel()
        finally:
            stopping.cancel()
            await self._drain()

    async def run_due(self) -> int:
        """Handles every row due now, in this task, until none is left; returns how many were handled.

        For tests with a ManualClock (and tools): the poll loop without the waiting.
        """
        handled = 0
        while rows := await self._claim(limit=self.concurrency):
            await asyncio.gather(*(self._process(row) for row in rows))
            handled += len(rows)
        return handled

    async def measure(self, *, force: bool = False) -> None:
        """Updates the backlog gauges, at most every few seconds unless `force`."""
        now = time.monotonic()
        if now < self._next_measure and not force:
            return
        self._next_measure = now + MEASURE_EVERY_SECONDS
        try:
            async with self.pool.connection() as conn:
                cur = conn.cursor(row_factory=dict_row)
                await cur.execute(self._sql["backlog"], {"now": self.clock.now()})
                found = {row["kind"]: row for row in await cur.fetchall()}
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            log.warning("%s outbox: could not measure the backlog (%s)", self.service, type(exc).__name__)
            return
        for kind in self._kinds:
            row = found.get(kind) or {"due": 0, "oldest_seconds": 0.0, "scheduled": 0}
            BACKLOG.labels(self.service, kind).set(row["due"])
            OLDEST.labels(self.service, kind).set(float(row["oldest_seconds"]))
            SCHEDULED.labels(self.service, kind).set(row["scheduled"])

    async def _claim(self, *, limit: int, ids: Sequence[int] = (), keys: Sequence[str] = ()) -> list[_Row]:
        params = {
            "kinds": list(self._kinds),
            "now": self.clock.now(),
            "ids": list(ids) or None,
            "keys": list(keys) or None,
            "limit": limit,
            "lease_seconds": self.lease_seconds,
            "claim": uuid.uuid4(),
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(self._sql["claim"], params)
            return [_Row(**row) for row in await cur.fetchall()]

    async def _claim_and_start(self) -> None:
        free = self.concurrency - len(self._running)
        if free <= 0:
            return
        try:
            rows = await self._claim(limit=free)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            log.warning("%s outbox: could not claim rows (%s)", self.service, type(exc).__name__)
            return
        for row in rows:
            task = asyncio.create_task(self._process(row), name=f"outbox-{self.service}-{row.kind}-{row.id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _drain(self) -> None:
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=self.drain_seconds)
        for task in pending:
            task.cancel()
        # Cut off mid-way: their leases run out and another worker handles the rows again.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)

    async def _process(self, row: _Row) -> None:
        """Runs one row's handler and records the outcome; never raises (but for cancellation)."""
        started = time.monotonic()
        kind = self._kinds[row.kind]
        # The handler, its calls and the bookkeeping continue the trace of the request that wrote the row.
        with continued_trace(row.trace_context):
            outcome = await self._handle(kind, row)
            try:
                await retry_database(
                    lambda: self._settle(kind, row, outcome),
                    within=max(0.0, self.lease_seconds - (time.monotonic() - started)),
                    what=f"{self.service} outbox row {row.id}",
                )
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                # The lease runs out and the row is handled again; its handler is idempotent.
                log.warning("%s outbox row %s: outcome not recorded (%s)", self.service, row.id, type(exc).__name__)

    async def _handle(self, kind: Kind[Any], row: _Row) -> Outcome:
        try:
            payload = kind.decode(row.payload_type, row.payload)
        except DecodeError as exc:
            return Fail(f"undecodable payload: {exc}")
        task = Task(
            id=row.id,
            tenant=row.tenant,
            kind=row.kind,
            payload=payload,
            attempt=row.attempts,
            max_attempts=row.max_attempts,
            dedupe_key=row.dedupe_key,
            claim=row.claim,
        )
        try:
            return await kind.handler(task)
        except Exception as exc:
            if is_retryable(exc):
                if not isinstance(exc, DomainError | psycopg.Error | psycopg_pool.PoolTimeout):
                    log.exception("%s outbox row %s (%s): unexpected error", self.service, row.id, row.kind)
                return Retry(describe(exc))
            return Fail(describe(exc))

    async def _settle(self, kind: Kind[Any], row: _Row, outcome: Outcome) -> None:
        now = self.clock.now()
        if isinstance(outcome, Retry) and row.max_attempts is not None and row.attempts >= row.max_attempts:
            outcome = Fail(f"{outcome.error} (after {row.attempts} attempts)")
        params: dict[str, Any] = {"id": row.id, "claim": row.claim, "now": now}
        if outcome is None:
            statement, label = "finish", "done"
            params.update(status="done", error="")
        elif isinstance(outcome, Fail):
            statement, label = "finish", "failed"
            params.update(status="failed", error=outcome.error[:MAX_ERROR])
            log.error("%s outbox row %s (%s) failed for good: %s", self.service, row.id, row.kind, outcome.error)
        elif isinstance(outcome, Defer):
            statement, label = "reschedule", "deferred"
            params.update(delay_seconds=outcome.seconds, error=outcome.reason[:MAX_ERROR], refund=True)
        else:
            delay = kind.backoff.delay(row.attempts, retry_after=outcome.retry_after)
            statement, label = "reschedule", "retry"
            params.update(delay_seconds=delay, error=outcome.error[:MAX_ERROR], refund=False)
            log.info(
                "%s outbox row %s (%s): %s; attempt %s, again in %.2fs",
                self.service,
                row.id,
                row.kind,
                outcome.error,
                row.attempts,
                delay,
            )
        async with self.pool.connection() as conn:
            await conn.execute(self._sql[statement], params)
        ATTEMPTS.labels(self.service, row.kind, label).inc()

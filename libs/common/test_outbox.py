"""The outbox engine on a real Postgres: written in the caller's transaction, leased with SKIP LOCKED, handled
with no transaction open, retried by the one backoff policy, in order per key, delayed, cancelled.

Time comes from a ManualClock: the tests move it instead of sleeping."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from google.protobuf import wrappers_pb2
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from prometheus_client import REGISTRY
from psycopg import AsyncConnection, sql

from libs.common.backoff import Backoff
from libs.common.clock import ManualClock
from libs.common.db import libpq_url, make_pool
from libs.common.errors import NotFound, Unavailable
from libs.common.outbox import Defer, Fail, Outbox, Outcome, Retry, Task, table_ddl
from libs.common.settings import CommonSettings

pytestmark = pytest.mark.integration

KIND = "note"
# Fixed, so a test knows each delay: attempt n waits min(8, 1 * 2**(n-1)) seconds at most.
BACKOFF = Backoff(base=1.0, cap=8.0)
LEASE = 30.0


@dataclass
class Recorder:
    """The handler under test: records what it saw and answers with the next scripted outcome (or raises it)."""

    script: list[Outcome | Exception] = field(default_factory=list)
    seen: list[tuple[str, int]] = field(default_factory=list)
    check: Callable[[Task[wrappers_pb2.StringValue]], Awaitable[None]] | None = None

    async def __call__(self, task: Task[wrappers_pb2.StringValue]) -> Outcome:
        self.seen.append((task.payload.value, task.attempt))
        if self.check is not None:
            await self.check(task)
        outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@dataclass
class Harness:
    url: str
    schema: str
    clock: ManualClock
    outbox: Outbox
    handler: Recorder

    async def add(self, value: str, **options: object) -> int | None:
        """Enqueues one row in its own committed transaction."""
        async with await AsyncConnection.connect(self.url) as conn, conn.transaction():
            return await self.outbox.enqueue(
                conn, kind=KIND, payload=wrappers_pb2.StringValue(value=value), tenant="acme", **options
            )

    async def rows(self) -> dict[str, tuple[str, int]]:
        """value -> (status, attempts) of every row."""
        query = sql.SQL("SELECT payload, status, attempts FROM {} ORDER BY id").format(
            sql.Identifier(self.schema, "outbox")
        )
        async with await AsyncConnection.connect(self.url) as conn:
            found = await (await conn.execute(query)).fetchall()
        return {wrappers_pb2.StringValue.FromString(raw).value: (status, tries) for raw, status, tries in found}


async def new_schema(url: str) -> str:
    schema = f"outbox_{secrets.token_hex(4)}"
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        await conn.execute(table_ddl(schema))
    return schema


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    url = libpq_url(database_url)
    schema = await new_schema(url)
    pool = make_pool(CommonSettings(DATABASE_URL=url, DB_POOL_MIN=1, DB_POOL_MAX=4), name=f"test-{schema}")
    await pool.open(wait=True)
    clock = ManualClock()
    outbox = Outbox(pool, schema=schema, lease_seconds=LEASE, clock=clock, concurrency=4)
    handler = Recorder()
    outbox.register(KIND, wrappers_pb2.StringValue, handler, backoff=BACKOFF)
    try:
        yield Harness(url=url, schema=schema, clock=clock, outbox=outbox, handler=handler)
    finally:
        await pool.close()


async def test_a_row_exists_only_if_the_callers_transaction_commits(harness: Harness) -> None:
    async with await AsyncConnection.connect(harness.url) as conn:
        async with conn.transaction(force_rollback=True):
            await harness.outbox.enqueue(
                conn, kind=KIND, payload=wrappers_pb2.StringValue(value="rolled back"), tenant="acme"
            )
        async with conn.transaction():
            committed = await harness.outbox.enqueue(
                conn, kind=KIND, payload=wrappers_pb2.StringValue(value="committed"), tenant="acme"
            )
    await harness.outbox.flush([committed])
    assert harness.handler.seen == [("committed", 1)]
    assert await harness.rows() == {"committed": ("done", 1)}


async def test_a_dedupe_key_writes_one_row(harness: Harness) -> None:
    first = await harness.add("once", dedupe_key="k-1")
    second = await harness.add("twice", dedupe_key="k-1")
    assert first is not None and second is None
    assert await harness.outbox.run_due() == 1
    assert harness.handler.seen == [("once", 1)]


async def test_the_handler_runs_with_no_transaction_open_and_the_row_leased(harness: Harness) -> None:
    async def check(task: Task[wrappers_pb2.StringValue]) -> None:
        async with await AsyncConnection.connect(harness.url) as conn:
            states = await conn.execute(
                "SELECT state FROM pg_stat_activity WHERE application_name = %s", [f"test-{harness.schema}"]
            )
            assert {state for (state,) in await states.fetchall()} <= {"idle"}
            # Leased: another worker's claim passes it over until the lease runs out.
            other = Outbox(harness.outbox.pool, schema=harness.schema, lease_seconds=LEASE, clock=harness.clock)
            other.register(KIND, wrappers_pb2.StringValue, Recorder(), backoff=BACKOFF)
            assert await other.run_due() == 0

    harness.handler.check = check
    await harness.add("inspected")
    assert await harness.outbox.run_due() == 1
    assert await harness.rows() == {"inspected": ("done", 1)}


async def test_retryable_failures_wait_for_the_backoff_and_permanent_ones_stop(harness: Harness) -> None:
    harness.handler.script = [Unavailable("ingest is down"), Retry("429", retry_after=5.0), None, NotFound("gone")]
    await harness.add("flaky")
    assert await harness.outbox.run_due() == 1
    # Attempt 1 failed: at most 1 s of backoff; nothing is due before then.
    assert await harness.outbox.run_due() == 0
    harness.clock.advance(1.0)
    assert await harness.outbox.run_due() == 1
    # Attempt 2 asked for 5 s (more than its backoff of at most 2 s).
    harness.clock.advance(4.9)
    assert await harness.outbox.run_due() == 0
    harness.clock.advance(0.1)
    assert await harness.outbox.run_due() == 1
    assert harness.handler.seen == [("flaky", 1), ("flaky", 2), ("flaky", 3)]

    await harness.add("doomed")
    assert await harness.outbox.run_due() == 1
    harness.clock.advance(3600)
    assert await harness.outbox.run_due() == 0
    assert await harness.rows() == {"flaky": ("done", 3), "doomed": ("failed", 1)}


async def test_a_row_fails_when_its_attempts_are_used_up_and_a_deferral_uses_none(harness: Harness) -> None:
    harness.handler.script = [Defer(2.0, "circuit open"), Unavailable("down"), Unavailable("down")]
    await harness.add("limited", max_attempts=2)
    for _ in range(4):
        await harness.outbox.run_due()
        harness.clock.advance(10)
    assert harness.handler.seen == [("limited", 1), ("limited", 1), ("limited", 2)]
    assert await harness.rows() == {"limited": ("failed", 2)}


async def test_rows_with_one_ordering_key_go_one_at_a_time_in_order(harness: Harness) -> None:
    harness.handler.script = [Unavailable("down")]
    await harness.add("a1", ordering_key="ticket-a")
    await harness.add("a2", ordering_key="ticket-a")
    await harness.add("b1", ordering_key="ticket-b")
    await harness.outbox.run_due()
    # a1 failed and waits for its backoff; a2 waits behind it; b1 went its own way.
    assert harness.handler.seen == [("a1", 1), ("b1", 1)]
    harness.clock.advance(1.0)
    await harness.outbox.run_due()
    assert harness.handler.seen == [("a1", 1), ("b1", 1), ("a1", 2), ("a2", 1)]


async def test_a_delayed_row_waits_until_it_is_due(harness: Harness) -> None:
    await harness.add("reminder", not_before=harness.clock.now() + timedelta(seconds=3600))
    await harness.outbox.measure(force=True)
    assert _sample("v360_outbox_scheduled", harness.schema) == 1
    assert _sample("v360_outbox_backlog", harness.schema) == 0
    assert await harness.outbox.run_due() == 0
    harness.clock.advance(3600)
    assert await harness.outbox.run_due() == 1


async def test_a_group_is_cancelled_in_the_callers_transaction(harness: Harness) -> None:
    later = harness.clock.now() + timedelta(seconds=600)
    await harness.add("24h before", group_key="visit-1", not_before=later)
    await harness.add("2h before", group_key="visit-1", not_before=later)
    await harness.add("other visit", group_key="visit-2", not_before=later)
    async with await AsyncConnection.connect(harness.url) as conn:
        async with conn.transaction(force_rollback=True):
            assert await harness.outbox.cancel(conn, group_key="visit-1") == 2
        async with conn.transaction():
            assert await harness.outbox.cancel(conn, group_key="visit-1") == 2
    harness.clock.advance(600)
    assert await harness.outbox.run_due() == 1
    assert await harness.rows() == {
        "24h before": ("cancelled", 0),
        "2h before": ("cancelled", 0),
        "other visit": ("done", 1),
    }


async def test_a_dead_workers_lease_runs_out_and_its_late_answer_changes_nothing(harness: Harness) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def stuck(task: Task[wrappers_pb2.StringValue]) -> None:
        started.set()
        await release.wait()

    harness.handler.check = stuck
    await harness.add("slow")
    first = asyncio.create_task(harness.outbox.run_due())
    await started.wait()
    harness.handler.check = None
    harness.handler.script = [Fail("the second worker gave up")]
    harness.clock.advance(LEASE)
    other = Outbox(harness.outbox.pool, schema=harness.schema, lease_seconds=LEASE, clock=harness.clock)
    other.register(KIND, wrappers_pb2.StringValue, harness.handler, backoff=BACKOFF)
    assert await other.run_due() == 1
    release.set()
    await first
    # The first worker's "done" came after its lease was taken over: the second claim's outcome stands.
    assert await harness.rows() == {"slow": ("failed", 2)}


async def test_replicas_share_the_rows_each_handled_once(harness: Harness) -> None:
    for n in range(40):
        await harness.add(f"row {n}")
    replicas = []
    for _ in range(3):
        replica = Outbox(harness.outbox.pool, schema=harness.schema, lease_seconds=LEASE, clock=harness.clock)
        replica.register(KIND, wrappers_pb2.StringValue, harness.handler, backoff=BACKOFF)
        replicas.append(replica)
    counts = await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert sum(counts) == 40
    assert sorted(value for value, _ in harness.handler.seen) == sorted(f"row {n}" for n in range(40))


async def test_the_poll_loop_handles_rows_and_stops_cleanly(harness: Harness) -> None:
    stop = asyncio.Event()
    handled = asyncio.Event()

    async def done(task: Task[wrappers_pb2.StringValue]) -> None:
        handled.set()

    harness.handler.check = done
    loop = asyncio.create_task(harness.outbox.run(stop))
    await harness.add("polled")
    harness.outbox.wake()
    await asyncio.wait_for(handled.wait(), 10)
    stop.set()
    await asyncio.wait_for(loop, 10)
    assert harness.handler.seen == [("polled", 1)]


async def test_the_handler_continues_the_trace_the_row_was_written_in(harness: Harness) -> None:
    context = SpanContext(
        trace_id=secrets.randbits(128), span_id=secrets.randbits(64), is_remote=False, trace_flags=TraceFlags(1)
    )
    seen: list[int] = []

    async def record(task: Task[wrappers_pb2.StringValue]) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    harness.handler.check = record
    with trace.use_span(NonRecordingSpan(context)):
        row = await harness.add("traced")
    await harness.outbox.flush([row])
    assert seen == [context.trace_id]


async def test_a_payload_of_another_type_fails_the_row(harness: Harness) -> None:
    async with await AsyncConnection.connect(harness.url) as conn:
        with pytest.raises(TypeError):
            await harness.outbox.enqueue(conn, kind=KIND, payload=wrappers_pb2.Int64Value(value=1), tenant="acme")
        with pytest.raises(ValueError):
            await harness.outbox.enqueue(conn, kind="unknown", payload=wrappers_pb2.StringValue(), tenant="acme")
    row = await harness.add("mangled")
    query = sql.SQL("UPDATE {} SET payload_type = 'google.protobuf.Int64Value' WHERE id = %s").format(
        sql.Identifier(harness.schema, "outbox")
    )
    async with await AsyncConnection.connect(harness.url, autocommit=True) as conn:
        await conn.execute(query, [row])
    await harness.outbox.flush([row])
    assert harness.handler.seen == []
    assert await harness.rows() == {"mangled": ("failed", 1)}


async def test_attempts_are_counted_by_service_kind_and_outcome(harness: Harness) -> None:
    harness.handler.script = [Unavailable("down")]
    await harness.add("counted")
    await harness.outbox.run_due()
    harness.clock.advance(1)
    await harness.outbox.run_due()
    labels = {"service": harness.schema, "kind": KIND}
    assert REGISTRY.get_sample_value("v360_outbox_attempts_total", {**labels, "outcome": "retry"}) == 1
    assert REGISTRY.get_sample_value("v360_outbox_attempts_total", {**labels, "outcome": "done"}) == 1


def _sample(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service, "kind": KIND})

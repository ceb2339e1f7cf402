"""Relays the visits outbox to ingest (ticket stage, timeline) and supervisor (messages to the lead)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import struct_pb2, timestamp_pb2
from prometheus_client import Gauge
from psycopg import AsyncConnection

from libs.common.clients import ServiceTokens
from libs.common.telemetry import continued_trace, untraced
from services.visits.models import ACTIVE, OutboxRow
from services.visits.repository import Repository
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

log = logging.getLogger(__name__)

# Worth another try later; every other status means the receiver will never accept this row.
RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.CANCELLED,
}
MAX_BACKOFF_SECONDS = 5.0
BATCH = 50
# The backlog is one query over the whole table: every few seconds is plenty for a gauge.
BACKLOG_EVERY_SECONDS = 5.0

# Every replica reports the same table: aggregate with max(), not sum().
BACKLOG = Gauge("v360_visits_outbox_backlog", "Outbox rows waiting to be relayed.")
OLDEST = Gauge("v360_visits_outbox_oldest_seconds", "Age in seconds of the oldest outbox row waiting to be relayed.")


def backoff(attempts: int) -> float:
    """Delay before the next attempt: exponential, capped, with full jitter."""
    return random.uniform(0, min(MAX_BACKOFF_SECONDS, 0.25 * 2**attempts))


class OutboxRelay:
    """Sends outbox rows to their receivers, each exactly once thanks to the receivers' dedupe keys."""

    def __init__(
        self,
        *,
        repository: Repository,
        ingest: ingest_pb2_grpc.IngestServiceStub,
        supervisor: supervisor_pb2_grpc.SupervisorServiceStub,
        tokens: ServiceTokens,
        rpc_timeout: float,
        poll_seconds: float,
    ) -> None:
        self.repository = repository
        self.ingest = ingest
        self.supervisor = supervisor
        self.tokens = tokens
        self.rpc_timeout = rpc_timeout
        self.poll_seconds = poll_seconds
        self.wake = asyncio.Event()
        self._next_measure = 0.0

    async def flush(self, ids: Sequence[int]) -> None:
        """Tries to relay the given rows now, so the next read already shows them; failures wait for the loop."""
        if not ids:
            return
        try:
            await self.relay_batch(ids=ids)
        except Exception:
            log.warning("immediate relay failed; the relay loop will retry", exc_info=True)
            self.wake.set()

    async def relay_batch(self, *, ids: Sequence[int] | None = None) -> int:
        """Relays one batch of due rows; returns how many were claimed."""
        async with self.repository.transaction() as conn:
            rows = await self.repository.claim_outbox(conn, limit=BATCH, ids=ids)
            for row in rows:
                # The call (and the row's bookkeeping) continues the trace of the request that wrote the row.
                with continued_trace(row.trace_context):
                    await self._relay(conn, row)
            return len(rows)

    async def _relay(self, conn: AsyncConnection[Any], row: OutboxRow) -> None:
        try:
            await self._send(row)
        except grpc.aio.AioRpcError as exc:
            error = f"{exc.code().name}: {exc.details()}"
            if exc.code() in RETRYABLE:
                delay = backoff(row.attempts)
                await self.repository.retry_outbox(conn, row_id=row.id, error=error, delay_seconds=delay)
            else:
                log.error("outbox row %s (%s) refused for good: %s", row.id, row.kind, error)
                await self.repository.finish_outbox(conn, row_id=row.id, status="failed", error=error)
                proposal_id = (row.payload.get("event_payload") or {}).get("proposal_id")
                if exc.code() == grpc.StatusCode.NOT_FOUND and row.kind == "ticket_update" and proposal_id:
                    # Stored while ingest was down for a ticket that turned out not to be the tenant's:
                    # free the agent's slot instead of holding it for a visit nobody can see.
                    await self.repository.transition(
                        conn,
                        tenant=row.tenant,
                        proposal_id=uuid.UUID(proposal_id),
                        from_statuses=ACTIVE,
                        to_status="cancelled",
                    )
        else:
            await self.repository.finish_outbox(conn, row_id=row.id, status="done")

    async def _measure_backlog(self) -> None:
        now = time.monotonic()
        if now < self._next_measure:
            return
        self._next_measure = now + BACKLOG_EVERY_SECONDS
        try:
            pending, oldest_seconds = await self.repository.outbox_backlog()
        except Exception as exc:
            log.warning("could not measure the outbox backlog: %s", type(exc).__name__)
            return
        BACKLOG.set(pending)
        OLDEST.set(oldest_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Relays until `stop` is set, polling when idle."""
        while not stop.is_set():
            try:
                # Polling makes no spans; each claimed row's work joins its own trace (see relay_batch).
                with untraced():
                    await self._measure_backlog()
                    claimed = await self.relay_batch()
            except Exception:
                log.exception("relay batch failed")
                claimed = 0
            if claimed:
                continue
            self.wake.clear()
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())}
            await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def _send(self, row: OutboxRow) -> None:
        metadata = self.tokens.metadata(row.tenant)
        payload = row.payload
        if row.kind == "ticket_update":
            request = ingest_pb2.ApplyTicketUpdateRequest(
                ticket_id=str(row.ticket_id),
                dedupe_key=row.dedupe_key,
                event_type=payload["event_type"],
                stage=payload.get("stage") or "",
                clear_visit_scheduled_at=bool(payload.get("clear_visit_scheduled_at")),
            )
            request.event_payload.CopyFrom(_struct(payload.get("event_payload") or {}))
            if payload.get("visit_scheduled_at"):
                request.visit_scheduled_at.CopyFrom(_timestamp(payload["visit_scheduled_at"]))
            await self.ingest.ApplyTicketUpdate(request, metadata=metadata, timeout=self.rpc_timeout)
        elif row.kind == "lead_message":
            await self.supervisor.SendReply(
                supervisor_pb2.SendReplyRequest(
                    ticket_id=str(row.ticket_id),
                    text=payload["text"],
                    idempotency_key=row.dedupe_key,
                    buttons=[supervisor_pb2.ReplyButton(id=b["id"], title=b["title"]) for b in payload["buttons"]],
                ),
                metadata=metadata,
                timeout=self.rpc_timeout,
            )
        else:
            raise ValueError(f"unknown outbox kind {row.kind!r}")


def _struct(value: dict[str, object]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _timestamp(iso: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(iso))
    return stamp

"""SQL of the visits service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from libs.common.telemetry import trace_carrier
from services.visits.models import Change, Confirmation, OutboxRow, Proposal

SQL = Queries(Path(__file__).parent / "sql")


class Repository:
    """Typed access to the `visits` schema."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A connection inside one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def agent_key(self, conn: AsyncConnection[Any], *, tenant: str, user_id: str) -> int:
        """The agent's calendar key, created on first use."""
        await conn.execute(SQL.ensure_agent, {"tenant": tenant, "user_id": user_id})
        cur = await conn.execute(SQL.get_agent_key, {"tenant": tenant, "user_id": user_id})
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def insert_proposal(self, conn: AsyncConnection[Any], **values: Any) -> Proposal:
        """Stores a proposal; the database refuses overlaps and a second active one per ticket."""
        cur = conn.cursor(row_factory=class_row(Proposal))
        await cur.execute(SQL.insert_proposal, values)
        row = await cur.fetchone()
        assert row is not None
        return row

    async def find_clash(
        self, *, tenant: str, agent_user_id: str, starts_at: datetime, ends_at: datetime
    ) -> Proposal | None:
        """An active visit of the agent overlapping the slot."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(
                SQL.find_clash,
                {"tenant": tenant, "agent_user_id": agent_user_id, "starts_at": starts_at, "ends_at": ends_at},
            )
            return await cur.fetchone()

    async def proposal(self, *, tenant: str, proposal_id: uuid.UUID) -> Proposal | None:
        """One proposal of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(SQL.get_proposal, {"tenant": tenant, "proposal_id": proposal_id})
            return await cur.fetchone()

    async def active_proposal(self, *, tenant: str, ticket_id: uuid.UUID) -> Proposal | None:
        """The ticket's proposed or confirmed visit."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(SQL.get_active_proposal, {"tenant": tenant, "ticket_id": ticket_id})
            return await cur.fetchone()

    async def proposal_by_reply_token(self, *, tenant: str, ticket_id: uuid.UUID, token: str) -> Proposal | None:
        """The proposal of this ticket whose buttons carry `token`."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(
                SQL.get_proposal_by_reply_token, {"tenant": tenant, "ticket_id": ticket_id, "reply_token": token}
            )
            return await cur.fetchone()

    async def transition(
        self,
        conn: AsyncConnection[Any],
        *,
        tenant: str,
        proposal_id: uuid.UUID,
        from_statuses: Sequence[str],
        to_status: str,
    ) -> Proposal | None:
        """Moves a proposal to `to_status` if it is in one of `from_statuses`; None otherwise."""
        cur = conn.cursor(row_factory=class_row(Proposal))
        await cur.execute(
            SQL.transition_proposal,
            {
                "tenant": tenant,
                "proposal_id": proposal_id,
                "from_statuses": list(from_statuses),
                "to_status": to_status,
            },
        )
        return await cur.fetchone()

    async def insert_confirmation(
        self, conn: AsyncConnection[Any], *, tenant: str, proposal_id: uuid.UUID, confirmed_by: str, channel: str
    ) -> Confirmation:
        """Records who confirmed and through which channel (once per proposal)."""
        cur = conn.cursor(row_factory=class_row(Confirmation))
        await cur.execute(
            SQL.insert_confirmation,
            {"tenant": tenant, "proposal_id": proposal_id, "confirmed_by": confirmed_by, "channel": channel},
        )
        row = await cur.fetchone()
        assert row is not None
        return row

    async def add_changes(
        self, conn: AsyncConnection[Any], *, tenant: str, ticket_id: uuid.UUID, changes: Sequence[Change]
    ) -> tuple[int, ...]:
        """Writes the step's changes to the outbox in the step's transaction, with the current trace context."""
        ids = []
        trace_context = Jsonb(trace_carrier())
        for change in changes:
            cur = await conn.execute(
                SQL.insert_outbox,
                {
                    "tenant": tenant,
                    "ticket_id": ticket_id,
                    "dedupe_key": change.dedupe_key,
                    "kind": change.kind,
                    "payload": Jsonb(change.payload),
                    "trace_context": trace_context,
                },
            )
            row = await cur.fetchone()
            if row is not None:
                ids.append(int(row[0]))
        return tuple(ids)

    async def visits_of_ticket(self, *, tenant: str, ticket_id: uuid.UUID) -> tuple[list[Proposal], list[Confirmation]]:
        """The ticket's proposals and confirmations, oldest first."""
        params = {"tenant": tenant, "ticket_id": ticket_id}
        async with self.pool.connection() as conn:
            proposals = conn.cursor(row_factory=class_row(Proposal))
            await proposals.execute(SQL.list_proposals, params)
            confirmations = conn.cursor(row_factory=class_row(Confirmation))
            await confirmations.execute(SQL.list_confirmations, params)
            return await proposals.fetchall(), await confirmations.fetchall()

    async def claim_outbox(
        self, conn: AsyncConnection[Any], *, limit: int, ids: Sequence[int] | None = None
    ) -> list[OutboxRow]:
        """Locks due outbox rows for relaying (inside the caller's transaction)."""
        cur = conn.cursor(row_factory=class_row(OutboxRow))
        await cur.execute(SQL.claim_outbox, {"limit": limit, "ids": list(ids) if ids is not None else None})
        return await cur.fetchall()

    async def finish_outbox(self, conn: AsyncConnection[Any], *, row_id: int, status: str, error: str = "") -> None:
        """Marks a row relayed (done) or given up (failed)."""
        await conn.execute(SQL.finish_outbox, {"id": row_id, "status": status, "error": error})

    async def retry_outbox(self, conn: AsyncConnection[Any], *, row_id: int, error: str, delay_seconds: float) -> None:
        """Schedules another attempt."""
        await conn.execute(SQL.retry_outbox, {"id": row_id, "error": error, "delay_seconds": delay_seconds})

    async def outbox_backlog(self) -> tuple[int, float]:
        """Pending rows and the age of the oldest, in seconds."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.outbox_backlog)
            row = await cur.fetchone()
            assert row is not None
            return int(row[0]), float(row[1])

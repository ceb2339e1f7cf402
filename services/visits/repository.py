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
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from services.visits.models import Confirmation, Proposal

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

    async def visits_of_ticket(self, *, tenant: str, ticket_id: uuid.UUID) -> tuple[list[Proposal], list[Confirmation]]:
        """The ticket's proposals and confirmations, oldest first."""
        params = {"tenant": tenant, "ticket_id": ticket_id}
        async with self.pool.connection() as conn:
            proposals = conn.cursor(row_factory=class_row(Proposal))
            await proposals.execute(SQL.list_proposals, params)
            confirmations = conn.cursor(row_factory=class_row(Confirmation))
            await confirmations.execute(SQL.list_confirmations, params)
            return await proposals.fetchall(), await confirmations.fetchall()

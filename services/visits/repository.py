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
from services.visits.models import (
    Agent,
    AgentUser,
    Busy,
    Calendar,
    Confirmation,
    HoursRow,
    OfferedSlot,
    ProjectSettings,
    Proposal,
    TimeOffRow,
    VisitSettings,
)
from services.visits.slots import WeeklyHours

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

    async def agent(self, *, tenant: str, user_id: str) -> Agent | None:
        """The agent as last synced from supervisor; None when never seen."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Agent))
            await cur.execute(SQL.get_agent, {"tenant": tenant, "user_id": user_id})
            return await cur.fetchone()

    async def sync_agents(self, *, tenant: str, users: Sequence[AgentUser], complete: bool) -> None:
        """Stores the users supervisor listed; `complete` means every other id of the tenant is no user now."""
        params = {
            "tenant": tenant,
            "user_ids": [u.user_id for u in users],
            "names": [u.name for u in users],
            "roles": [u.role for u in users],
            "actives": [u.active for u in users],
        }
        async with self.transaction() as conn:
            await conn.execute(SQL.upsert_agents, params)
            if complete:
                await conn.execute(SQL.deactivate_missing_agents, params)

    async def insert_proposal(self, conn: AsyncConnection[Any], *, status: str = "proposed", **values: Any) -> Proposal:
        """Stores a proposal; the database refuses overlaps and a second active one per ticket."""
        cur = conn.cursor(row_factory=class_row(Proposal))
        await cur.execute(SQL.insert_proposal, {"lead_id": None, **values, "status": status})
        row = await cur.fetchone()
        assert row is not None
        return row

    async def find_clash(
        self, *, tenant: str, agent_key: int, blocked_from: datetime, blocked_until: datetime
    ) -> Proposal | None:
        """An active visit of the agent whose blocked time overlaps the given one."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(
                SQL.find_clash,
                {
                    "tenant": tenant,
                    "agent_key": agent_key,
                    "blocked_from": blocked_from,
                    "blocked_until": blocked_until,
                },
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

    async def hours(self, *, tenant: str, agent_keys: Sequence[int]) -> list[HoursRow]:
        """The agents' weekly working blocks."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(HoursRow))
            await cur.execute(SQL.list_agent_hours, {"tenant": tenant, "agent_keys": list(agent_keys)})
            return await cur.fetchall()

    async def replace_hours(self, *, tenant: str, agent_key: int, hours: Sequence[WeeklyHours]) -> None:
        """Replaces the agent's whole week in one transaction."""
        async with self.transaction() as conn:
            await conn.execute(SQL.delete_agent_hours, {"tenant": tenant, "agent_key": agent_key})
            await conn.execute(
                SQL.insert_agent_hours,
                {
                    "tenant": tenant,
                    "agent_key": agent_key,
                    "weekdays": [h.weekday for h in hours],
                    "starts": [h.start_minute for h in hours],
                    "ends": [h.end_minute for h in hours],
                },
            )

    async def time_off(
        self, *, tenant: str, agent_keys: Sequence[int], start: datetime, end: datetime
    ) -> list[TimeOffRow]:
        """The agents' time off and the tenant's holidays overlapping [start, end)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TimeOffRow))
            await cur.execute(
                SQL.list_time_off, {"tenant": tenant, "agent_keys": list(agent_keys), "from": start, "to": end}
            )
            return await cur.fetchall()

    async def add_time_off(self, **values: Any) -> TimeOffRow:
        """Stores time off (of an agent, or of the tenant when `agent_key` is None)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TimeOffRow))
            await cur.execute(SQL.insert_time_off, values)
            row = await cur.fetchone()
            assert row is not None
            return row

    async def delete_time_off(self, *, tenant: str, time_off_id: uuid.UUID, agent_key: int | None) -> bool:
        """Removes time off (only `agent_key`'s own when given); False when there was none."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.delete_time_off, {"tenant": tenant, "id": time_off_id, "agent_key": agent_key})
            return await cur.fetchone() is not None

    async def project_settings(self, *, tenant: str, project_code: str) -> ProjectSettings | None:
        """The project's stored booking rules and agents; None until set."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProjectSettings))
            await cur.execute(SQL.get_project_settings, {"tenant": tenant, "project_code": project_code})
            return await cur.fetchone()

    async def store_project_settings(
        self, *, tenant: str, settings: ProjectSettings, agent_keys: Sequence[int]
    ) -> None:
        """Stores the project's rules and replaces its agents, in one transaction."""
        values = {
            "tenant": tenant,
            "project_code": settings.project_code,
            "visit_minutes": settings.visit_minutes,
            "buffer_before_minutes": settings.buffer_before_minutes,
            "buffer_after_minutes": settings.buffer_after_minutes,
            "min_notice_minutes": settings.min_notice_minutes,
            "horizon_days": settings.horizon_days,
            "slot_step_minutes": settings.slot_step_minutes,
            "agent_keys": list(agent_keys),
        }
        async with self.transaction() as conn:
            await conn.execute(SQL.upsert_project_settings, values)
            await conn.execute(SQL.delete_project_agents, values)
            await conn.execute(SQL.insert_project_agents, values)

    async def project_agents(self, *, tenant: str, project_code: str) -> list[Agent]:
        """The project's agents who are active users."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Agent))
            await cur.execute(SQL.list_project_agents, {"tenant": tenant, "project_code": project_code})
            return await cur.fetchall()

    async def replace_calendar_token(self, *, tenant: str, agent_key: int, token_sha256: str) -> None:
        """Revokes the agent's live feed token and stores the new one's digest."""
        params = {"tenant": tenant, "agent_key": agent_key, "token_sha256": token_sha256}
        async with self.transaction() as conn:
            await conn.execute(SQL.revoke_calendar_tokens, params)
            await conn.execute(SQL.insert_calendar_token, params)

    async def revoke_calendar_token(self, *, tenant: str, agent_key: int) -> bool:
        """Revokes the agent's live feed token; False when there was none."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.revoke_calendar_tokens, {"tenant": tenant, "agent_key": agent_key})
            return await cur.fetchone() is not None

    async def calendar_owner(self, *, token_sha256: str) -> Agent | None:
        """The agent whose live feed token has this digest."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Agent))
            await cur.execute(SQL.get_calendar_owner, {"token_sha256": token_sha256})
            return await cur.fetchone()

    async def agent_visits(self, *, tenant: str, agent_key: int, since: datetime) -> list[Proposal]:
        """The agent's active visits whose blocked time ends after `since`."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Proposal))
            await cur.execute(SQL.list_agent_visits, {"tenant": tenant, "agent_key": agent_key, "since": since})
            return await cur.fetchall()

    async def store_offer(
        self,
        conn: AsyncConnection[Any],
        *,
        tenant: str,
        ticket_id: uuid.UUID,
        project_code: str,
        created_by: str,
        source_key: str | None,
        rows: Sequence[tuple[str, int, datetime, datetime]],
    ) -> uuid.UUID | None:
        """Stores an offer and its rows (token, agent key, start, end); None when `source_key` already offered."""
        cur = await conn.execute(
            SQL.insert_offer,
            {
                "tenant": tenant,
                "ticket_id": ticket_id,
                "project_code": project_code,
                "created_by": created_by,
                "source_key": source_key,
            },
        )
        row = await cur.fetchone()
        if row is None:
            return None
        offer_id = row[0]
        await conn.execute(
            SQL.insert_offered_slots,
            {
                "offer_id": offer_id,
                "tenant": tenant,
                "ticket_id": ticket_id,
                "tokens": [r[0] for r in rows],
                "agent_keys": [r[1] for r in rows],
                "starts": [r[2] for r in rows],
                "ends": [r[3] for r in rows],
            },
        )
        return uuid.UUID(str(offer_id))

    async def offered_slot(self, *, tenant: str, ticket_id: uuid.UUID, token: str) -> OfferedSlot | None:
        """The offered row with this token, only on this ticket."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(OfferedSlot))
            await cur.execute(SQL.get_offered_slot, {"tenant": tenant, "ticket_id": ticket_id, "token": token})
            return await cur.fetchone()

    async def lock_offer(self, conn: AsyncConnection[Any], *, offer_id: uuid.UUID) -> uuid.UUID | None:
        """Locks the offer for this transaction; the proposal it already booked, if any."""
        cur = await conn.execute(SQL.lock_offer, {"offer_id": offer_id})
        row = await cur.fetchone()
        return row[0] if row else None

    async def mark_offer_booked(
        self, conn: AsyncConnection[Any], *, offer_id: uuid.UUID, proposal_id: uuid.UUID
    ) -> None:
        """Records which visit the offer booked."""
        await conn.execute(SQL.mark_offer_booked, {"offer_id": offer_id, "proposal_id": proposal_id})

    async def replace_active(self, conn: AsyncConnection[Any], *, tenant: str, ticket_id: uuid.UUID) -> Proposal | None:
        """Marks the ticket's active visit rescheduled; the one replaced, if any."""
        cur = conn.cursor(row_factory=class_row(Proposal))
        await cur.execute(SQL.replace_active_proposal, {"tenant": tenant, "ticket_id": ticket_id})
        return await cur.fetchone()

    async def visit_settings(self, *, tenant: str) -> VisitSettings | None:
        """The tenant's stored settings, if any."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(VisitSettings))
            await cur.execute(SQL.get_tenant_settings, {"tenant": tenant})
            return await cur.fetchone()

    async def store_visit_settings(self, *, tenant: str, settings: VisitSettings) -> None:
        """Stores the tenant's settings."""
        async with self.pool.connection() as conn:
            await conn.execute(
                SQL.upsert_tenant_settings,
                {
                    "tenant": tenant,
                    "language": settings.language,
                    "reminder_offsets_minutes": settings.reminder_offsets_minutes,
                    "reminder_template": settings.reminder_template,
                    "reminder_template_language": settings.reminder_template_language,
                },
            )

    async def lead_no_shows(
        self, *, tenant: str, ticket_id: uuid.UUID, conn: AsyncConnection[Any] | None = None
    ) -> int:
        """Visits the ticket's lead missed (inside the caller's transaction when `conn` is given)."""
        if conn is None:
            async with self.pool.connection() as own:
                return await self.lead_no_shows(tenant=tenant, ticket_id=ticket_id, conn=own)
        cur = await conn.execute(SQL.count_lead_no_shows, {"tenant": tenant, "ticket_id": ticket_id})
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def set_lead(
        self, conn: AsyncConnection[Any], *, tenant: str, proposal_id: uuid.UUID, lead_id: uuid.UUID
    ) -> None:
        """Records the ticket's lead on a proposal."""
        await conn.execute(SQL.set_proposal_lead, {"tenant": tenant, "proposal_id": proposal_id, "lead_id": lead_id})

    async def calendar(
        self,
        *,
        tenant: str,
        agent_keys: Sequence[int],
        off_window: tuple[datetime, datetime],
        busy_window: tuple[datetime, datetime],
        loads_at: datetime | None,
    ) -> Calendar:
        """The agents' hours, time off, blocked time and (when `loads_at`) upcoming loads, on one connection."""
        keys = list(agent_keys)
        async with self.pool.connection() as conn:
            hours = conn.cursor(row_factory=class_row(HoursRow))
            await hours.execute(SQL.list_agent_hours, {"tenant": tenant, "agent_keys": keys})
            off = conn.cursor(row_factory=class_row(TimeOffRow))
            await off.execute(
                SQL.list_time_off, {"tenant": tenant, "agent_keys": keys, "from": off_window[0], "to": off_window[1]}
            )
            busy = conn.cursor(row_factory=class_row(Busy))
            await busy.execute(
                SQL.list_busy, {"tenant": tenant, "agent_keys": keys, "from": busy_window[0], "to": busy_window[1]}
            )
            loads: dict[int, int] = {}
            if loads_at is not None:
                cur = await conn.execute(SQL.agent_loads, {"tenant": tenant, "agent_keys": keys, "now": loads_at})
                loads = {int(key): int(count) for key, count in await cur.fetchall()}
            return Calendar(
                hours=await hours.fetchall(), time_off=await off.fetchall(), busy=await busy.fetchall(), loads=loads
            )

"""SQL of the ingest service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg.errors
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from services.ingest.models import (
    DeadLetter,
    EventRow,
    Inbound,
    MarketingAsset,
    MessageRow,
    Outbound,
    Project,
    Tenant,
    TicketRow,
    TicketUpdate,
)

SQL = Queries(Path(__file__).parent / "sql")
DEADLOCK_RETRIES = 3


def _json(value: dict[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


class Repository:
    """Typed access to the `ingest` schema."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def upsert_tenant(self, tenant: Tenant) -> Tenant:
        """Creates or updates a tenant by slug."""
        params = {
            "slug": tenant.slug,
            "name": tenant.name,
            "region": tenant.region,
            "timezone": tenant.timezone,
            "meta_phone_number_id": tenant.meta_phone_number_id,
            "meta_app_secret": tenant.meta_app_secret,
            "meta_verify_token": tenant.meta_verify_token,
            "gupshup_app": tenant.gupshup_app,
            "gupshup_token": tenant.gupshup_token,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Tenant))
            await cur.execute(SQL.upsert_tenant, params)
            row = await cur.fetchone()
            assert row is not None
            return row

    async def get_tenant(self, slug: str) -> Tenant | None:
        """The tenant with this slug."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Tenant))
            await cur.execute(SQL.get_tenant, {"slug": slug})
            return await cur.fetchone()

    async def list_tenants(self) -> list[Tenant]:
        """Every tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Tenant))
            await cur.execute(SQL.list_tenants)
            return await cur.fetchall()

    async def resolve_channel(self, **address: str | None) -> list[Tenant]:
        """Tenants owning one of the given channel addresses (at most two, to spot ambiguity)."""
        params = {
            key: address.get(key)
            for key in ("meta_phone_number_id", "gupshup_app", "gupshup_token", "meta_verify_token")
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Tenant))
            await cur.execute(SQL.resolve_channel, params)
            return await cur.fetchall()

    async def upsert_project(self, *, tenant: str, code: str, name: str, location: str) -> Project:
        """Creates or updates a project by code."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Project))
            await cur.execute(SQL.upsert_project, {"tenant": tenant, "code": code, "name": name, "location": location})
            row = await cur.fetchone()
            assert row is not None
            return row

    async def upsert_marketing_asset(
        self, *, tenant: str, code: str, name: str, keyword: str, project_code: str, channel: str
    ) -> MarketingAsset:
        """Creates or updates a marketing asset by code."""
        params = {
            "tenant": tenant,
            "code": code,
            "name": name,
            "keyword": keyword,
            "project_code": project_code,
            "channel": channel,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MarketingAsset))
            await cur.execute(SQL.upsert_marketing_asset, params)
            row = await cur.fetchone()
            assert row is not None
            return row

    async def catalog(self, tenant: str) -> tuple[list[Project], list[MarketingAsset]]:
        """The tenant's projects and marketing assets."""
        async with self.pool.connection() as conn:
            projects = conn.cursor(row_factory=class_row(Project))
            await projects.execute(SQL.list_projects, {"tenant": tenant})
            assets = conn.cursor(row_factory=class_row(MarketingAsset))
            await assets.execute(SQL.list_marketing_assets, {"tenant": tenant})
            return await projects.fetchall(), await assets.fetchall()

    async def project_exists(self, *, tenant: str, code: str) -> bool:
        """Whether the tenant has a project with this code."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.find_project, {"tenant": tenant, "code": code})
            return await cur.fetchone() is not None

    async def store_inbound(self, *, tenant: str, phone_e164: str, message: Inbound, snippet: str) -> dict[str, Any]:
        """Stores one inbound message in one transaction; returns ids and whether it was a duplicate."""
        for attempt in range(DEADLOCK_RETRIES):
            try:
                return await self._store_inbound(tenant=tenant, phone_e164=phone_e164, message=message, snippet=snippet)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                # The transaction was rolled back whole; running it again is safe.
                if attempt == DEADLOCK_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _store_inbound(self, *, tenant: str, phone_e164: str, message: Inbound, snippet: str) -> dict[str, Any]:
        thread_key = {"tenant": tenant, "phone_e164": phone_e164, "channel": message.channel}
        async with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(SQL.find_thread, thread_key)
            thread = await cur.fetchone()
            if thread is None:
                thread = await self._create_thread(conn, thread_key, message)
            lead_name = thread.pop("lead_name")
            if message.profile_name and message.profile_name != lead_name:
                # Lead before ticket, the order in which a new thread locks them too.
                await cur.execute(SQL.update_lead_name, {"lead_id": thread["lead_id"], "name": message.profile_name})
            await cur.execute(
                SQL.insert_inbound_message,
                {
                    **thread,
                    "tenant": tenant,
                    "provider": message.channel,
                    "provider_message_id": message.provider_message_id,
                    "type": message.type,
                    "text": message.text,
                    "media": _json(message.media),
                    "payload": _json(message.payload),
                    "context_message_id": message.context_message_id,
                    "sent_at": message.sent_at,
                    "snippet": snippet,
                },
            )
            inserted = await cur.fetchone()
            if inserted is not None:
                return {**thread, "message_id": inserted["message_id"], "duplicate": False}
            await cur.execute(
                SQL.find_inbound_message,
                {"tenant": tenant, "provider": message.channel, "provider_message_id": message.provider_message_id},
            )
            existing = await cur.fetchone()
            assert existing is not None
            return {**existing, "duplicate": True}

    async def _create_thread(self, conn: AsyncConnection[Any], key: dict[str, Any], message: Inbound) -> dict[str, Any]:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            SQL.match_marketing_asset, {"tenant": key["tenant"], "asset_code": message.asset_code, "text": message.text}
        )
        asset = await cur.fetchone() or {"id": None, "project_id": None}
        project_id = asset["project_id"]
        if message.project_code:
            await cur.execute(SQL.find_project, {"tenant": key["tenant"], "code": message.project_code})
            project = await cur.fetchone()
            project_id = project["id"] if project else project_id
        await cur.execute(
            SQL.create_thread,
            {**key, "name": message.profile_name, "project_id": project_id, "asset_id": asset["id"]},
        )
        thread = await cur.fetchone()
        assert thread is not None
        return thread

    async def record_dead_letter(self, *, tenant: str | None, source: str, reason: str, payload: str) -> uuid.UUID:
        """Keeps a payload nobody could route or read."""
        async with self.pool.connection() as conn:
            digest = hashlib.sha256(f"{tenant}\x00{source}\x00{reason}\x00{payload}".encode()).hexdigest()
            cur = await conn.execute(
                SQL.record_dead_letter,
                {"tenant": tenant, "source": source, "reason": reason, "payload": payload, "dedupe_key": digest},
            )
            row = await cur.fetchone()
            assert row is not None
            return row[0]

    async def list_dead_letters(
        self, *, tenant: str | None, limit: int, before: tuple[datetime, uuid.UUID] | None
    ) -> list[DeadLetter]:
        """Dead letters (of one tenant, or every tenant's for None), newest first, before the given position."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(DeadLetter))
            await cur.execute(
                SQL.list_dead_letters,
                {
                    "tenant": tenant,
                    "limit": limit,
                    "before_at": before[0] if before else None,
                    "before_id": before[1] if before else None,
                },
            )
            return await cur.fetchall()

    async def list_tickets(
        self,
        *,
        tenant: str,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        stage: str | None,
        project_code: str | None,
        assignee_user_id: str | None,
        query: str | None,
    ) -> list[TicketRow]:
        """One page of the tenant's tickets, newest activity first."""
        like = (
            None if query is None else "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        params = {
            "tenant": tenant,
            "limit": limit,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "stage": stage,
            "project_code": project_code,
            "assignee_user_id": assignee_user_id,
            "query": query,
            "query_like": like,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TicketRow))
            await cur.execute(SQL.list_tickets, params)
            return await cur.fetchall()

    async def get_ticket(self, *, tenant: str, ticket_id: uuid.UUID) -> TicketRow | None:
        """One ticket of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TicketRow))
            await cur.execute(SQL.get_ticket, {"tenant": tenant, "ticket_id": ticket_id})
            return await cur.fetchone()

    async def timeline(self, *, tenant: str, ticket_id: uuid.UUID) -> tuple[list[MessageRow], list[EventRow]]:
        """The ticket's messages and events in order."""
        params = {"tenant": tenant, "ticket_id": ticket_id}
        async with self.pool.connection() as conn:
            messages = conn.cursor(row_factory=class_row(MessageRow))
            await messages.execute(SQL.list_ticket_messages, params)
            events = conn.cursor(row_factory=class_row(EventRow))
            await events.execute(SQL.list_ticket_events, params)
            return await messages.fetchall(), await events.fetchall()

    async def apply_ticket_update(self, *, tenant: str, update: TicketUpdate) -> bool:
        """Applies the change once per dedupe key; True when it was applied now."""
        params = {
            "tenant": tenant,
            "ticket_id": update.ticket_id,
            "dedupe_key": update.dedupe_key,
            "event_type": update.event_type,
            "event_payload": Jsonb(update.event_payload),
            "stage": update.stage,
            "visit_scheduled_at": update.visit_scheduled_at,
            "clear_visit_scheduled_at": update.clear_visit_scheduled_at,
            "assignee_user_id": update.assignee_user_id,
        }
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.apply_ticket_update, params)
            return await cur.fetchone() is not None

    async def append_outbound(self, *, tenant: str, outbound: Outbound, snippet: str) -> tuple[uuid.UUID, bool] | None:
        """Stores an outbound message once per dedupe key; None when the ticket doesn't exist."""
        params = {
            "tenant": tenant,
            "ticket_id": outbound.ticket_id,
            "dedupe_key": outbound.dedupe_key,
            "actor": outbound.actor,
            "author_user_id": outbound.author_user_id,
            "text": outbound.text,
            "type": outbound.type,
            "payload": _json(outbound.payload),
            "snippet": snippet,
        }
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(SQL.append_outbound_message, params)
            row = await cur.fetchone()
            if row is not None:
                return row[0], False
            cur = await conn.execute(SQL.find_outbound_message, params)
            row = await cur.fetchone()
            return (row[0], True) if row else None

    async def get_message(self, *, tenant: str, message_id: uuid.UUID) -> MessageRow | None:
        """One message of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MessageRow))
            await cur.execute(SQL.get_message, {"tenant": tenant, "message_id": message_id})
            return await cur.fetchone()

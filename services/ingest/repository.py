"""SQL of the ingest service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg.errors
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from libs.common.outbox import Outbox
from services.ingest.models import (
    LEAD_REPLY,
    ChangeRow,
    DeadLetter,
    EventRow,
    InboundRow,
    LostReason,
    MarketingAsset,
    MessageRow,
    Outbound,
    Project,
    StageCount,
    Tenant,
    TicketFilter,
    TicketRow,
    TicketUpdate,
)
from vertice360.visits.v1 import visits_pb2

SQL = Queries(Path(__file__).parent / "sql")
DEADLOCK_RETRIES = 3


def _json(value: dict[str, Any] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def _lead_update(row: InboundRow, lead: dict[str, Any]) -> dict[str, Any] | None:
    """The contact update `row` makes to its lead as known so far (find_threads.sql's columns); None if none."""
    message, sender = row.message, row.sender
    known = {
        "lead_name": message.profile_name or lead["lead_name"],
        "wa_id": sender.wa_id or lead["wa_id"],
        "user_id": sender.user_id or lead["user_id"],
        "username": message.username or lead["username"],
        "has_referral": lead["has_referral"] or message.referral is not None,
    }
    # A lead known only by its BSUID takes the identity (phone) a later message reveals.
    upgrade = lead["identity"].startswith("bsuid:") and not sender.identity.startswith("bsuid:")
    if upgrade:
        known["identity"] = sender.identity
    if all(known[key] == lead[key] for key in known):
        return None
    referral = message.referral if not lead["has_referral"] else None
    params = {
        "lead_id": lead["lead_id"],
        "name": message.profile_name,
        "wa_id": sender.wa_id,
        "user_id": sender.user_id,
        "username": message.username,
        "referral": _json(referral),
        "ad_id": (referral or {}).get("source_id") or None,
        "identity": sender.identity if upgrade else None,
        "phone_e164": sender.phone_e164,
    }
    return {"params": params, "known": known}


class Repository:
    """Typed access to the `ingest` schema."""

    def __init__(self, pool: AsyncConnectionPool, outbox: Outbox) -> None:
        self.pool = pool
        self.outbox = outbox

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
        self, *, tenant: str, code: str, name: str, keyword: str, project_code: str, channel: str, ad_id: str | None
    ) -> MarketingAsset:
        """Creates or updates a marketing asset by code."""
        params = {
            "tenant": tenant,
            "code": code,
            "name": name,
            "keyword": keyword,
            "project_code": project_code,
            "channel": channel,
            "ad_id": ad_id,
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

    async def store_inbound(self, batch: Sequence[InboundRow]) -> list[dict[str, Any]]:
        """Stores inbound messages in one transaction; for each, the ids and whether it was stored before.

        The whole batch commits or nothing does. It is run again after a deadlock, since the
        transaction was rolled back whole; any other error is the caller's to split up.
        """
        for attempt in range(DEADLOCK_RETRIES):
            try:
                return await self._store_inbound(batch)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == DEADLOCK_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _store_inbound(self, batch: Sequence[InboundRow]) -> list[dict[str, Any]]:
        # One row per provider id: a redelivery inside the batch resolves to the first one's outcome.
        first: dict[tuple[str, str, str], int] = {}
        for index, row in enumerate(batch):
            first.setdefault((row.tenant, row.message.channel, row.message.provider_message_id), index)
        unique = sorted(first.values(), key=lambda index: batch[index].thread_key)
        async with self.pool.connection() as conn, conn.transaction():
            threads = await self._threads(conn, [batch[index] for index in unique])
            cur = conn.cursor(row_factory=dict_row)
            await self._update_leads(cur, [batch[index] for index in sorted(unique)], threads)
            ticket_ids = sorted({threads[batch[index].thread_key]["ticket_id"] for index in unique})
            await cur.execute(SQL.lock_tickets, {"ticket_id": ticket_ids})
            rows = [batch[index] for index in unique]
            await cur.execute(
                SQL.insert_inbound_messages,
                {
                    "position": list(range(len(rows))),
                    "tenant": [row.tenant for row in rows],
                    "conversation_id": [threads[row.thread_key]["conversation_id"] for row in rows],
                    "ticket_id": [threads[row.thread_key]["ticket_id"] for row in rows],
                    "provider": [row.message.channel for row in rows],
                    "provider_message_id": [row.message.provider_message_id for row in rows],
                    "type": [row.message.type for row in rows],
                    "text": [row.message.text for row in rows],
                    "media": [_json(row.message.media) for row in rows],
                    "payload": [_json(row.message.payload) for row in rows],
                    "context_message_id": [row.message.context_message_id for row in rows],
                    "sent_at": [row.message.sent_at for row in rows],
                    "snippet": [row.snippet for row in rows],
                },
            )
            inserted = {found["position"]: found["message_id"] for found in await cur.fetchall()}
            stored: dict[int, dict[str, Any]] = {}
            for position, row in enumerate(rows):
                if position in inserted:
                    thread = threads[row.thread_key]
                    if row.hand_to_visits:
                        await self._hand_to_visits(conn, row, ticket_id=thread["ticket_id"])
                    stored[unique[position]] = {
                        "lead_id": thread["lead_id"],
                        "conversation_id": thread["conversation_id"],
                        "ticket_id": thread["ticket_id"],
                        "message_id": inserted[position],
                        "duplicate": False,
                    }
            before = [unique[position] for position in range(len(rows)) if position not in inserted]
            if before:
                for index, found in zip(before, await self._stored(cur, [batch[i] for i in before]), strict=True):
                    stored[index] = {**found, "duplicate": True}
        results = []
        for index, row in enumerate(batch):
            owner = first[(row.tenant, row.message.channel, row.message.provider_message_id)]
            result = stored[owner]
            results.append(result if owner == index else {**result, "duplicate": True})
        return results

    async def _stored(
        self, cur: psycopg.AsyncCursor[dict[str, Any]], rows: Sequence[InboundRow]
    ) -> list[dict[str, Any] | None]:
        """For each row, the message already stored under its provider id (None when there is none)."""
        await cur.execute(
            SQL.find_inbound_messages,
            {
                "tenant": [row.tenant for row in rows],
                "provider": [row.message.channel for row in rows],
                "provider_message_id": [row.message.provider_message_id for row in rows],
            },
        )
        found: list[dict[str, Any] | None] = [None] * len(rows)
        for stored in await cur.fetchall():
            found[stored.pop("position") - 1] = stored
        return found

    async def _update_leads(
        self, cur: psycopg.AsyncCursor[dict[str, Any]], rows: Sequence[InboundRow], threads: dict[Any, Any]
    ) -> None:
        """What the batch's messages say about their senders (name, address, BSUID, first ad, a number change).

        Only leads something new is said about are written, each once, in id order (leads before tickets,
        each in id order: the order every writer locks them in). A number change is applied once: not when
        its message was stored before, so a late redelivery can't move the lead back.
        """
        moved = [row for row in rows if row.moves_to is not None]
        if moved:
            moved = [row for row, found in zip(moved, await self._stored(cur, moved), strict=True) if found is None]
        updates: dict[Any, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda row: row.message.sent_at):
            thread = threads[row.thread_key]
            update = _lead_update(row, thread)
            if update is not None:
                updates[thread["lead_id"]] = update["params"]
                thread.update(update["known"])
        moves = {
            threads[row.thread_key]["lead_id"]: row.moves_to for row in sorted(moved, key=lambda r: r.message.sent_at)
        }
        for lead_id in sorted(updates.keys() | moves.keys()):
            if lead_id in updates:
                await cur.execute(SQL.update_lead_contact, updates[lead_id])
            target = moves.get(lead_id)
            if target is not None:
                params = {"lead_id": lead_id, "identity": target.identity, "phone_e164": target.phone_e164}
                await cur.execute(SQL.move_lead, {**params, "wa_id": target.wa_id, "user_id": target.user_id})

    async def _hand_to_visits(self, conn: AsyncConnection[Any], row: InboundRow, *, ticket_id: uuid.UUID) -> None:
        """Queues the tap for visits in the message's own transaction: stored together, or not at all."""
        await self.outbox.enqueue(
            conn,
            kind=LEAD_REPLY,
            payload=visits_pb2.HandleLeadReplyRequest(
                ticket_id=str(ticket_id),
                reply_id=row.message.reply_id,
                message_id=f"{row.message.channel}:{row.message.provider_message_id}",
            ),
            tenant=row.tenant,
            dedupe_key=f"{LEAD_REPLY}:{row.tenant}:{row.message.channel}:{row.message.provider_message_id}",
            # A lead's taps reach visits in the order they were stored.
            ordering_key=f"{LEAD_REPLY}:{ticket_id}",
        )

    async def _threads(self, conn: AsyncConnection[Any], rows: Sequence[InboundRow]) -> dict[tuple[str, str, str], Any]:
        """Lead, conversation and ticket for every row's thread key, creating the missing ones in key order."""
        keys = list(dict.fromkeys(row.thread_key for row in rows))
        user_ids = {row.thread_key: row.sender.user_id for row in rows}
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            SQL.find_threads,
            {
                "tenant": [key[0] for key in keys],
                "identity": [key[1] for key in keys],
                "channel": [key[2] for key in keys],
                "user_id": [user_ids[key] for key in keys],
            },
        )
        threads: dict[tuple[str, str, str], Any] = {}
        for found in await cur.fetchall():
            threads[keys[found.pop("position") - 1]] = found
        for row in rows:
            if row.thread_key not in threads:
                threads[row.thread_key] = await self._create_thread(conn, row)
        return threads

    async def _create_thread(self, conn: AsyncConnection[Any], row: InboundRow) -> dict[str, Any]:
        cur = conn.cursor(row_factory=dict_row)
        message = row.message
        ad_id = (message.referral or {}).get("source_id") or None
        await cur.execute(
            SQL.match_marketing_asset,
            {"tenant": row.tenant, "asset_code": message.asset_code, "text": message.text, "ad_id": ad_id},
        )
        asset = await cur.fetchone() or {"id": None, "project_id": None}
        project_id = asset["project_id"]
        if message.project_code:
            await cur.execute(SQL.find_project, {"tenant": row.tenant, "code": message.project_code})
            project = await cur.fetchone()
            project_id = project["id"] if project else project_id
        await cur.execute(
            SQL.create_thread,
            {
                "tenant": row.tenant,
                "identity": row.sender.identity,
                "phone_e164": row.sender.phone_e164,
                "wa_id": row.sender.wa_id,
                "user_id": row.sender.user_id,
                "username": message.username,
                "channel": message.channel,
                "name": message.profile_name,
                "project_id": project_id,
                "asset_id": asset["id"],
                "referral": _json(message.referral),
            },
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
        where: TicketFilter,
        waiting_first: bool = False,
    ) -> list[TicketRow]:
        """One page of the tenant's tickets, newest activity first (or the longest waiting first)."""
        query = where.query
        like = (
            None if query is None else "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        params = {
            "tenant": tenant,
            "limit": limit,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "stage": where.stage,
            "project_code": where.project_code,
            "assignee_user_id": where.assignee_user_id,
            "query": query,
            "query_like": like,
            "unread_only": where.unread_only,
            "window_open": where.window_open,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TicketRow))
            await cur.execute(SQL.list_tickets_waiting if waiting_first else SQL.list_tickets, params)
            return await cur.fetchall()

    async def count_tickets(self, *, tenant: str, where: TicketFilter) -> list[StageCount]:
        """Tickets per stage, in funnel order, with how many of them wait for an answer."""
        params = {"tenant": tenant, "project_code": where.project_code, "assignee_user_id": where.assignee_user_id}
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(StageCount))
            await cur.execute(SQL.count_tickets, params)
            return await cur.fetchall()

    async def tickets(self, ticket_ids: Sequence[uuid.UUID]) -> list[TicketRow]:
        """Tickets by id, whatever their tenant (the change feed filters by tenant itself)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TicketRow))
            await cur.execute(SQL.get_tickets, {"ticket_ids": list(ticket_ids), "tenant": None})
            return await cur.fetchall()

    async def changes(self, event_ids: Sequence[uuid.UUID]) -> list[ChangeRow]:
        """Events by id, oldest first, each with the message it is about."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(SQL.list_changes, {"event_ids": list(event_ids)})
            rows = await cur.fetchall()
        changes = []
        for row in rows:
            event = EventRow(
                id=row.pop("event_id"),
                type=row.pop("event_type"),
                correlation_id=row["ticket_id"],
                payload=row.pop("event_payload"),
                created_at=row.pop("event_created_at"),
            )
            row.pop("tenant"), row.pop("ticket_id")
            changes.append(ChangeRow(event=event, message=MessageRow(**row) if row["id"] is not None else None))
        return changes

    async def get_ticket(self, *, tenant: str, ticket_id: uuid.UUID) -> TicketRow | None:
        """One ticket of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(TicketRow))
            await cur.execute(SQL.get_tickets, {"tenant": tenant, "ticket_ids": [ticket_id]})
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

    async def set_outcome(
        self,
        *,
        tenant: str,
        ticket_id: uuid.UUID,
        from_stages: Sequence[str],
        stage: str,
        event_type: str,
        payload: dict[str, Any],
        dedupe_key: str,
    ) -> bool:
        """Moves the ticket to `stage` with its event when it sits in `from_stages`; True when applied now."""
        params = {
            "tenant": tenant,
            "ticket_id": ticket_id,
            "from_stages": list(from_stages),
            "stage": stage,
            "event_type": event_type,
            "payload": Jsonb(payload),
            "dedupe_key": dedupe_key,
        }
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.set_ticket_outcome, params)
            return await cur.fetchone() is not None

    async def add_note(
        self, *, tenant: str, ticket_id: uuid.UUID, payload: dict[str, Any], dedupe_key: str
    ) -> EventRow | None:
        """Stores a note event; None when the ticket doesn't exist or the key was used."""
        params = {"tenant": tenant, "ticket_id": ticket_id, "payload": Jsonb(payload), "dedupe_key": dedupe_key}
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(EventRow))
            await cur.execute(SQL.add_note, params)
            return await cur.fetchone()

    async def event_by_key(self, *, tenant: str, ticket_id: uuid.UUID, dedupe_key: str) -> EventRow | None:
        """The ticket's event written under this key."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(EventRow))
            await cur.execute(
                SQL.find_event_by_key, {"tenant": tenant, "ticket_id": ticket_id, "dedupe_key": dedupe_key}
            )
            return await cur.fetchone()

    async def lost_reasons(self, tenant: str) -> list[LostReason]:
        """The tenant's own lost reasons, in order (empty when it has none)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(LostReason))
            await cur.execute(SQL.list_lost_reasons, {"tenant": tenant})
            return await cur.fetchall()

    async def set_lost_reasons(self, tenant: str, reasons: Sequence[LostReason]) -> None:
        """Replaces the tenant's lost reasons in one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(SQL.delete_lost_reasons, {"tenant": tenant})
            await conn.execute(
                SQL.insert_lost_reasons,
                {"tenant": tenant, "code": [r.code for r in reasons], "label": [r.label for r in reasons]},
            )

    async def get_message(self, *, tenant: str, message_id: uuid.UUID) -> MessageRow | None:
        """One message of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MessageRow))
            await cur.execute(SQL.get_message, {"tenant": tenant, "message_id": message_id})
            return await cur.fetchone()

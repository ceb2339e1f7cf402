"""SQL of the supervisor service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from prometheus_client import Counter
from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from services.supervisor.models import Draft, MessageTemplate, Outbound, ProviderAccount, StatusUpdate, User

SQL = Queries(Path(__file__).parent / "sql")

# Counted where both paths meet (provider webhooks through the RPC, the sandbox directly); repeats not counted.
DELIVERY_STATUSES = Counter(
    "v360_supervisor_delivery_statuses_total",
    "Delivery statuses recorded (each first report), by provider and status.",
    ["provider", "status"],
)


def _json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


class Repository:
    """Typed access to the `supervisor` schema."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def upsert_user(
        self, *, tenant: str, name: str, email: str, role: str, active: bool, password_hash: str | None
    ) -> User:
        """Creates or updates a user by (tenant, email); a None hash keeps the current password."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(
                SQL.upsert_user,
                {
                    "tenant": tenant,
                    "name": name,
                    "email": email,
                    "role": role,
                    "active": active,
                    "password_hash": password_hash,
                },
            )
            row = await cur.fetchone()
            assert row is not None
            return row

    async def login(self, *, tenant: str, email: str) -> tuple[User, str | None] | None:
        """The user with this email and its password hash."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(SQL.get_login, {"tenant": tenant, "email": email})
            row = await cur.fetchone()
        if row is None:
            return None
        password_hash = row.pop("password_hash")
        return User(**row), password_hash

    async def list_users(self, *, tenant: str, include_inactive: bool) -> list[User]:
        """The tenant's users, supervisors first."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(SQL.list_users, {"tenant": tenant, "include_inactive": include_inactive})
            return await cur.fetchall()

    async def active_user(self, *, tenant: str, user_id: uuid.UUID) -> User | None:
        """The tenant's user with this id, if active."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(SQL.get_active_user, {"tenant": tenant, "user_id": user_id})
            return await cur.fetchone()

    async def least_loaded_supervisor(self, *, tenant: str) -> User | None:
        """The active supervisor holding the fewest tickets."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(SQL.pick_supervisor, {"tenant": tenant})
            return await cur.fetchone()

    async def record_assignment(
        self, *, tenant: str, ticket_id: uuid.UUID, user_id: uuid.UUID, escalated: bool, reason: str
    ) -> None:
        """Remembers who holds the ticket now."""
        async with self.pool.connection() as conn:
            await conn.execute(
                SQL.record_assignment,
                {
                    "tenant": tenant,
                    "ticket_id": ticket_id,
                    "user_id": user_id,
                    "escalated": escalated,
                    "reason": reason,
                },
            )

    async def record_statuses(self, *, tenant: str, statuses: list[StatusUpdate]) -> int:
        """Keeps each status once under every id it names, then moves the replies they name forward.

        Returns how many statuses were new (a status is new when its first id had not seen it).
        """
        async with self.pool.connection() as conn:
            new: list[StatusUpdate] = []
            async with conn.transaction():
                for update in statuses:
                    for index, message_id in enumerate(update.message_ids):
                        cur = await conn.execute(
                            SQL.record_delivery_status,
                            {
                                "tenant": tenant,
                                "provider": update.provider,
                                "provider_message_id": message_id,
                                "status": update.status,
                                "status_at": update.at,
                                "error_code": update.error_code,
                                "error_title": update.error_title,
                                "raw": _json(update.raw),
                            },
                        )
                        if cur.rowcount and index == 0:
                            new.append(update)
                    for also in update.message_ids[1:]:
                        await conn.execute(
                            SQL.link_whatsapp_message_id,
                            {
                                "tenant": tenant,
                                "provider": update.provider,
                                "provider_message_id": update.provider_message_id,
                                "whatsapp_message_id": also,
                            },
                        )
            recorded = len(new)
            for update in new:
                DELIVERY_STATUSES.labels(update.provider, update.status).inc()
            # After the commit: see apply_delivery_statuses.sql for why the order matters.
            named = dict.fromkeys((u.provider, message_id) for u in statuses for message_id in u.message_ids)
            for provider, provider_message_id in named:
                await conn.execute(
                    SQL.apply_delivery_statuses,
                    {"tenant": tenant, "provider": provider, "provider_message_id": provider_message_id},
                )
            return recorded

    async def upsert_provider_account(self, *, tenant: str, account: ProviderAccount) -> ProviderAccount:
        """Creates or replaces the tenant's account with a provider."""
        params = {
            "tenant": tenant,
            "provider": account.provider,
            "sender_id": account.sender_id,
            "secret": account.secret,
            "app_name": account.app_name,
            "base_url": account.base_url,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProviderAccount))
            await cur.execute(SQL.upsert_provider_account, params)
            row = await cur.fetchone()
            assert row is not None
            return row

    async def provider_account(self, *, tenant: str, provider: str) -> ProviderAccount | None:
        """The tenant's account with `provider`, if any."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(ProviderAccount))
            await cur.execute(SQL.get_provider_account, {"tenant": tenant, "provider": provider})
            return await cur.fetchone()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A connection inside one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def insert_outbound(self, conn: AsyncConnection[Any], *, draft: Draft) -> Outbound | None:
        """Stores the reply (in the caller's transaction); None if its idempotency key was taken."""
        params = {
            "tenant": draft.tenant,
            "idempotency_key": draft.idempotency_key,
            "request_hash": draft.request_hash,
            "ticket_id": draft.ticket_id,
            "actor": draft.actor,
            "author_user_id": draft.author_user_id,
            "to_phone": draft.to_phone,
            "channel": draft.channel,
            "kind": draft.kind,
            "text": draft.text,
            "template": _json(draft.template),
            "buttons": _json(draft.buttons),
            "list_menu": _json(draft.list_menu),
        }
        cur = conn.cursor(row_factory=class_row(Outbound))
        await cur.execute(SQL.insert_outbound, params)
        return await cur.fetchone()

    async def outbound_by_key(self, *, tenant: str, idempotency_key: str) -> Outbound | None:
        """The reply stored under this idempotency key."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Outbound))
            await cur.execute(SQL.find_outbound_by_key, {"tenant": tenant, "idempotency_key": idempotency_key})
            return await cur.fetchone()

    async def outbound(self, *, tenant: str, outbound_id: uuid.UUID) -> Outbound | None:
        """One reply of the tenant."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Outbound))
            await cur.execute(SQL.get_outbound, {"tenant": tenant, "outbound_ids": [outbound_id]})
            return await cur.fetchone()

    async def outbound_by_ids(self, outbound_ids: Sequence[uuid.UUID]) -> list[Outbound]:
        """Replies by id, whatever their tenant (the delivery feed filters by tenant itself)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Outbound))
            await cur.execute(SQL.get_outbound, {"outbound_ids": list(outbound_ids), "tenant": None})
            return await cur.fetchall()

    async def upsert_template(self, *, tenant: str, template: MessageTemplate) -> MessageTemplate:
        """Creates or updates a template by (name, language)."""
        params = {
            "tenant": tenant,
            "name": template.name,
            "language": template.language,
            "title": template.title,
            "body": template.body,
            "parameter_count": template.parameter_count,
            "active": template.active,
        }
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MessageTemplate))
            await cur.execute(SQL.upsert_template, params)
            row = await cur.fetchone()
            assert row is not None
            return row

    async def list_templates(self, *, tenant: str, include_inactive: bool) -> list[MessageTemplate]:
        """The tenant's templates by title."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(MessageTemplate))
            await cur.execute(SQL.list_templates, {"tenant": tenant, "include_inactive": include_inactive})
            return await cur.fetchall()

    async def list_outbound(self, *, tenant: str, ticket_id: uuid.UUID, limit: int) -> list[Outbound]:
        """A ticket's replies, oldest first."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(Outbound))
            await cur.execute(SQL.list_outbound_messages, {"tenant": tenant, "ticket_id": ticket_id, "limit": limit})
            return await cur.fetchall()

    async def record_appended(self, *, outbound_id: uuid.UUID, message_id: uuid.UUID) -> None:
        """Notes the ingest message of a reply (the first one)."""
        async with self.pool.connection() as conn:
            await conn.execute(SQL.record_appended, {"outbound_id": outbound_id, "message_id": message_id})

    async def record_sent(self, *, outbound: Outbound, provider: str, provider_message_id: str) -> bool:
        """Notes the provider's id and `sent`, then applies statuses that came first; False if already sent."""
        params = {"outbound_id": outbound.id, "provider": provider, "provider_message_id": provider_message_id}
        async with self.pool.connection() as conn:
            cur = await conn.execute(SQL.record_sent, params)
            recorded = await cur.fetchone() is not None
            await conn.execute(
                SQL.apply_delivery_statuses,
                {"tenant": outbound.tenant, "provider": provider, "provider_message_id": provider_message_id},
            )
            return recorded

    async def record_send_failed(
        self, *, outbound_id: uuid.UUID, row_id: int, claim: uuid.UUID, error_code: str, error_title: str
    ) -> None:
        """Marks the reply failed, if this worker's claim still holds its send row."""
        params = {
            "outbound_id": outbound_id,
            "row_id": row_id,
            "claim": claim,
            "error_code": error_code,
            "error_title": error_title,
        }
        async with self.pool.connection() as conn:
            await conn.execute(SQL.record_send_failed, params)

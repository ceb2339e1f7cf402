"""SQL of the supervisor service: every statement lives in `sql/*.sql`."""

from __future__ import annotations

from pathlib import Path

from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from libs.common.db import Queries
from services.supervisor.models import StatusUpdate, User

SQL = Queries(Path(__file__).parent / "sql")


class Repository:
    """Typed access to the `supervisor` schema."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def upsert_user(self, *, tenant: str, name: str, email: str, role: str, active: bool) -> User:
        """Creates or updates a user by (tenant, email)."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(
                SQL.upsert_user, {"tenant": tenant, "name": name, "email": email, "role": role, "active": active}
            )
            row = await cur.fetchone()
            assert row is not None
            return row

    async def list_users(self, *, tenant: str, include_inactive: bool) -> list[User]:
        """The tenant's users, supervisors first."""
        async with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=class_row(User))
            await cur.execute(SQL.list_users, {"tenant": tenant, "include_inactive": include_inactive})
            return await cur.fetchall()

    async def record_statuses(self, *, tenant: str, statuses: list[StatusUpdate]) -> int:
        """Keeps each status once; returns how many were new."""
        async with self.pool.connection() as conn, conn.transaction():
            recorded = 0
            for update in statuses:
                cur = await conn.execute(
                    SQL.record_delivery_status,
                    {
                        "tenant": tenant,
                        "provider": update.provider,
                        "provider_message_id": update.provider_message_id,
                        "status": update.status,
                        "status_at": update.at,
                        "error_code": update.error_code,
                        "error_title": update.error_title,
                        "raw": Jsonb(update.raw) if update.raw is not None else None,
                    },
                )
                recorded += cur.rowcount
            return recorded

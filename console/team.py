"""The tenant's team as the console needs it: who is still active (sessions end for the others), and names."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from console.backends import Backends
from vertice360.supervisor.v1 import supervisor_pb2

ROLES = {
    supervisor_pb2.ROLE_AGENT: "agent",
    supervisor_pb2.ROLE_SUPERVISOR: "supervisor",
    supervisor_pb2.ROLE_ADMIN: "admin",
}


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    email: str
    role: str
    active: bool


class Team:
    """Each tenant's users, read from supervisor at most once per `fresh_seconds` per tenant."""

    def __init__(self, backends: Backends, *, fresh_seconds: float) -> None:
        self.backends = backends
        self.fresh = fresh_seconds
        self._cache: dict[str, tuple[float, asyncio.Future[dict[str, Member]]]] = {}

    async def members(self, tenant: str) -> dict[str, Member]:
        """Every user of the tenant (active or not), by id."""
        now = time.monotonic()
        cached = self._cache.get(tenant)
        if cached is not None and now - cached[0] < self.fresh:
            return await asyncio.shield(cached[1])
        pending = asyncio.ensure_future(self._load(tenant))
        self._cache[tenant] = (now, pending)
        try:
            return await asyncio.shield(pending)
        except Exception:
            self._cache.pop(tenant, None)
            raise

    async def _load(self, tenant: str) -> dict[str, Member]:
        reply = await self.backends.supervisor.ListUsers(
            supervisor_pb2.ListUsersRequest(include_inactive=True), **self.backends.as_service(tenant)
        )
        return {
            u.id: Member(id=u.id, name=u.name, email=u.email, role=ROLES.get(u.role, "agent"), active=u.active)
            for u in reply.users
        }

    async def active(self, tenant: str, user_id: str) -> Member | None:
        """The user if still active, as they are now (their role may have changed)."""
        member = (await self.members(tenant)).get(user_id)
        return member if member is not None and member.active else None

    async def names(self, tenant: str) -> dict[str, str]:
        """Display names by user id."""
        return {user_id: member.name for user_id, member in (await self.members(tenant)).items()}

    def forget(self, tenant: str) -> None:
        """Drops the cached team (after the console itself changed it)."""
        self._cache.pop(tenant, None)

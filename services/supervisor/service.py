"""Rules of the team and outbound side: users, replies, delivery statuses."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from libs.common.auth import Principal, Role
from libs.common.errors import InvalidArgument
from services.supervisor.models import PROVIDERS, ROLES, STATUSES, StatusUpdate, User
from services.supervisor.repository import Repository
from services.supervisor.settings import SupervisorSettings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_STATUSES = 1000


class SupervisorService:
    """The supervisor service's use cases, each checked against the caller."""

    def __init__(self, *, repository: Repository, settings: SupervisorSettings) -> None:
        self.repository = repository
        self.settings = settings

    async def upsert_user(self, *, principal: Principal, name: str, email: str, role: str, active: bool) -> User:
        """Creates or updates a user of the caller's tenant (admins and services)."""
        principal.require(Role.ADMIN)
        if not name.strip():
            raise InvalidArgument("name is required", field="name")
        if not EMAIL.match(email):
            raise InvalidArgument("email is not valid", field="email")
        if role not in ROLES:
            raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", field="role")
        return await self.repository.upsert_user(
            tenant=principal.tenant, name=name.strip(), email=email.strip().lower(), role=role, active=active
        )

    async def list_users(self, *, principal: Principal, include_inactive: bool) -> list[User]:
        """The caller's team."""
        return await self.repository.list_users(tenant=principal.tenant, include_inactive=include_inactive)

    async def record_statuses(self, *, principal: Principal, statuses: list[StatusUpdate]) -> int:
        """Keeps provider delivery statuses so none is lost (services only)."""
        principal.require(Role.SERVICE)
        if len(statuses) > MAX_STATUSES:
            raise InvalidArgument(f"at most {MAX_STATUSES} statuses per call", field="statuses")
        for update in statuses:
            if update.provider not in PROVIDERS:
                raise InvalidArgument(f"provider must be one of {', '.join(PROVIDERS)}", field="provider")
            if not update.provider_message_id:
                raise InvalidArgument("provider_message_id is required", field="provider_message_id")
            if update.status not in STATUSES:
                raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
        return await self.repository.record_statuses(tenant=principal.tenant, statuses=statuses)


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)

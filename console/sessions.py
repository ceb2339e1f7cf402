"""Signed-in users: server-side sessions in Redis, CSRF tokens, the login throttle, the still-active check."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.auth import Role

SESSION_COOKIE = "v360_session"
# Before login there is no session: the login form's CSRF token is a double-submit cookie.
LOGIN_CSRF_COOKIE = "v360_login_csrf"
_PREFIX = "console:session:"

# One fixed window per key: the first hit sets the expiry, so the count and its reset are atomic.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""


@dataclass(frozen=True, slots=True)
class Session:
    """Who is signed in, for which tenant, and the CSRF token of their forms."""

    tenant: str
    user_id: str
    name: str
    email: str
    role: str
    csrf: str
    tenant_name: str
    timezone: str
    created_at: float

    @property
    def principal_role(self) -> Role:
        """The role as the services know it."""
        return Role(self.role)

    def at_least(self, role: Role) -> bool:
        """Whether this user holds `role` or a higher one."""
        order = [Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
        return order.index(self.principal_role) >= order.index(role)


def _key(session_id: str) -> str:
    # Only a digest is stored: a Redis dump does not hand out live session ids.
    return _PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sessions by an unguessable id (the cookie), expiring `ttl_seconds` after login."""

    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    async def create(
        self, *, tenant: str, user_id: str, name: str, email: str, role: str, tenant_name: str, timezone: str
    ) -> tuple[str, Session]:
        """A new session; returns its id (for the cookie only) and the session."""
        session_id = secrets.token_urlsafe(32)
        session = Session(
            tenant=tenant,
            user_id=user_id,
            name=name,
            email=email,
            role=role,
            csrf=secrets.token_urlsafe(32),
            tenant_name=tenant_name,
            timezone=timezone,
            created_at=time.time(),
        )
        await self.redis.set(_key(session_id), json.dumps(asdict(session)), ex=self.ttl)
        return session_id, session

    async def get(self, session_id: str | None) -> Session | None:
        """The live session with this id, if any."""
        if not session_id or len(session_id) > 100:
            return None
        raw = await self.redis.get(_key(session_id))
        return Session(**json.loads(raw)) if raw else None

    async def delete(self, session_id: str | None) -> None:
        """Ends a session (logout)."""
        if session_id:
            await self.redis.delete(_key(session_id))


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted CSRF token with the expected one."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


class LoginThrottle:
    """Counts login attempts per client address and failures per (tenant, email) in fixed windows."""

    def __init__(self, redis: Redis, *, per_ip: int, failures_per_user: int, window_seconds: int) -> None:
        self.redis = redis
        self.per_ip = per_ip
        self.failures_per_user = failures_per_user
        self.window = window_seconds

    def _user_key(self, tenant: str, email: str) -> str:
        digest = hashlib.sha256(f"{tenant}\x00{email.strip().lower()}".encode()).hexdigest()
        return f"console:login:user:{digest}:{int(time.time()) // self.window}"

    async def attempt(self, *, client_ip: str, tenant: str, email: str) -> int | None:
        """Counts an attempt; the seconds to wait when over a budget, None when it may go ahead."""
        window = int(time.time()) // self.window
        try:
            count, ttl = await self.redis.eval(_HIT, 1, f"console:login:ip:{client_ip}:{window}", self.window)  # type: ignore[misc]
            if int(count) > self.per_ip:
                return max(int(ttl), 1)
            failures = int(await self.redis.get(self._user_key(tenant, email)) or 0)
            if failures >= self.failures_per_user:
                return max(int(await self.redis.ttl(self._user_key(tenant, email))), 1)
        except (RedisError, OSError):
            # Without Redis there is no session store either: the login fails further on anyway.
            return None
        return None

    async def failed(self, *, tenant: str, email: str) -> None:
        """Counts a failed attempt against the (tenant, email) pair."""
        await self.redis.eval(_HIT, 1, self._user_key(tenant, email), self.window)  # type: ignore[misc]

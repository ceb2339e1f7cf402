"""Rate limits on the dashboard API, per client IP and per tenant, counted in Redis."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import error_response
from gateway.metrics import RATE_LIMITED
from libs.common.auth import verify_token
from libs.common.errors import DomainError

log = logging.getLogger(__name__)

# One fixed window per key: the first hit sets the expiry, so the count and its reset are atomic.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""


class RateLimitMiddleware:
    """Answers 429 with Retry-After when a client IP or a tenant goes over its budget for the window.

    Only paths under `prefix` are limited: provider webhooks are never refused for volume (a refused
    webhook is a message delayed by the provider's retry schedule). When Redis can't be reached the
    request goes through: the limit protects the service, it must not take it down.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        secret: str,
        per_ip: int,
        per_tenant: int,
        window_seconds: int,
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.secret = secret
        self.per_ip = per_ip
        self.per_tenant = per_tenant
        self.window = window_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        redis: Redis | None = getattr(scope["app"].state, "redis", None)
        if redis is not None:
            refusal = await self._over_budget(redis, scope)
            if refusal is not None:
                scope_name, retry_after = refusal
                RATE_LIMITED.labels(scope_name).inc()
                response = error_response(
                    status=429,
                    message=f"too many requests for this {scope_name}; retry in {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _over_budget(self, redis: Redis, scope: Scope) -> tuple[str, int] | None:
        window = int(time.time()) // self.window
        budgets = [("client", f"rl:ip:{_client_ip(scope)}:{window}", self.per_ip)]
        tenant = _tenant(scope, self.secret)
        if tenant:
            budgets.append(("tenant", f"rl:tenant:{tenant}:{window}", self.per_tenant))
        try:
            for name, key, limit in budgets:
                count, ttl = await redis.eval(_HIT, 1, key, self.window)  # type: ignore[misc]
                if int(count) > limit:
                    return name, max(int(ttl), 1)
        except (RedisError, OSError) as exc:
            log.warning("rate limiter skipped: redis unavailable (%s)", type(exc).__name__)
        return None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _tenant(scope: Scope, secret: str) -> str:
    authorization = Headers(scope=scope).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return ""
    try:
        return verify_token(secret, token.strip()).tenant
    except DomainError:
        # An invalid token is the route's to refuse (401); it still counts against the IP.
        return ""

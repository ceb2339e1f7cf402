"""Rate limits kept in Redis with GCRA: dashboard budgets per client address and per tenant, and a budget of
unauthenticated webhook failures per client address.

GCRA (the generic cell rate algorithm) stores one timestamp per key: each hit moves it forward by
window/limit, and a hit is refused while that would put it more than a window ahead of now. So a
client gets `limit` hits per window however they fall, never twice that across a window boundary as a
fixed-window counter allows. It is a few lines of Lua rather than a library because the time comes
from the caller: tests drive it with their own clock instead of sleeping (the maintained `limits`
package reads Redis's clock), and it runs on the app's own Redis client with its short timeout.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import error_response
from gateway.metrics import RATE_LIMIT_FAIL_OPEN, RATE_LIMITED
from libs.common.auth import verify_token
from libs.common.errors import DomainError

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# KEYS[1]: the budget. ARGV: now, emission interval, window (all ms), cost (0 only looks).
# Returns {1, 0} when allowed (and, with a cost, counted), else {0, ms until the next hit is allowed}.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local next_tat = tat + interval * math.max(cost, 1)
local wait = next_tat - window - now
if wait > 0 then return {0, wait} end
if cost > 0 then redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now) end
return {1, 0}
"""
# After Redis failed to answer in time, requests skip it for this long (each counted as failing open).
FAIL_OPEN_PAUSE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Budget:
    """`limit` hits per `window_seconds`."""

    limit: int
    window_seconds: float


class Limiter:
    """GCRA budgets in Redis. Every call is bounded by `timeout`; when Redis is slow or down it lets the
    request through (the limit protects the service, it must not take it down) and counts that."""

    def __init__(self, redis: Redis, *, timeout: float, clock: Clock = time.time) -> None:
        self._redis = redis
        self._script = redis.register_script(_GCRA)
        self._timeout = timeout
        self._clock = clock
        self._paused_until = float("-inf")

    async def close(self) -> None:
        """Closes the Redis client."""
        await self._redis.aclose()

    async def hit(self, key: str, budget: Budget) -> int | None:
        """Counts one hit; None when allowed, else the seconds until the next would be (Retry-After)."""
        return await self._run(key, budget, cost=1)

    async def exhausted(self, key: str, budget: Budget) -> int | None:
        """Like `hit` but counts nothing: whether one more hit would be refused right now."""
        return await self._run(key, budget, cost=0)

    async def _run(self, key: str, budget: Budget, *, cost: int) -> int | None:
        now = self._clock()
        if now < self._paused_until:
            RATE_LIMIT_FAIL_OPEN.labels("paused").inc()
            return None
        window_ms = int(budget.window_seconds * 1000)
        interval_ms = max(1, window_ms // budget.limit)
        try:
            async with asyncio.timeout(self._timeout):
                allowed, wait_ms = await self._script(
                    # Each budget its own key: another limit or window on the same name starts afresh.
                    keys=[f"{key}:{budget.limit}/{window_ms}"],
                    args=[int(now * 1000), interval_ms, window_ms, cost],
                )
        except (RedisError, OSError, TimeoutError) as exc:
            self._paused_until = now + FAIL_OPEN_PAUSE_SECONDS
            RATE_LIMIT_FAIL_OPEN.labels("timeout" if isinstance(exc, TimeoutError) else "error").inc()
            log.warning("rate limits skipped for a moment: redis did not answer (%s)", type(exc).__name__)
            return None
        if int(allowed):
            return None
        return max(1, math.ceil(int(wait_ms) / 1000))


def client_address(scope: Scope) -> str:
    """The client's address as the server resolved it (X-Forwarded-For only from TRUSTED_PROXIES)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def too_many(what: str, retry_after: int) -> JSONResponse:
    """The 429 refusal, with Retry-After."""
    return error_response(
        status=429,
        message=f"too many requests for this {what}; retry in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


class RateLimitMiddleware:
    """Answers 429 with Retry-After when a client address or a tenant goes over its dashboard API budget.

    Only paths under `prefix` are limited: provider webhooks are never refused for volume (a refused
    webhook is a message delayed by the provider's retry schedule).
    """

    def __init__(self, app: ASGIApp, *, prefix: str, secret: str, per_ip: Budget, per_tenant: Budget) -> None:
        self.app = app
        self.prefix = prefix
        self.secret = secret
        self.per_ip = per_ip
        self.per_tenant = per_tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        limiter: Limiter | None = getattr(scope["app"].state, "limiter", None)
        if limiter is not None:
            budgets = [("client", f"rl:ip:{client_address(scope)}", self.per_ip)]
            tenant = _tenant(scope, self.secret)
            if tenant:
                budgets.append(("tenant", f"rl:tenant:{tenant}", self.per_tenant))
            for name, key, budget in budgets:
                retry_after = await limiter.hit(key, budget)
                if retry_after is not None:
                    RATE_LIMITED.labels(name).inc()
                    await too_many(name, retry_after)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _tenant(scope: Scope, secret: str) -> str:
    authorization = Headers(scope=scope).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return ""
    try:
        return verify_token(secret, token.strip()).tenant
    except DomainError:
        # An invalid token is the route's to refuse (401); it still counts against the address.
        return ""

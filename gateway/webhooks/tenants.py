"""A short-lived cache of every tenant's channel settings and secrets, for routing and checking webhooks."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from vertice360.ingest.v1 import ingest_pb2

Fetch = Callable[[], Awaitable[Iterable[ingest_pb2.Tenant]]]


def _same(given: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str and a path token can be anything.
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class TenantSnapshot:
    """The tenant list as fetched at one moment."""

    tenants: tuple[ingest_pb2.Tenant, ...] = ()
    fetched_at: float = field(default=float("-inf"))

    def by_phone_number_id(self, phone_number_id: str) -> ingest_pb2.Tenant | None:
        """The tenant owning a Meta phone_number_id."""
        if not phone_number_id:
            return None
        return next((t for t in self.tenants if t.meta_phone_number_id == phone_number_id), None)

    def by_gupshup_token(self, token: str) -> ingest_pb2.Tenant | None:
        """The tenant whose Gupshup callback token is `token`, comparing against every tenant in constant time."""
        found = None
        for tenant in self.tenants:
            if tenant.gupshup_token and _same(token, tenant.gupshup_token) and found is None:
                found = tenant
        return found

    def meta_secrets(self, shared_secret: str) -> list[str]:
        """Every Meta app secret a webhook may be signed with: the shared one and each tenant's own."""
        secrets = [shared_secret, *(tenant.meta_app_secret for tenant in self.tenants)]
        return list(dict.fromkeys(secret for secret in secrets if secret))

    def is_meta_verify_token(self, token: str, shared_token: str) -> bool:
        """True when `token` is the shared verify token or any tenant's own (constant time over all)."""
        if not token:
            return False
        candidates = [shared_token, *(tenant.meta_verify_token for tenant in self.tenants)]
        matches = [_same(token, candidate) for candidate in candidates if candidate]
        return any(matches)


class TenantDirectory:
    """Serves the tenant list from memory for `ttl_seconds`; refetches when stale or after a lookup missed."""

    def __init__(self, *, fetch: Fetch, ttl_seconds: float, min_refresh_seconds: float = 1.0) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        # A stream of webhooks for an unknown number must not turn into a stream of ListTenants calls.
        self._min_refresh = min_refresh_seconds
        self._snapshot = TenantSnapshot()
        self._lock = asyncio.Lock()

    async def current(self) -> TenantSnapshot:
        """The cached list, fetched again when older than the TTL."""
        if time.monotonic() - self._snapshot.fetched_at < self._ttl:
            return self._snapshot
        return await self._reload(max_age=self._ttl)

    async def refreshed(self) -> TenantSnapshot:
        """The list as fetched after this call began, so a tenant added just before a miss is seen.

        Fetches happen at most once per `min_refresh_seconds`: a miss in between waits for the next
        fetch instead of being answered from the old list (which would dead-letter a new tenant's
        first webhooks).
        """
        asked_at = time.monotonic()
        async with self._lock:
            if self._snapshot.fetched_at >= asked_at:
                return self._snapshot
            wait = self._snapshot.fetched_at + self._min_refresh - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            return await self._fetch_now()

    async def _reload(self, *, max_age: float) -> TenantSnapshot:
        async with self._lock:
            # Another request may have reloaded while this one waited for the lock.
            if time.monotonic() - self._snapshot.fetched_at < max_age:
                return self._snapshot
            return await self._fetch_now()

    async def _fetch_now(self) -> TenantSnapshot:
        # Stamped with the start of the fetch: tenants added before it are in the list.
        started = time.monotonic()
        tenants = tuple(await self._fetch())
        self._snapshot = TenantSnapshot(tenants=tenants, fetched_at=started)
        return self._snapshot

"""A short-lived cache of every tenant's channel settings and secrets, indexed for routing and checking webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from vertice360.ingest.v1 import ingest_pb2

Fetch = Callable[[], Awaitable[Iterable[ingest_pb2.Tenant]]]
Tenant = ingest_pb2.Tenant
# A forged body may name many tenants' numbers: at most this many secrets are tried, so rejecting it costs
# the same whatever the number of tenants. A genuine body is signed by one app, whose numbers it names.
MAX_SIGNATURE_CANDIDATES = 4


def _fingerprint(token: str) -> bytes:
    # Tokens are looked up by their hash: the dict compares hashes the caller can't steer byte by byte.
    return hashlib.sha256(token.encode()).digest()


def _same(given: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str and a path token can be anything.
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class TenantSnapshot:
    """The tenant list as fetched at one moment, indexed by phone_number_id and by token fingerprint."""

    tenants: tuple[Tenant, ...] = ()
    fetched_at: float = field(default=float("-inf"))
    _by_phone: dict[str, Tenant] = field(init=False, repr=False, compare=False)
    _by_gupshup: dict[bytes, Tenant] = field(init=False, repr=False, compare=False)
    _verify_tokens: dict[bytes, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_phone: dict[str, Tenant] = {}
        by_gupshup: dict[bytes, Tenant] = {}
        verify_tokens: dict[bytes, str] = {}
        for tenant in self.tenants:
            if tenant.meta_phone_number_id:
                by_phone.setdefault(tenant.meta_phone_number_id, tenant)
            if tenant.gupshup_token:
                by_gupshup.setdefault(_fingerprint(tenant.gupshup_token), tenant)
            if tenant.meta_verify_token:
                verify_tokens.setdefault(_fingerprint(tenant.meta_verify_token), tenant.meta_verify_token)
        object.__setattr__(self, "_by_phone", by_phone)
        object.__setattr__(self, "_by_gupshup", by_gupshup)
        object.__setattr__(self, "_verify_tokens", verify_tokens)

    def by_phone_number_id(self, phone_number_id: str) -> Tenant | None:
        """The tenant owning a Meta phone_number_id."""
        return self._by_phone.get(phone_number_id) if phone_number_id else None

    def knows_all(self, phone_number_ids: Iterable[str]) -> bool:
        """Whether every (non-empty) phone_number_id is some tenant's."""
        return all(pnid in self._by_phone for pnid in phone_number_ids if pnid)

    def by_gupshup_token(self, token: str) -> Tenant | None:
        """The tenant whose Gupshup callback token is `token` (found by hash, confirmed in constant time)."""
        tenant = self._by_gupshup.get(_fingerprint(token)) if token else None
        return tenant if tenant is not None and _same(token, tenant.gupshup_token) else None

    def signature_candidates(self, phone_number_ids: Iterable[str], shared_secret: str) -> list[str]:
        """The secrets a body naming these numbers may be signed with: the shared one, then each named
        tenant's own, at most MAX_SIGNATURE_CANDIDATES."""
        named = (self._by_phone.get(pnid) for pnid in phone_number_ids if pnid)
        secrets = [shared_secret, *(tenant.meta_app_secret for tenant in named if tenant is not None)]
        return list(dict.fromkeys(secret for secret in secrets if secret))[:MAX_SIGNATURE_CANDIDATES]

    def signer(self, secret: str, phone_number_ids: Iterable[str]) -> str:
        """The first named tenant whose own app secret is `secret` ("" when none: the shared app signed)."""
        for pnid in phone_number_ids:
            tenant = self._by_phone.get(pnid)
            if tenant is not None and tenant.meta_app_secret and tenant.meta_app_secret == secret:
                return tenant.slug
        return ""

    def is_meta_verify_token(self, token: str, shared_token: str) -> bool:
        """True when `token` is the shared verify token or any tenant's own (by hash, then constant time)."""
        if not token:
            return False
        shared = bool(shared_token) and _same(token, shared_token)
        own = self._verify_tokens.get(_fingerprint(token))
        return shared or (own is not None and _same(token, own))


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

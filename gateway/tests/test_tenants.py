"""The tenant cache: TTL, refresh on a miss (rate-limited), constant-time lookups."""

from __future__ import annotations

import asyncio

from gateway.webhooks.tenants import MAX_SIGNATURE_CANDIDATES, TenantDirectory, TenantSnapshot
from vertice360.ingest.v1 import ingest_pb2

ACME = ingest_pb2.Tenant(
    slug="acme",
    meta_phone_number_id="111",
    gupshup_app="AcmeApp",
    meta_app_secret="acme-own-app-secret",
    meta_verify_token="acme-verify-token",
    gupshup_token="acme-gupshup-token",
)
# Beta has no Meta app secret of its own: it uses the shared app.
BETA = ingest_pb2.Tenant(slug="beta", meta_phone_number_id="222", gupshup_token="beta-gupshup-token")


class CountingFetch:
    def __init__(self, tenants: list[ingest_pb2.Tenant]) -> None:
        self.tenants = tenants
        self.calls = 0

    async def __call__(self) -> list[ingest_pb2.Tenant]:
        self.calls += 1
        await asyncio.sleep(0)
        return list(self.tenants)


async def test_list_is_served_from_memory_within_the_ttl() -> None:
    fetch = CountingFetch([ACME])
    directory = TenantDirectory(fetch=fetch, ttl_seconds=60)
    await directory.current()
    await directory.current()
    assert fetch.calls == 1


async def test_zero_ttl_fetches_every_time() -> None:
    fetch = CountingFetch([ACME])
    directory = TenantDirectory(fetch=fetch, ttl_seconds=0)
    await directory.current()
    await directory.current()
    assert fetch.calls == 2


async def test_a_miss_sees_a_tenant_added_just_before_and_bursts_share_one_fetch() -> None:
    fetch = CountingFetch([ACME])
    directory = TenantDirectory(fetch=fetch, ttl_seconds=60, min_refresh_seconds=0.2)
    # Measured from before the first fetch, which the next allowed fetch counts from (a busy machine may take
    # a while to finish the first).
    began = asyncio.get_running_loop().time()
    first = await directory.current()
    assert first.by_phone_number_id("222") is None
    fetch.tenants.append(BETA)
    # Fetched moments ago: the misses wait for the next allowed fetch, and share it.
    snapshots = await asyncio.gather(*(directory.refreshed() for _ in range(10)))
    assert all(s.by_phone_number_id("222") == BETA for s in snapshots)
    assert fetch.calls == 2
    assert asyncio.get_running_loop().time() - began >= 0.15


async def test_concurrent_reloads_share_one_fetch() -> None:
    fetch = CountingFetch([ACME])
    directory = TenantDirectory(fetch=fetch, ttl_seconds=60)
    await asyncio.gather(*(directory.current() for _ in range(10)))
    assert fetch.calls == 1


def test_snapshot_lookups() -> None:
    snapshot = TenantSnapshot(tenants=(ACME, BETA))
    assert snapshot.by_phone_number_id("111") == ACME
    assert snapshot.by_phone_number_id("") is None
    assert snapshot.by_gupshup_token("beta-gupshup-token") == BETA
    assert snapshot.by_gupshup_token("beta-gupshup-token-x") is None
    assert snapshot.by_gupshup_token("") is None
    assert snapshot.by_gupshup_token("ñandú") is None
    # Only the secrets that can apply to the numbers a body names, the shared one first.
    assert snapshot.signature_candidates(["111", "222", "999"], "shared") == ["shared", "acme-own-app-secret"]
    assert snapshot.signature_candidates(["222"], "shared") == ["shared"]
    assert snapshot.signature_candidates(["111"], "") == ["acme-own-app-secret"]
    assert snapshot.signer("acme-own-app-secret", ["222", "111"]) == "acme"
    assert snapshot.signer("shared", ["111"]) == ""
    assert snapshot.knows_all(["111", "222", ""])
    assert not snapshot.knows_all(["111", "999"])
    assert snapshot.is_meta_verify_token("acme-verify-token", "shared")
    assert snapshot.is_meta_verify_token("shared", "shared")
    assert not snapshot.is_meta_verify_token("", "")
    assert not snapshot.is_meta_verify_token("nope", "shared")


def test_a_forgery_naming_every_tenant_gets_a_bounded_number_of_candidates() -> None:
    tenants = [
        ingest_pb2.Tenant(slug=f"t{i}", meta_phone_number_id=str(i), meta_app_secret=f"secret-{i}") for i in range(1000)
    ]
    snapshot = TenantSnapshot(tenants=tuple(tenants))
    candidates = snapshot.signature_candidates([str(i) for i in range(1000)], "shared")
    assert candidates == ["shared", "secret-0", "secret-1", "secret-2"][:MAX_SIGNATURE_CANDIDATES]

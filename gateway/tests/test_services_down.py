"""The gateway when a service is down: webhooks answer 503 only without ingest (the provider retries), and
stay in service without visits, supervisor or Redis; readiness per route group says who is down.

Each test gets a private stack, so the session's services stay up for every other test.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from gateway.tests.builders import JSON, encode, gupshup_bytes, meta_bytes, meta_json, new_channel_tenant, signed
from gateway.tests.conftest import SHARED_VERIFY_TOKEN, Gateway, serving
from gateway.tests.stored import Counts, counts, messages_of, received_events
from tests.support.stack import running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def private(database_url: str, redis_url: str) -> AsyncIterator[Gateway]:
    """A gateway in front of services of its own, which the test may stop."""
    async with (
        running_stack(database_url=database_url, redis_url=redis_url) as stack,
        # The tenant list stays cached while ingest is down, as it would between two webhooks.
        serving(stack, TENANT_CACHE_SECONDS=60) as gateway,
    ):
        yield gateway


async def until_accepted(post: Callable[[], Awaitable[httpx.Response]], *, seconds: float = 15) -> httpx.Response:
    """Posts again, as the provider would, until the gateway acknowledges."""
    deadline = time.monotonic() + seconds
    while True:
        response = await post()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        assert response.status_code == 503, response.text
        await asyncio.sleep(0.2)


async def load_tenants(gateway: Gateway) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": SHARED_VERIFY_TOKEN, "hub.challenge": "1"}
    assert (await gateway.client.get("/webhooks/meta", params=params)).status_code == 200


async def test_ingest_down_is_503_with_retry_after_and_the_redelivery_is_stored_once(private: Gateway) -> None:
    tenant = await new_channel_tenant(private.stack)
    await load_tenants(private)
    body = meta_bytes("text", tenant.phone_number_id)

    async def post() -> httpx.Response:
        return await private.client.post("/webhooks/meta", content=body, headers=signed(body, tenant.app_secret))

    retries = await private.metric("v360_webhooks_total", provider="meta", result="retry")
    await private.stack.stop_service("ingest")
    refused = await post()
    assert refused.status_code == 503
    assert await private.metric("v360_webhooks_total", provider="meta", result="retry") == retries + 1
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"] == {
        "code": "UNAVAILABLE",
        "message": "a backend service is unavailable, retry later",
        "details": [],
    }
    assert await counts(private, tenant.slug) == Counts(0, 0, 0, 0, 0)

    await private.stack.start_service("ingest")
    accepted = await until_accepted(post)
    assert accepted.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert (await post()).json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await private.only_ticket(tenant.slug)
    assert len(messages_of(detail)) == len(received_events(detail)) == 1


async def test_gupshup_with_ingest_down_is_503_then_stored_once(private: Gateway) -> None:
    tenant = await new_channel_tenant(private.stack)
    await load_tenants(private)
    body = gupshup_bytes("text", tenant.gupshup_app)

    async def post() -> httpx.Response:
        return await private.client.post(f"/webhooks/gupshup/{tenant.gupshup_token}", content=body, headers=JSON)

    await private.stack.stop_service("ingest")
    refused = await post()
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
    await private.stack.start_service("ingest")
    assert (await until_accepted(post)).json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert await counts(private, tenant.slug) == Counts(1, 1, 1, 1, 1)


async def test_readiness_names_the_services_that_are_down(private: Gateway) -> None:
    assert (await private.client.get("/readyz")).status_code == 200
    for name in ("ingest", "visits", "supervisor"):
        await private.stack.stop_service(name)
    intake = await private.client.get("/readyz")
    assert intake.status_code == 503
    assert {detail["check"] for detail in intake.json()["error"]["details"]} == {"ingest"}
    response = await private.client.get("/readyz/dashboard")
    assert response.status_code == 503
    body = response.json()
    assert {detail["check"] for detail in body["error"]["details"]} == {"ingest", "visits", "supervisor"}
    assert (body["checks"]["postgres"], body["checks"]["redis"]) == ("ok", "ok")
    # Back up: readiness follows once the channel has reconnected (its backoff is about a second).
    await private.stack.start_service("visits")
    deadline = time.monotonic() + 10
    while True:
        down = {
            detail["check"] for detail in (await private.client.get("/readyz/dashboard")).json()["error"]["details"]
        }
        if down == {"ingest", "supervisor"} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert down == {"ingest", "supervisor"}


def tapped(phone_number_id: str, reply_id: str) -> bytes:
    """A stored Meta button reply routed to the tenant, tapping `reply_id`."""
    body = meta_json("interactive_button_reply", phone_number_id)
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["interactive"]["button_reply"]["id"] = reply_id
    message["id"] = f"wamid.tap-{secrets.token_hex(6)}"
    return encode(body)


async def test_intake_stays_in_service_with_visits_supervisor_and_redis_down(database_url: str, redis_url: str) -> None:
    async with (
        running_stack(database_url=database_url, redis_url=redis_url) as stack,
        serving(stack, REDIS_URL="redis://127.0.0.1:1/0", READY_CHECK_TIMEOUT_SECONDS=0.3) as gateway,
    ):
        tenant = await new_channel_tenant(stack)
        await load_tenants(gateway)
        for name in ("visits", "supervisor"):
            await stack.stop_service(name)
        assert (await gateway.client.get("/readyz")).status_code == 200
        dashboard = await gateway.client.get("/readyz/dashboard")
        assert dashboard.status_code == 503
        assert {d["check"] for d in dashboard.json()["error"]["details"]} == {"redis", "visits", "supervisor"}
        # A lead taps a visit button (the hand-off to visits waits in ingest's outbox) and writes.
        for body in (
            tapped(tenant.phone_number_id, "v360v:c:unknown-token"),
            meta_bytes("text", tenant.phone_number_id),
        ):
            response = await gateway.client.post(
                "/webhooks/meta", content=body, headers=signed(body, tenant.app_secret)
            )
            assert (response.status_code, response.json()["received"]) == (200, 1), response.text
        assert await counts(gateway, tenant.slug) == Counts(1, 1, 1, 2, 2)

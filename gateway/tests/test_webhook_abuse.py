"""Forged, foreign and guessed webhooks through the real app and services: what a forgery costs, where a
foreign body's parts end up, and how failed authentications are throttled per client address."""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

import httpx
import pytest

from gateway.routes import webhooks as webhook_routes
from gateway.tests.builders import JSON, encode, meta_bytes, meta_json, new_channel_tenant, signed
from gateway.tests.conftest import SHARED_APP_SECRET, Gateway, serving
from gateway.tests.stored import letters_naming, letters_of, nothing_stored
from gateway.webhooks.tenants import MAX_SIGNATURE_CANDIDATES

pytestmark = pytest.mark.integration

FAILURES = 3
# The throttle fails open when Redis is slow: on a busy test machine it must not time out.


def an_address() -> str:
    """A client address no other test (or earlier run sharing this Redis) used."""
    return f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def naming(*phone_number_ids: str) -> dict[str, Any]:
    """One body with a text message change for each number, every message id its own."""
    entries = []
    for pnid in phone_number_ids:
        body = meta_json("text", pnid)
        body["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.{secrets.token_hex(8)}"
        entries += body["entry"]
    return {"object": "whatsapp_business_account", "entry": entries}


async def post_meta(client: httpx.AsyncClient, body: Any, secret: str | None) -> httpx.Response:
    raw = encode(body)
    return await client.post("/webhooks/meta", content=raw, headers=signed(raw, secret))


class Hmacs:
    """Counts the HMACs computed over one body (JWT checks elsewhere in this process are not counted)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
        self.count = 0
        real = hmac.new

        def counting(key: bytes, msg: Any = None, digestmod: Any = "") -> Any:
            if isinstance(msg, bytes | bytearray) and len(msg) == size:
                self.count += 1
            return real(key, msg, digestmod)

        monkeypatch.setattr(hmac, "new", counting)


async def test_a_forgery_costs_a_few_hmacs_however_many_tenants_it_names(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = [await new_channel_tenant(gateway.stack) for _ in range(2 * MAX_SIGNATURE_CANDIDATES)]
    for named in (tenants[:1], tenants):
        raw = encode(naming(*(tenant.phone_number_id for tenant in named)))
        headers = signed(raw, "a-guess")
        hmacs = Hmacs(monkeypatch, len(raw))
        response = await gateway.client.post("/webhooks/meta", content=raw, headers=headers)
        assert response.status_code == 401
        # The shared secret and the named tenants' own, at most MAX_SIGNATURE_CANDIDATES, each once; never
        # one per tenant the gateway knows.
        assert hmacs.count == min(1 + len(named), MAX_SIGNATURE_CANDIDATES)
    for tenant in tenants:
        assert await nothing_stored(gateway, tenant.slug)


async def test_a_signed_body_is_parsed_once_and_checked_with_one_hmac(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await new_channel_tenant(gateway.stack, own_secret=False)
    raw = meta_bytes("text", tenant.phone_number_id)
    headers = signed(raw, SHARED_APP_SECRET)
    hmacs = Hmacs(monkeypatch, len(raw))
    parses = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        if len(text) == len(raw):
            parses.append(len(text))
        return real_loads(text, **kwargs)

    monkeypatch.setattr(webhook_routes.json, "loads", counting_loads)
    response = await gateway.client.post("/webhooks/meta", content=raw, headers=headers)
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert (hmacs.count, parses) == (1, [len(raw)])


async def test_a_body_signed_by_one_tenant_never_reaches_the_tenants_whose_numbers_it_names(gateway: Gateway) -> None:
    signer = await new_channel_tenant(gateway.stack)
    victim = await new_channel_tenant(gateway.stack)
    shared_victim = await new_channel_tenant(gateway.stack, own_secret=False)
    numbers = [victim.phone_number_id] * 5 + [shared_victim.phone_number_id] * 5
    response = await post_meta(gateway.client, naming(signer.phone_number_id, *numbers), signer.app_secret)
    # The signer's own part is stored; the ten foreign parts are one dead letter, the signer's.
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 1}
    assert len(await gateway.tickets(signer.slug)) == 1
    (letter,) = await letters_of(gateway, signer.slug)
    assert letter.reason.startswith("app_secret_mismatch")
    assert len(json.loads(letter.payload)) == 10
    # Nothing in their inbox nor in the dead letters their admins list.
    for tenant in (victim, shared_victim):
        assert await nothing_stored(gateway, tenant.slug)


async def test_the_shared_app_naming_a_tenant_with_its_own_app_is_the_operators_dead_letter(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_meta(gateway.client, naming(tenant.phone_number_id), SHARED_APP_SECRET)
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    assert await nothing_stored(gateway, tenant.slug)
    (letter,) = await letters_naming(gateway, tenant.phone_number_id)
    assert (letter.tenant_slug, letter.reason.split(":")[0]) == ("", "app_secret_mismatch")


async def test_failed_meta_signatures_are_throttled_per_address_and_signed_traffic_never_is(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    address = an_address()
    async with (
        serving(
            gateway.stack,
            client=(address, 40000),
            WEBHOOK_AUTH_FAILURES_PER_IP=FAILURES,
            RATE_LIMIT_REDIS_TIMEOUT_SECONDS=5,
        ) as throttled,
        serving(gateway.stack, client=(an_address(), 40000)) as elsewhere,
    ):
        forged = [await post_meta(throttled.client, naming(tenant.phone_number_id), "a-guess") for _ in range(5)]
        assert [r.status_code for r in forged] == [401] * FAILURES + [429, 429]
        assert int(forged[-1].headers["Retry-After"]) >= 1
        assert forged[-1].json()["error"]["code"] == "TOO_MANY_REQUESTS"
        # Signed traffic from the very same address still gets through.
        genuine = await post_meta(throttled.client, naming(tenant.phone_number_id), tenant.app_secret)
        assert genuine.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
        # Other addresses keep their own budget.
        other = await post_meta(elsewhere.client, naming(tenant.phone_number_id), "a-guess")
        assert other.status_code == 401
        assert await throttled.metric("v360_gateway_webhook_throttled_total", provider="meta") >= 2


async def test_guessed_gupshup_tokens_are_throttled_per_address_before_any_is_checked(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = {"app": tenant.gupshup_app, "type": "message", "payload": {}}
    async with (
        serving(
            gateway.stack,
            client=(an_address(), 40000),
            WEBHOOK_AUTH_FAILURES_PER_IP=FAILURES,
            RATE_LIMIT_REDIS_TIMEOUT_SECONDS=5,
        ) as guesser,
        serving(gateway.stack, client=(an_address(), 40000)) as gupshup,
    ):
        guesses = [
            (await guesser.client.post(f"/webhooks/gupshup/{tenant.gupshup_token[:-1]}{c}", json=body, headers=JSON))
            for c in "ghijk"
        ]
        assert [r.status_code for r in guesses] == [403] * FAILURES + [429, 429]
        # Past the budget even the right token is refused from this address: a guesser learns nothing more.
        right = await guesser.client.post(f"/webhooks/gupshup/{tenant.gupshup_token}", json=body, headers=JSON)
        assert right.status_code == 429
        # Gupshup's own address is unaffected.
        delivered = await gupshup.client.post(f"/webhooks/gupshup/{tenant.gupshup_token}", json=body, headers=JSON)
        assert delivered.status_code == 200


async def test_guessed_meta_verify_tokens_are_throttled_per_address(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)

    def handshake(token: str) -> dict[str, str]:
        return {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}

    async with serving(
        gateway.stack,
        client=(an_address(), 40000),
        WEBHOOK_AUTH_FAILURES_PER_IP=FAILURES,
        RATE_LIMIT_REDIS_TIMEOUT_SECONDS=5,
    ) as guesser:
        guesses = [await guesser.client.get("/webhooks/meta", params=handshake(f"guess-{i}")) for i in range(5)]
        assert [r.status_code for r in guesses] == [403] * FAILURES + [429, 429]
        right = await guesser.client.get("/webhooks/meta", params=handshake(tenant.verify_token))
        assert right.status_code == 429
    ok = await gateway.client.get("/webhooks/meta", params=handshake(tenant.verify_token))
    assert (ok.status_code, ok.text) == (200, "42")

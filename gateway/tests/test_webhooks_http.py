"""The webhook endpoints through the real app and the real services: what is stored, where, and what is not."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
import pytest

from gateway.tests.builders import (
    JSON,
    ChannelTenant,
    encode,
    fixture_bytes,
    gupshup_bytes,
    meta_bytes,
    meta_json,
    new_channel_tenant,
    signed,
    unique,
)
from gateway.tests.conftest import API, SHARED_APP_SECRET, SHARED_VERIFY_TOKEN, Gateway, serving
from gateway.tests.stored import (
    Status,
    delivery_statuses,
    letters_naming,
    letters_of,
    messages_of,
    nothing_stored,
    received_events,
)
from libs.common.auth import Role
from vertice360.ingest.v1 import ingest_pb2

pytestmark = pytest.mark.integration

LEAD_E164 = "+5491155551234"
TEXT = "Hola, quiero info del proyecto Torre Norte. ¿Tienen 2 ambientes?"


async def post_meta(
    gateway: Gateway, body: Any, secret: str | None, *, content_type: str = "application/json"
) -> httpx.Response:
    raw = encode(body)
    headers = signed(raw, secret, **{"Content-Type": content_type})
    return await gateway.client.post("/webhooks/meta", content=raw, headers=headers)


async def post_gupshup(gateway: Gateway, token: str, body: Any, **headers: str) -> httpx.Response:
    return await gateway.client.post(f"/webhooks/gupshup/{token}", content=encode(body), headers={**JSON, **headers})


# --- Meta: verification handshake -------------------------------------------------------------


async def test_verify_handshake_echoes_the_challenge_for_the_shared_token(gateway: Gateway) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": SHARED_VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await gateway.client.get("/webhooks/meta", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_verify_handshake_accepts_a_tenants_own_token(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    params = {"hub.mode": "subscribe", "hub.verify_token": tenant.verify_token, "hub.challenge": "42"}
    response = await gateway.client.get("/webhooks/meta", params=params)
    assert (response.status_code, response.text) == (200, "42")


async def test_verify_handshake_refuses_unknown_tokens_and_other_modes(gateway: Gateway) -> None:
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": SHARED_VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        response = await gateway.client.get("/webhooks/meta", params=params)
        assert response.status_code == 403, params
        assert response.json()["error"]["code"] == "FORBIDDEN"


# --- Meta: tenant routing and which secret may speak for whom ------------------------------------


async def test_signed_message_lands_in_the_routed_tenants_ticket(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_meta(gateway, meta_bytes("text", tenant.phone_number_id), tenant.app_secret)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    ticket = detail["ticket"]
    assert (ticket["phone_e164"], ticket["lead_name"], ticket["last_message_snippet"]) == (
        LEAD_E164,
        "Juan Pérez",
        TEXT,
    )
    assert (ticket["stage"], ticket["unread_count"]) == ("Nuevo", 1)
    (message,) = detail["messages"]
    assert (message["direction"], message["actor"], message["provider"], message["type"]) == (
        "in",
        "lead",
        "meta",
        "text",
    )
    assert message["text"] == TEXT
    assert message["provider_message_id"] == "wamid.HBgNNTQ5MTE1NTU1MTIzNBUCABIYFj0001QUFBQUFBQUFBQUFBAA=="
    assert message["sent_at"] == "2025-02-19T01:23:53Z"
    (event,) = received_events(detail)
    assert event["correlation_id"] == ticket["ticket_id"]
    assert await letters_of(gateway, tenant.slug) == []


async def test_redelivery_is_acknowledged_and_stored_once(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_bytes("text", tenant.phone_number_id)
    first = await post_meta(gateway, body, tenant.app_secret)
    second = await post_meta(gateway, body, tenant.app_secret)
    assert first.json() == second.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    assert len(detail["messages"]) == len(received_events(detail)) == 1
    assert detail["ticket"]["unread_count"] == 1


async def test_shared_secret_cannot_speak_for_a_tenant_with_its_own_secret(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_meta(gateway, meta_bytes("text", tenant.phone_number_id), SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    # Kept for the operator (who runs the shared app), never shown to the tenant it names.
    assert await nothing_stored(gateway, tenant.slug)
    (letter,) = await letters_naming(gateway, tenant.phone_number_id)
    assert (letter.source, letter.tenant_slug, letter.reason.split(":")[0]) == ("meta", "", "app_secret_mismatch")
    (part,) = json.loads(letter.payload)
    assert part["value"]["metadata"]["phone_number_id"] == tenant.phone_number_id


async def test_a_tenants_secret_cannot_speak_for_another_tenant(gateway: Gateway) -> None:
    signer = await new_channel_tenant(gateway.stack)
    for victim in (await new_channel_tenant(gateway.stack), await new_channel_tenant(gateway.stack, own_secret=False)):
        # Only the shared secret and the victim's own can apply to a body naming only the victim's number.
        response = await post_meta(gateway, meta_bytes("text", victim.phone_number_id), signer.app_secret)
        assert response.status_code == 401
        assert await nothing_stored(gateway, victim.slug)
    assert await nothing_stored(gateway, signer.slug)


async def test_tenant_without_own_secret_accepts_the_shared_secret(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack, own_secret=False)
    response = await post_meta(gateway, meta_bytes("text", tenant.phone_number_id), SHARED_APP_SECRET)
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert messages_of(await gateway.only_ticket(tenant.slug)) == [("text", TEXT)]


async def test_unknown_phone_number_id_is_a_system_dead_letter_and_still_200(gateway: Gateway) -> None:
    phone_number_id = unique("pnid")
    series = {"provider": "meta", "reason": "unknown_phone_number_id"}
    before = await gateway.metric("v360_webhook_dead_letters_total", **series)
    response = await post_meta(gateway, meta_bytes("text", phone_number_id), SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    assert await gateway.metric("v360_webhook_dead_letters_total", **series) == before + 1
    (letter,) = await letters_naming(gateway, phone_number_id)
    assert (letter.source, letter.tenant_slug) == ("meta", "")
    assert letter.reason.startswith("unknown_phone_number_id")
    assert json.loads(letter.payload)["value"]["metadata"]["phone_number_id"] == phone_number_id
    assert letter.HasField("received_at")


async def test_a_new_tenant_is_found_by_refreshing_the_cached_list_on_a_miss(gateway: Gateway) -> None:
    async with serving(gateway.stack, TENANT_CACHE_SECONDS=60) as cached:
        known = await new_channel_tenant(gateway.stack)
        first = await post_meta(cached, meta_bytes("text", known.phone_number_id), known.app_secret)
        assert first.json()["received"] == 1
        # Created after the gateway cached the list; its secret and number are unknown until a refresh,
        # which the gateway allows once a second.
        newcomer = await new_channel_tenant(gateway.stack)
        await asyncio.sleep(1.05)
        response = await post_meta(cached, meta_bytes("text", newcomer.phone_number_id), newcomer.app_secret)
        assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
        assert messages_of(await gateway.only_ticket(newcomer.slug)) == [("text", TEXT)]


async def test_a_first_message_naming_an_ad_attributes_the_lead_to_its_project(gateway: Gateway) -> None:
    stack = gateway.stack
    tenant = await new_channel_tenant(stack)
    admin = stack.md(tenant.slug, Role.ADMIN, "admin-1")
    await stack.ingest.UpsertProject(
        ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="TN-01", name="Torre Norte")),
        metadata=admin,
        timeout=10,
    )
    await stack.ingest.UpsertMarketingAsset(
        ingest_pb2.UpsertMarketingAssetRequest(
            asset=ingest_pb2.MarketingAsset(code="FB-TN-01", name="Aviso", keyword="torre norte", project_code="TN-01")
        ),
        metadata=admin,
        timeout=10,
    )
    await post_meta(gateway, meta_bytes("text", tenant.phone_number_id), tenant.app_secret)
    await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("text", tenant.gupshup_app))
    manual = await gateway.client.post(
        f"{API}/ingest_message",
        json={"phone": "1166667777", "text": "hola", "asset_code": "FB-TN-01"},
        headers=gateway.auth(tenant.slug),
    )
    assert manual.status_code == 201
    plain = await gateway.client.post(
        f"{API}/ingest_message", json={"phone": "1177778888", "text": "hola"}, headers=gateway.auth(tenant.slug)
    )
    assert plain.status_code == 201
    tickets = await gateway.tickets(tenant.slug)
    projects = sorted((t["phone_e164"], (t["project"] or {}).get("code", "")) for t in tickets)
    assert projects == [
        ("+5491155551234", "TN-01"),  # Meta
        ("+5491155551234", "TN-01"),  # Gupshup: the same lead's other conversation
        ("+5491166667777", "TN-01"),
        ("+5491177778888", ""),
    ]
    assert len({t["lead_id"] for t in tickets}) == 3


# --- Meta: several entries, statuses, errors, leftovers ---------------------------------------------


def multi_body(*, own: ChannelTenant, shared: ChannelTenant, unknown_id: str, template_id: int) -> dict[str, Any]:
    body = meta_json("multi", own.phone_number_id)
    body["entry"][0]["changes"][1]["value"]["metadata"]["phone_number_id"] = shared.phone_number_id
    body["entry"][1]["changes"][0]["value"]["message_template_id"] = template_id
    body["entry"][1]["changes"][1]["value"]["metadata"]["phone_number_id"] = unknown_id
    return body


async def test_multi_entry_body_stores_each_part_where_it_belongs(gateway: Gateway) -> None:
    own = await new_channel_tenant(gateway.stack)
    shared = await new_channel_tenant(gateway.stack, own_secret=False)
    unknown_id, template_id = unique("pnid"), secrets.randbelow(10**15)
    body = multi_body(own=own, shared=shared, unknown_id=unknown_id, template_id=template_id)
    # Signed with the shared secret: `own` (its own secret) refuses its change, `shared` accepts its status.
    response = await post_meta(gateway, body, SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 1, "dead_letters": 3}
    assert await delivery_statuses(gateway, shared.slug) == [Status("meta", "wamid.OUTBOUND0009", "delivered", "", "")]
    assert await gateway.tickets(shared.slug) == [] and await gateway.tickets(own.slug) == []
    # `own`'s refused change is the operator's dead letter (the shared app signed), never `own`'s.
    assert await letters_of(gateway, own.slug) == [] and await letters_of(gateway, shared.slug) == []
    (foreign,) = await letters_naming(gateway, own.phone_number_id)
    assert (foreign.tenant_slug, foreign.reason.split(":")[0]) == ("", "app_secret_mismatch")
    (unknown,) = await letters_naming(gateway, unknown_id)
    assert (unknown.tenant_slug, unknown.reason.split(":")[0]) == ("", "unknown_phone_number_id")
    (template,) = await letters_naming(gateway, str(template_id))
    assert (template.tenant_slug, template.reason) == ("", "unsupported_field: field 'message_template_status_update'")


async def test_statuses_are_recorded_by_supervisor_for_the_tenant(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_meta(gateway, meta_bytes("statuses", tenant.phone_number_id), tenant.app_secret)
    assert response.json() == {"received": 0, "statuses": 4, "dead_letters": 0}
    assert await delivery_statuses(gateway, tenant.slug) == [
        Status("meta", "wamid.OUTBOUND0001", "sent", "", ""),
        Status("meta", "wamid.OUTBOUND0001", "delivered", "", ""),
        Status("meta", "wamid.OUTBOUND0001", "read", "", ""),
        Status("meta", "wamid.OUTBOUND0002", "failed", "131047", "Re-engagement message"),
    ]
    assert await gateway.tickets(tenant.slug) == []
    # Redelivered: acknowledged, nothing recorded twice.
    again = await post_meta(gateway, meta_bytes("statuses", tenant.phone_number_id), tenant.app_secret)
    assert again.json() == {"received": 0, "statuses": 4, "dead_letters": 0}
    assert len(await delivery_statuses(gateway, tenant.slug)) == 4


async def test_value_errors_are_dead_letters_of_the_tenant(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_meta(gateway, meta_bytes("errors", tenant.phone_number_id), tenant.app_secret)
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    (letter,) = await letters_of(gateway, tenant.slug)
    assert letter.reason == "provider_error: 131000 Something went wrong"
    assert json.loads(letter.payload)["error_data"] == {"details": "Unknown error"}
    assert await gateway.tickets(tenant.slug) == []


async def test_every_message_of_a_body_is_stored(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_json("text", tenant.phone_number_id)
    value = body["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    value["messages"] = [
        {**template, "id": f"wamid.{i}", "timestamp": str(1739928233 + i), "text": {"body": f"m{i}"}} for i in range(5)
    ]
    response = await post_meta(gateway, body, tenant.app_secret)
    assert response.json() == {"received": 5, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    assert messages_of(detail) == [("text", f"m{i}") for i in range(5)]
    assert len(received_events(detail)) == 5
    assert detail["ticket"]["last_message_snippet"] == "m4"


async def test_a_message_ingest_rejects_for_good_becomes_a_dead_letter(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_json("text", tenant.phone_number_id)
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"].append({**value["messages"][0], "id": "wamid.bad-phone", "from": "0000000"})
    response = await post_meta(gateway, body, tenant.app_secret)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 1}
    (letter,) = await letters_of(gateway, tenant.slug)
    assert letter.reason == (
        "ingest_rejected: INVALID_ARGUMENT: from_phone is not a WhatsApp id (digits with the country code)"
    )
    assert json.loads(letter.payload)["from_phone"] == "0000000"
    # The good message of the same body is stored.
    assert messages_of(await gateway.only_ticket(tenant.slug)) == [("text", TEXT)]


async def test_malformed_items_are_dead_letters_naming_what_is_missing(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_json("text", tenant.phone_number_id)
    value = body["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    value["messages"] = [{key: item for key, item in message.items() if key != "from"}]
    value["statuses"] = [{"status": "read", "timestamp": "1739928300"}]
    response = await post_meta(gateway, body, tenant.app_secret)
    # 200 all the same: Meta would redeliver the same bytes for a week.
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 2}
    reasons = sorted(letter.reason for letter in await letters_of(gateway, tenant.slug))
    assert reasons == [
        "malformed_message: entry[0].changes[0].value.messages[0].from: is missing (and there is no from_user_id)",
        "malformed_status: entry[0].changes[0].value.statuses[0].id: is missing",
    ]
    assert await gateway.tickets(tenant.slug) == []
    assert await delivery_statuses(gateway, tenant.slug) == []


async def test_other_objects_are_dead_letters_with_200(gateway: Gateway) -> None:
    marker = unique("ig")
    response = await post_meta(gateway, {"object": "instagram", "entry": [{"id": marker}]}, SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    (letter,) = await letters_naming(gateway, marker)
    assert letter.reason == "unsupported_object: object 'instagram'"


async def test_wrong_content_type_is_415_after_the_signature(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_bytes("text", tenant.phone_number_id)
    response = await post_meta(gateway, body, tenant.app_secret, content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    unsigned = await post_meta(gateway, body, None, content_type="text/plain")
    assert unsigned.status_code == 401
    assert await nothing_stored(gateway, tenant.slug, tenant.phone_number_id)


async def test_webhook_counters_are_exposed(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_bytes("text", tenant.phone_number_id)

    async def counters() -> dict[str, float]:
        results = ("message", "duplicate", "unauthorized")
        return {r: await gateway.metric("v360_webhooks_total", provider="meta", result=r) for r in results}

    before = await counters()
    await post_meta(gateway, body, tenant.app_secret)
    await post_meta(gateway, body, tenant.app_secret)
    await post_meta(gateway, body, "wrong")
    after = await counters()
    assert {key: after[key] - before[key] for key in after} == {"message": 1, "duplicate": 1, "unauthorized": 1}


# --- Gupshup -----------------------------------------------------------------------------------


async def test_gupshup_message_is_stored_for_the_tokens_tenant(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("text", tenant.gupshup_app))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    (message,) = detail["messages"]
    assert (message["provider"], message["type"], message["text"]) == (
        "gupshup",
        "text",
        "Hola! Vi el aviso de Torre Norte",
    )
    assert message["provider_message_id"] == "ABEGkZVVUVUVAhAL3SLAWwHK0001"
    assert (detail["ticket"]["phone_e164"], detail["ticket"]["lead_name"]) == (LEAD_E164, "Juan Pérez")


async def test_gupshup_unknown_token_is_403_and_nothing_is_stored(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = gupshup_bytes("text", tenant.gupshup_app)
    for token in ("nope", tenant.gupshup_token[:-1], tenant.gupshup_token + "x", "ñandú"):
        response = await post_gupshup(gateway, token, body)
        assert response.status_code == 403, token
        assert response.json()["error"]["code"] == "FORBIDDEN"
    # The token is checked before the body is read at all.
    assert (await post_gupshup(gateway, "nope", b"{nope", **{"Content-Type": "text/plain"})).status_code == 403
    assert await nothing_stored(gateway, tenant.slug)


async def test_gupshup_token_is_never_in_metrics(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("text", tenant.gupshup_app))
    text = gateway.metrics_text()
    assert 'route="/webhooks/gupshup/{token}"' in text
    assert tenant.gupshup_token not in text


async def test_gupshup_app_of_another_tenant_is_a_dead_letter(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("text", "SomeoneElsesApp"))
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    (letter,) = await letters_of(gateway, tenant.slug)
    assert (letter.source, letter.reason) == (
        "gupshup",
        "app_mismatch: app 'SomeoneElsesApp' is not the tenant's Gupshup app",
    )
    assert await gateway.tickets(tenant.slug) == []


async def test_gupshup_tenant_without_app_name_accepts_any_app(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack, gupshup_app=False)
    response = await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("text", "WhateverApp"))
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert len((await gateway.only_ticket(tenant.slug))["messages"]) == 1


async def test_gupshup_events_become_delivery_statuses(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    for name in ("event_enqueued", "event_sent", "event_delivered", "event_read", "event_failed"):
        response = await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes(name, tenant.gupshup_app))
        assert response.json() == {"received": 0, "statuses": 1, "dead_letters": 0}, name
    gs_id, wamid = "ee4a68a0-1203-4c85-8dc3-49d0b3226a35", "gBEGkYiEB1VXAglK1ZEqA1YKPrU"
    recorded = await delivery_statuses(gateway, tenant.slug)
    # Each status is kept under every id it names: Gupshup's own, and WhatsApp's for sent/delivered/read.
    assert sorted((s.provider, s.provider_message_id, s.status) for s in recorded) == sorted(
        [
            *(("gupshup", gs_id, status) for status in ("pending", "sent", "delivered", "read", "failed")),
            *(("gupshup", wamid, status) for status in ("sent", "delivered", "read")),
        ]
    )
    (failed,) = [s for s in recorded if s.status == "failed"]
    assert (failed.error_code, failed.error_title) == ("1002", "Number Does Not Exists On WhatsApp")


async def test_gupshup_user_event_is_a_dead_letter_of_the_tenant(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_gupshup(gateway, tenant.gupshup_token, gupshup_bytes("user_event", tenant.gupshup_app))
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    (letter,) = await letters_of(gateway, tenant.slug)
    assert (letter.source, letter.reason) == ("gupshup", "user_event: opted-out")


async def test_gupshup_v3_envelope_is_stored_for_the_tokens_tenant(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    response = await post_gupshup(gateway, tenant.gupshup_token, fixture_bytes("gupshup", "v3_text"))
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    (message,) = (await gateway.only_ticket(tenant.slug))["messages"]
    assert (message["provider"], message["text"]) == ("gupshup", "Hola desde Gupshup v3")


async def test_gupshup_bad_input_is_4xx_and_nothing_is_stored(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    assert (await post_gupshup(gateway, tenant.gupshup_token, b"{nope")).status_code == 400
    body = gupshup_bytes("text", tenant.gupshup_app)
    wrong_type = await post_gupshup(gateway, tenant.gupshup_token, body, **{"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert await nothing_stored(gateway, tenant.slug)

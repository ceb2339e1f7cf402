"""The webhook endpoints through the real app, in front of in-process fake services."""

from __future__ import annotations

import json
from typing import Any

from gateway.tests.builders import fixture_bytes, fixture_json
from gateway.tests.conftest import Stack
from gateway.tests.fakes import BAD_PHONE, SHARED_APP_SECRET, SHARED_VERIFY_TOKEN
from gateway.webhooks.signature import sign
from libs.common.auth import SYSTEM_TENANT, Role
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

ACME_SECRET = "acme-own-app-secret"
JSON = {"Content-Type": "application/json"}


async def post_meta(stack: Stack, body: bytes, *, secret: str | None = ACME_SECRET, headers: dict | None = None):
    sent = dict(JSON)
    if secret is not None:
        sent["X-Hub-Signature-256"] = sign(secret, body)
    sent.update(headers or {})
    return await stack.client.post("/webhooks/meta", content=body, headers=sent)


def for_phone_number_id(name: str, phone_number_id: str) -> bytes:
    body = fixture_json("meta", name)
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = phone_number_id
    return json.dumps(body).encode()


def nothing_stored(stack: Stack) -> bool:
    fakes = stack.services
    return not fakes.ingest.inbound and not fakes.ingest.dead_letters and not fakes.supervisor.statuses


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# --- Meta: verification handshake -------------------------------------------------------------


async def test_verify_handshake_echoes_the_challenge_for_the_shared_token(stack: Stack) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": SHARED_VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await stack.client.get("/webhooks/meta", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_verify_handshake_accepts_a_tenants_own_token(stack: Stack) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "acme-verify-token", "hub.challenge": "42"}
    response = await stack.client.get("/webhooks/meta", params=params)
    assert (response.status_code, response.text) == (200, "42")


async def test_verify_handshake_refuses_unknown_tokens_and_other_modes(stack: Stack) -> None:
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": SHARED_VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        response = await stack.client.get("/webhooks/meta", params=params)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"


# --- Meta: signature and tenant routing -----------------------------------------------------------


async def test_signed_message_is_stored_for_the_routed_tenant_with_a_service_token(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "text"))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    ((principal, message),) = stack.services.ingest.inbound
    assert (principal.tenant, principal.role) == ("acme", Role.SERVICE)
    assert message.provider == ingest_pb2.PROVIDER_META
    assert message.text.startswith("Hola, quiero info")


async def test_redelivery_is_acknowledged_and_stored_once(stack: Stack) -> None:
    body = fixture_bytes("meta", "text")
    first, second = await post_meta(stack, body), await post_meta(stack, body)
    assert first.status_code == second.status_code == 200
    assert second.json()["received"] == 1
    assert len(stack.services.ingest.inbound) == 1


async def test_missing_signature_is_401_and_nothing_is_stored(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "text"), secret=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert nothing_stored(stack)


async def test_unknown_secret_is_401_and_nothing_is_stored(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "text"), secret="an-attackers-guess")
    assert response.status_code == 401
    assert nothing_stored(stack)


async def test_altered_body_is_401(stack: Stack) -> None:
    body = fixture_bytes("meta", "text")
    headers = {**JSON, "X-Hub-Signature-256": sign(ACME_SECRET, body)}
    tampered = body.replace(b"Torre Norte", b"Torre Sur")
    response = await stack.client.post("/webhooks/meta", content=tampered, headers=headers)
    assert response.status_code == 401
    assert nothing_stored(stack)


async def test_reencoded_body_is_401_but_the_original_bytes_pass(stack: Stack) -> None:
    raw = fixture_bytes("meta", "text")
    headers = {**JSON, "X-Hub-Signature-256": sign(ACME_SECRET, raw)}
    reencoded = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert (await stack.client.post("/webhooks/meta", content=reencoded, headers=headers)).status_code == 401
    assert (await stack.client.post("/webhooks/meta", content=raw, headers=headers)).status_code == 200


async def test_shared_secret_cannot_speak_for_a_tenant_with_its_own_secret(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "text"), secret=SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    assert stack.services.ingest.inbound == []
    ((_, letter),) = stack.services.ingest.dead_letters
    assert letter.reason.startswith("app_secret_mismatch")
    assert letter.tenant_slug == "acme"


async def test_a_tenants_secret_cannot_speak_for_another_tenant(stack: Stack) -> None:
    body = for_phone_number_id("text", "222")
    response = await post_meta(stack, body, secret=ACME_SECRET)
    assert response.json()["dead_letters"] == 1
    assert stack.services.ingest.inbound == []


async def test_tenant_without_own_secret_accepts_the_shared_secret(stack: Stack) -> None:
    response = await post_meta(stack, for_phone_number_id("text", "222"), secret=SHARED_APP_SECRET)
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    ((principal, _),) = stack.services.ingest.inbound
    assert principal.tenant == "beta"


async def test_unknown_phone_number_id_is_a_system_dead_letter_and_still_200(stack: Stack) -> None:
    calls_before = stack.services.ingest.list_tenants_calls
    response = await post_meta(stack, for_phone_number_id("text", "999"), secret=SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    ((principal, letter),) = stack.services.ingest.dead_letters
    assert (principal.tenant, principal.role) == (SYSTEM_TENANT, Role.SERVICE)
    assert letter.source == "meta"
    assert letter.reason.startswith("unknown_phone_number_id")
    assert json.loads(letter.payload)["value"]["metadata"]["phone_number_id"] == "999"
    assert letter.tenant_slug == ""
    # The miss refreshed the tenant list (at most once).
    assert stack.services.ingest.list_tenants_calls - calls_before <= 2


async def test_new_tenant_is_found_by_refreshing_on_a_miss(stack: Stack) -> None:
    await post_meta(stack, fixture_bytes("meta", "text"))
    stack.services.ingest.tenants.append(
        ingest_pb2.Tenant(slug="gamma", meta_phone_number_id="333", meta_app_secret="gamma-secret")
    )
    stack.app.state.tenants._min_refresh = 0
    response = await post_meta(stack, for_phone_number_id("text", "333"), secret="gamma-secret")
    assert response.json()["received"] == 1
    assert stack.services.ingest.inbound[-1][0].tenant == "gamma"


async def test_multi_entry_body_stores_messages_statuses_and_dead_letters(stack: Stack) -> None:
    # Signed with the shared secret: 111 (acme, own secret) is refused, 222 (beta) accepted.
    response = await post_meta(stack, fixture_bytes("meta", "multi"), secret=SHARED_APP_SECRET)
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 1, "dead_letters": 3}
    reasons = sorted(letter.reason.split(":")[0] for _, letter in stack.services.ingest.dead_letters)
    assert reasons == ["app_secret_mismatch", "unknown_phone_number_id", "unsupported_field"]
    ((principal, status),) = stack.services.supervisor.statuses
    assert (principal.tenant, principal.role) == ("beta", Role.SERVICE)
    assert status.status == supervisor_pb2.DELIVERY_STATUS_DELIVERED


async def test_statuses_go_to_supervisor_for_the_tenant(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "statuses"))
    assert response.json() == {"received": 0, "statuses": 4, "dead_letters": 0}
    assert {principal.tenant for principal, _ in stack.services.supervisor.statuses} == {"acme"}


async def test_value_errors_are_dead_letters_with_the_tenant(stack: Stack) -> None:
    response = await post_meta(stack, fixture_bytes("meta", "errors"))
    assert response.json()["dead_letters"] == 1
    ((_, letter),) = stack.services.ingest.dead_letters
    assert letter.reason.startswith("provider_error")
    assert letter.tenant_slug == "acme"


async def test_every_message_of_a_body_is_ingested_concurrently(stack: Stack) -> None:
    body = fixture_json("meta", "text")
    value = body["entry"][0]["changes"][0]["value"]
    template = value["messages"][0]
    value["messages"] = [{**template, "id": f"wamid.{i}"} for i in range(5)]
    response = await post_meta(stack, json.dumps(body).encode())
    assert response.json()["received"] == 5
    assert len(stack.services.ingest.inbound) == 5


async def test_message_ingest_rejects_for_good_becomes_a_dead_letter(stack: Stack) -> None:
    body = fixture_json("meta", "text")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = BAD_PHONE
    response = await post_meta(stack, json.dumps(body).encode())
    assert response.status_code == 200
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    ((_, letter),) = stack.services.ingest.dead_letters
    assert letter.reason.startswith("ingest_rejected: INVALID_ARGUMENT")
    assert json.loads(letter.payload)["from_phone"] == BAD_PHONE


async def test_ingest_unavailable_is_503_so_meta_retries(stack: Stack) -> None:
    stack.services.ingest.unavailable = True
    response = await post_meta(stack, fixture_bytes("meta", "text"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"
    assert response.headers["retry-after"] == "1"
    stack.services.ingest.unavailable = False
    retried = await post_meta(stack, fixture_bytes("meta", "text"))
    assert retried.json()["received"] == 1


async def test_wrong_content_type_is_415_after_the_signature(stack: Stack) -> None:
    body = fixture_bytes("meta", "text")
    response = await post_meta(stack, body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    unsigned = await post_meta(stack, body, secret=None, headers={"Content-Type": "text/plain"})
    assert unsigned.status_code == 401
    assert nothing_stored(stack)


async def test_malformed_json_is_400_and_nothing_is_stored(stack: Stack) -> None:
    for body in (b'{"object": "whatsapp_business_account", "entry": [', b"\xff\xfe\x00garbage", b"NaN", b"[" * 5000):
        response = await post_meta(stack, body)
        assert response.status_code == 400, body[:20]
        assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert nothing_stored(stack)


async def test_other_objects_are_dead_letters_with_200(stack: Stack) -> None:
    response = await post_meta(stack, json.dumps({"object": "instagram", "entry": []}).encode())
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    ((_, letter),) = stack.services.ingest.dead_letters
    assert letter.reason.startswith("unsupported_object")


async def test_webhook_counters_are_exposed(stack: Stack) -> None:
    before = metric((await stack.client.get("/metrics")).text, "v360_webhooks_total", provider="meta", result="message")
    await post_meta(stack, fixture_bytes("meta", "text"))
    await post_meta(stack, fixture_bytes("meta", "text"), secret="wrong")
    text = (await stack.client.get("/metrics")).text
    assert metric(text, "v360_webhooks_total", provider="meta", result="message") == before + 1
    assert metric(text, "v360_webhooks_total", provider="meta", result="unauthorized") >= 1


# --- Gupshup -----------------------------------------------------------------------------------


async def post_gupshup(stack: Stack, body: Any, *, path_token: str = "acme-gupshup-token", headers: dict | None = None):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await stack.client.post(f"/webhooks/gupshup/{path_token}", content=content, headers=headers or JSON)


async def test_gupshup_message_is_stored_for_the_tokens_tenant(stack: Stack) -> None:
    response = await post_gupshup(stack, fixture_bytes("gupshup", "text"))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    ((principal, message),) = stack.services.ingest.inbound
    assert (principal.tenant, principal.role) == ("acme", Role.SERVICE)
    assert message.provider == ingest_pb2.PROVIDER_GUPSHUP


async def test_gupshup_unknown_token_is_403_and_nothing_is_stored(stack: Stack) -> None:
    for path_token in ("nope", "acme-gupshup-toke", "ñandú"):
        response = await post_gupshup(stack, fixture_bytes("gupshup", "text"), path_token=path_token)
        assert response.status_code == 403
    assert nothing_stored(stack)


async def test_gupshup_token_is_never_in_metrics(stack: Stack) -> None:
    await post_gupshup(stack, fixture_bytes("gupshup", "text"))
    text = (await stack.client.get("/metrics")).text
    assert 'route="/webhooks/gupshup/{token}"' in text
    assert "acme-gupshup-token" not in text


async def test_gupshup_app_of_another_tenant_is_a_dead_letter(stack: Stack) -> None:
    body = fixture_json("gupshup", "text")
    body["app"] = "SomeoneElsesApp"
    response = await post_gupshup(stack, body)
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    assert stack.services.ingest.inbound == []


async def test_gupshup_tenant_without_app_name_accepts_any_app(stack: Stack) -> None:
    response = await post_gupshup(stack, fixture_bytes("gupshup", "text"), path_token="beta-gupshup-token")
    assert response.json()["received"] == 1
    assert stack.services.ingest.inbound[0][0].tenant == "beta"


async def test_gupshup_events_become_statuses(stack: Stack) -> None:
    for name in ("event_enqueued", "event_sent", "event_delivered", "event_read", "event_failed"):
        response = await post_gupshup(stack, fixture_bytes("gupshup", name))
        assert response.json() == {"received": 0, "statuses": 1, "dead_letters": 0}
    statuses = [status.status for _, status in stack.services.supervisor.statuses]
    assert statuses == [
        supervisor_pb2.DELIVERY_STATUS_PENDING,
        supervisor_pb2.DELIVERY_STATUS_SENT,
        supervisor_pb2.DELIVERY_STATUS_DELIVERED,
        supervisor_pb2.DELIVERY_STATUS_READ,
        supervisor_pb2.DELIVERY_STATUS_FAILED,
    ]


async def test_gupshup_user_event_is_a_dead_letter_of_the_tenant(stack: Stack) -> None:
    response = await post_gupshup(stack, fixture_bytes("gupshup", "user_event"))
    assert response.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    ((_, letter),) = stack.services.ingest.dead_letters
    assert (letter.source, letter.tenant_slug) == ("gupshup", "acme")
    assert letter.reason == "user_event: opted-out"


async def test_gupshup_v3_envelope_is_accepted(stack: Stack) -> None:
    response = await post_gupshup(stack, fixture_bytes("gupshup", "v3_text"))
    assert response.json()["received"] == 1
    assert stack.services.ingest.inbound[0][1].text == "Hola desde Gupshup v3"


async def test_gupshup_bad_input(stack: Stack) -> None:
    assert (await post_gupshup(stack, b"{nope")).status_code == 400
    wrong_type = await post_gupshup(stack, fixture_bytes("gupshup", "text"), headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert nothing_stored(stack)


async def test_gupshup_ingest_unavailable_is_503(stack: Stack) -> None:
    stack.services.ingest.unavailable = True
    response = await post_gupshup(stack, fixture_bytes("gupshup", "text"))
    assert response.status_code == 503

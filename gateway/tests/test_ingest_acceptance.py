"""Issue 3's acceptance, through the gateway over HTTP against the real services and database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway.tests.builders import (
    JSON,
    encode,
    gupshup_bytes,
    meta_bytes,
    meta_json,
    new_channel_tenant,
    signed,
    unique,
)
from gateway.tests.conftest import API, SHARED_APP_SECRET, Gateway
from gateway.tests.stored import (
    Counts,
    counts,
    delivery_statuses,
    letters_of,
    messages_of,
    nothing_stored,
    received_events,
)
from gateway.webhooks.meta import named_phone_number_ids
from gateway.webhooks.signature import sign

pytestmark = pytest.mark.integration

TEXT = "Hola, quiero info del proyecto Torre Norte. ¿Tienen 2 ambientes?"


async def post_meta(gateway: Gateway, body: Any, secret: str | None) -> httpx.Response:
    raw = encode(body)
    return await gateway.client.post("/webhooks/meta", content=raw, headers=signed(raw, secret))


async def post_gupshup(gateway: Gateway, token: str, body: Any) -> httpx.Response:
    return await gateway.client.post(f"/webhooks/gupshup/{token}", content=encode(body), headers=JSON)


# --- exactly once -------------------------------------------------------------------------------


async def test_the_same_delivery_posted_20_times_concurrently_is_stored_once(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_bytes("text", tenant.phone_number_id)

    async def duplicates() -> float:
        return await gateway.metric("v360_webhooks_total", provider="meta", result="duplicate")

    before = await duplicates()
    replies = await asyncio.gather(*(post_meta(gateway, body, tenant.app_secret) for _ in range(20)))
    assert [reply.status_code for reply in replies] == [200] * 20
    assert all(reply.json() == {"received": 1, "statuses": 0, "dead_letters": 0} for reply in replies)
    assert await duplicates() - before == 19
    assert await counts(gateway, tenant.slug) == Counts(
        leads=1, conversations=1, tickets=1, messages=1, received_events=1
    )
    detail = await gateway.only_ticket(tenant.slug)
    assert messages_of(detail) == [("text", TEXT)]
    (event,) = received_events(detail)
    assert event["payload"]["message_id"] == detail["messages"][0]["id"]
    assert detail["ticket"]["unread_count"] == 1


async def test_50_concurrent_first_messages_from_a_new_phone_make_one_lead_conversation_and_ticket(
    gateway: Gateway,
) -> None:
    tenant = await new_channel_tenant(gateway.stack)

    def body(i: int) -> dict[str, Any]:
        doc = meta_json("text", tenant.phone_number_id)
        message = doc["entry"][0]["changes"][0]["value"]["messages"][0]
        message.update(id=f"wamid.first-{i}", timestamp=str(1739928233 + i), text={"body": f"mensaje {i}"})
        return doc

    replies = await asyncio.gather(*(post_meta(gateway, body(i), tenant.app_secret) for i in range(50)))
    assert [reply.status_code for reply in replies] == [200] * 50, {reply.text for reply in replies}
    assert all(reply.json()["received"] == 1 for reply in replies)
    assert await counts(gateway, tenant.slug) == Counts(
        leads=1, conversations=1, tickets=1, messages=50, received_events=50
    )
    detail = await gateway.only_ticket(tenant.slug)
    assert messages_of(detail) == [("text", f"mensaje {i}") for i in range(50)]
    assert detail["ticket"]["unread_count"] == 50
    assert detail["ticket"]["last_message_snippet"] == "mensaje 49"


# --- nothing forged gets in ---------------------------------------------------------------------


def forgeries(raw: bytes, secret: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Requests whose bytes and signature header don't belong together."""
    good = sign(secret, raw)
    parsed = json.loads(raw)
    reencoded = json.dumps(parsed, ensure_ascii=False, indent=2).encode()
    reserialised = json.dumps(parsed).encode()
    return {
        "wrong secret": (raw, {"X-Hub-Signature-256": sign(unique("attacker"), raw)}),
        "altered after signing": (raw.replace(b"Torre Norte", b"Torre Sur"), {"X-Hub-Signature-256": good}),
        "non-ASCII re-encoded": (reencoded, {"X-Hub-Signature-256": good}),
        "re-serialised": (reserialised, {"X-Hub-Signature-256": good}),
        "missing": (raw, {}),
        "not hex": (raw, {"X-Hub-Signature-256": "sha256=" + "zz" * 32}),
        "sha1": (raw, {"X-Hub-Signature-256": good.replace("sha256=", "sha1=")}),
        "truncated": (raw, {"X-Hub-Signature-256": good[:-2]}),
        "empty body signed": (raw, {"X-Hub-Signature-256": sign(secret, b"")}),
    }


@pytest.mark.parametrize("own_secret", [True, False], ids=["own secret", "shared secret"])
async def test_forged_bodies_are_401_and_store_nothing_while_the_original_bytes_pass(
    gateway: Gateway, own_secret: bool
) -> None:
    tenant = await new_channel_tenant(gateway.stack, own_secret=own_secret)
    secret = tenant.app_secret or SHARED_APP_SECRET
    raw = meta_bytes("text", tenant.phone_number_id)
    # Meta signs the body with non-ASCII escaped; that is what the fixture holds.
    assert b"\\u00bf" in raw and "¿".encode() not in raw
    for name, (content, headers) in forgeries(raw, secret).items():
        response = await gateway.client.post("/webhooks/meta", content=content, headers={**JSON, **headers})
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "UNAUTHORIZED", name
    assert await nothing_stored(gateway, tenant.slug, tenant.phone_number_id)

    accepted = await post_meta(gateway, raw, secret)
    assert accepted.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    assert messages_of(await gateway.only_ticket(tenant.slug)) == [("text", TEXT)]


# --- every message type, both providers ---------------------------------------------------------

MEDIA = {"provider_media_id": "", "url": "", "mime_type": "", "sha256": "", "filename": "", "caption": ""}
META_TYPES: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("text", "text", TEXT, None),
    (
        "image",
        "image",
        "[imagen] Fachada que vi en Instagram",
        {
            "provider_media_id": "1233219876543210",
            "mime_type": "image/jpeg",
            "sha256": "u6c1kq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
            "caption": "Fachada que vi en Instagram",
        },
    ),
    (
        "audio",
        "audio",
        "[audio]",
        {
            "provider_media_id": "2233219876543210",
            "mime_type": "audio/mpeg",
            "sha256": "b1x0yq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
        },
    ),
    (
        "voice",
        "voice",
        "[nota de voz]",
        {
            "provider_media_id": "3233219876543210",
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "c1x0yq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
        },
    ),
    (
        "video",
        "video",
        "[video] Recorrida del depto",
        {
            "provider_media_id": "4233219876543210",
            "mime_type": "video/mp4",
            "sha256": "d1x0yq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
            "caption": "Recorrida del depto",
        },
    ),
    (
        "document",
        "document",
        "[documento] Recibos_sueldo_2025.pdf: Mis recibos",
        {
            "provider_media_id": "5233219876543210",
            "mime_type": "application/pdf",
            "sha256": "e1x0yq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
            "filename": "Recibos_sueldo_2025.pdf",
            "caption": "Mis recibos",
        },
    ),
    (
        "sticker",
        "sticker",
        "[sticker]",
        {
            "provider_media_id": "6233219876543210",
            "mime_type": "image/webp",
            "sha256": "f1x0yq3kzPz3I2m8P6H1ZxQ0y1qJdAaVd3cFlmZf0CQ=",
        },
    ),
    ("location", "location", "[ubicación] Obelisco, Av. 9 de Julio s/n, CABA (-34.60,-58.38)", None),
    ("contacts", "contacts", "[contacto] María Gómez +54 9 11 6666-7777", None),
    ("interactive_button_reply", "button_reply", "Confirmo la visita", None),
    ("interactive_list_reply", "list_reply", "Sábado 10:00", None),
    ("button", "template_button_reply", "Sí, confirmo", None),
    ("reaction", "reaction", "[reacción] 👍", None),
    (
        "system",
        "user_changed_number",
        "[cambio de número] Juan Pérez changed from 5491155551234 to 5491177778888",
        None,
    ),
    ("unsupported", "unsupported", "[no soportado] (Message type is currently not supported.)", None),
]


@pytest.mark.parametrize(("fixture", "kind", "text", "media"), META_TYPES, ids=[case[0] for case in META_TYPES])
async def test_every_meta_message_type_reaches_the_ticket_timeline(
    gateway: Gateway, fixture: str, kind: str, text: str, media: dict[str, str] | None
) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    raw = meta_bytes(fixture, tenant.phone_number_id)
    response = await post_meta(gateway, raw, tenant.app_secret)
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    (message,) = detail["messages"]
    sent = json.loads(raw)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert (message["provider"], message["provider_message_id"], message["type"], message["text"]) == (
        "meta",
        sent["id"],
        kind,
        text,
    )
    assert message["media"] == ({**MEDIA, **media} if media else None)
    assert detail["ticket"]["last_message_snippet"] == text
    # A number change moves the lead to its new number; replies go there from now on.
    moved = fixture == "system"
    assert detail["ticket"]["phone_e164"] == ("+5491177778888" if moved else "+5491155551234")
    assert detail["ticket"]["reply_address"] == ("5491177778888" if moved else "5491155551234")
    assert len(received_events(detail)) == 1
    # The type object itself is kept as received (a few samples of it).
    if fixture == "location":
        assert message["payload"]["latitude"] == -34.603722 and message["payload"]["address"].startswith("Av. 9")
    if fixture == "contacts":
        assert message["payload"]["contacts"][0]["phones"][0]["wa_id"] == "5491166667777"
    if fixture == "interactive_list_reply":
        assert message["payload"]["list_reply"] == {
            "id": "slot-2",
            "title": "Sábado 10:00",
            "description": "Torre Norte, piso 3",
        }
    if fixture == "button":
        assert message["payload"] == {"payload": "CONFIRMAR_VISITA", "text": "Sí, confirmo"}
    if fixture == "reaction":
        assert message["payload"]["message_id"] == "wamid.OUTBOUND0001"
    if fixture == "unsupported":
        assert message["payload"]["errors"][0]["code"] == 131051


GUPSHUP_TYPES: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("text", "text", "Hola! Vi el aviso de Torre Norte", None),
    (
        "image",
        "image",
        "[imagen] Fachada",
        {
            "url": "https://filemanager.gupshup.io/wa/11111111-aaaa/wa/media/abc.jpg?download=false",
            "mime_type": "image/jpeg",
            "caption": "Fachada",
        },
    ),
    (
        "video",
        "video",
        "[video] Recorrida",
        {
            "url": "https://filemanager.gupshup.io/wa/11111111-aaaa/wa/media/abc.mp4",
            "mime_type": "video/mp4",
            "caption": "Recorrida",
        },
    ),
    (
        "audio",
        "audio",
        "[audio]",
        {
            "url": "https://filemanager.gupshup.io/wa/11111111-aaaa/wa/media/abc.ogg",
            "mime_type": "audio/ogg; codecs=opus",
        },
    ),
    (
        "file",
        "document",
        "[documento] Recibos_sueldo_2025.pdf: Recibos",
        {
            "url": "https://filemanager.gupshup.io/wa/11111111-aaaa/wa/media/abc.pdf",
            "mime_type": "application/pdf",
            "filename": "Recibos_sueldo_2025.pdf",
            "caption": "Recibos",
        },
    ),
    ("location", "location", "[ubicación] Obelisco, Av. 9 de Julio s/n (-34.60,-58.38)", None),
    ("contact", "contacts", "[contacto] María Gómez +54 9 11 6666-7777", None),
    ("button_reply", "button_reply", "Confirmo la visita", None),
    ("quick_reply", "button_reply", "Sí, confirmo", None),
    ("list_reply", "list_reply", "Sábado 10:00", None),
]


@pytest.mark.parametrize(("fixture", "kind", "text", "media"), GUPSHUP_TYPES, ids=[case[0] for case in GUPSHUP_TYPES])
async def test_every_gupshup_message_type_reaches_the_ticket_timeline(
    gateway: Gateway, fixture: str, kind: str, text: str, media: dict[str, str] | None
) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    raw = gupshup_bytes(fixture, tenant.gupshup_app)
    response = await post_gupshup(gateway, tenant.gupshup_token, raw)
    assert response.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    detail = await gateway.only_ticket(tenant.slug)
    (message,) = detail["messages"]
    sent = json.loads(raw)["payload"]
    assert (message["provider"], message["provider_message_id"], message["type"], message["text"]) == (
        "gupshup",
        sent["id"],
        kind,
        text,
    )
    assert message["media"] == ({**MEDIA, **media} if media else None)
    assert message["payload"] == sent["payload"]
    assert message["sent_at"] == "2025-02-19T01:23:53.123000Z"
    assert (detail["ticket"]["phone_e164"], detail["ticket"]["lead_name"]) == ("+5491155551234", "Juan Pérez")
    assert detail["ticket"]["last_message_snippet"] == text
    assert len(received_events(detail)) == 1


# --- tenants sharing one Meta endpoint ----------------------------------------------------------


async def test_two_tenants_on_one_meta_endpoint_are_kept_apart_by_phone_number_id(gateway: Gateway) -> None:
    first = await new_channel_tenant(gateway.stack, own_secret=False)
    second = await new_channel_tenant(gateway.stack, own_secret=False)
    body = meta_json("text", first.phone_number_id)
    change = body["entry"][0]["changes"][0]
    change["value"]["messages"][0]["text"] = {"body": "para el primero"}
    other = json.loads(json.dumps(change))
    other["value"]["metadata"]["phone_number_id"] = second.phone_number_id
    # Same lead, same wamid: still two messages, one per tenant.
    other["value"]["messages"][0]["text"] = {"body": "para el segundo"}
    body["entry"].append({"id": "202290129340399", "changes": [other]})

    response = await post_meta(gateway, body, SHARED_APP_SECRET)
    assert response.json() == {"received": 2, "statuses": 0, "dead_letters": 0}
    one = await gateway.only_ticket(first.slug)
    two = await gateway.only_ticket(second.slug)
    assert messages_of(one) == [("text", "para el primero")]
    assert messages_of(two) == [("text", "para el segundo")]
    assert one["ticket"]["lead_id"] != two["ticket"]["lead_id"]
    for reader, own, foreign in ((first, one, two), (second, two, one)):
        peek = await gateway.client.get(
            f"{API}/tickets/{foreign['ticket']['ticket_id']}", headers=gateway.auth(reader.slug)
        )
        assert peek.status_code == 404
        found = await gateway.tickets(reader.slug, q="5491155551234")
        assert [ticket["ticket_id"] for ticket in found] == [own["ticket"]["ticket_id"]]


# --- bad input: a clear error, nothing stored, never a 500 --------------------------------------


async def test_bad_input_on_ingest_message_is_a_clear_4xx_and_stores_nothing(gateway: Gateway) -> None:
    tenant = await gateway.stack.new_tenant()
    auth = gateway.auth(tenant)
    url = f"{API}/ingest_message"
    malformed = await gateway.client.post(url, content=b'{"phone": "1155551234", "text": ', headers={**auth, **JSON})
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "BAD_REQUEST")
    form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
    wrong_type = await gateway.client.post(url, content=b"phone=1155551234&text=hola", headers=form)
    assert (wrong_type.status_code, wrong_type.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    huge = json.dumps({"phone": "1155551234", "text": "x" * (1024 * 1024)}).encode()
    too_large = await gateway.client.post(url, content=huge, headers={**auth, **JSON})
    assert (too_large.status_code, too_large.json()["error"]["code"]) == (413, "REQUEST_ENTITY_TOO_LARGE")
    missing = await gateway.client.post(url, json={"text": "hola"}, headers=auth)
    assert missing.status_code == 422
    assert missing.json()["error"]["message"] == "invalid request: phone"
    assert [detail["field"] for detail in missing.json()["error"]["details"]] == ["phone"]
    assert await nothing_stored(gateway, tenant)


async def test_bad_input_on_the_webhooks_is_a_clear_4xx_and_stores_nothing(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    secret = tenant.app_secret
    meta_raw = meta_bytes("text", tenant.phone_number_id)
    gupshup_url = f"/webhooks/gupshup/{tenant.gupshup_token}"
    huge = b'{"object": "whatsapp_business_account", "entry": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    # A body that does not parse names no number, so only the shared secret can apply to it.
    unreadable = b'{"object": "whatsapp_business_account", "entry": ['
    refused = await gateway.client.post("/webhooks/meta", content=unreadable, headers=signed(unreadable, secret))
    assert refused.status_code == 401
    for url, sign_with in (("/webhooks/meta", SHARED_APP_SECRET), (gupshup_url, None)):
        for content, content_type, status, code in (
            (b'{"object": "whatsapp_business_account", "entry": [', "application/json", 400, "BAD_REQUEST"),
            (b"\xff\xfe\x00garbage", "application/json", 400, "BAD_REQUEST"),
            (b'{"a": NaN}', "application/json", 400, "BAD_REQUEST"),
            (b"[" * 5000, "application/json", 400, "BAD_REQUEST"),
            (meta_raw, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
            (meta_raw, "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
            (huge, "application/json", 413, "REQUEST_ENTITY_TOO_LARGE"),
        ):
            response = await gateway.client.post(
                url, content=content, headers=signed(content, sign_with, **{"Content-Type": content_type})
            )
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), (url, content[:30])
    assert await nothing_stored(gateway, tenant.slug, tenant.phone_number_id)


async def test_webhook_items_missing_required_fields_are_dead_letters_naming_them_not_messages(
    gateway: Gateway,
) -> None:
    # A provider redelivers anything but a 2xx for days, so a signed body with an unreadable item is
    # acknowledged and the item kept, with what is missing, as a dead letter; nothing reaches a ticket.
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_json("text", tenant.phone_number_id)
    value = body["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    value["messages"] = [
        {key: item for key, item in message.items() if key != "from"},
        {key: item for key, item in message.items() if key != "id"},
    ]
    meta = await post_meta(gateway, body, tenant.app_secret)
    assert meta.json() == {"received": 0, "statuses": 0, "dead_letters": 2}
    envelope = json.loads(gupshup_bytes("text", tenant.gupshup_app))
    del envelope["payload"]["source"], envelope["payload"]["sender"]
    gupshup = await post_gupshup(gateway, tenant.gupshup_token, envelope)
    assert gupshup.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    reasons = sorted(letter.reason for letter in await letters_of(gateway, tenant.slug))
    assert reasons == [
        "malformed_message: entry[0].changes[0].value.messages[0].from: is missing (and there is no from_user_id)",
        "malformed_message: entry[0].changes[0].value.messages[1].id: is missing",
        "malformed_message: payload.source: is missing (and there is no sender.userId)",
    ]
    assert await counts(gateway, tenant.slug) == Counts(0, 0, 0, 0, 0)


HOSTILE_META_BODIES: list[Any] = [
    [],
    None,
    "whatsapp_business_account",
    123,
    {},
    {"object": "whatsapp_business_account"},
    {"object": "whatsapp_business_account", "entry": {}},
    {"object": "whatsapp_business_account", "entry": [None, 1, "x", {"changes": {}}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [None, {"field": "messages"}, {"value": []}]}]},
]


async def test_hostile_but_signed_meta_bodies_never_get_a_500(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    pnid = tenant.phone_number_id

    def change(value: dict[str, Any]) -> dict[str, Any]:
        full = {"metadata": {"phone_number_id": pnid}, **value}
        return {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": full}]}]}

    lead = {"from": "5491155551234", "timestamp": "1739928233"}
    bodies = [
        *HOSTILE_META_BODIES,
        change({"messages": "x", "statuses": {}, "contacts": 5, "errors": "boom"}),
        change({"messages": [None, "x", 1, {"id": {"a": 1}, "from": ["x"]}]}),
        change({"messages": [{**lead, "id": "w1", "type": "text", "text": {"body": "\ud800 roto"}}]}),
        change({"messages": [{**lead, "id": "w2", "type": "text", "text": {"body": "x" * 5000}}]}),
        change({"messages": [{**lead, "id": "w" * 300, "type": "text", "text": {"body": "id largo"}}]}),
        change({"messages": [{**lead, "id": "w4", "from": "no soy un teléfono", "type": "text"}]}),
        change(
            {"statuses": [{"id": "w5", "status": "exploded"}, {"id": "w6", "status": "read", "timestamp": "1e400"}]}
        ),
        change({"metadata": {"phone_number_id": {"nested": pnid}}, "messages": [{**lead, "id": "w7"}]}),
        change({"surprise": True}),
    ]
    for body in bodies:
        # The tenant's own secret applies only to bodies naming its number; the others the shared app signs.
        secret = tenant.app_secret if named_phone_number_ids(body) else SHARED_APP_SECRET
        response = await post_meta(gateway, json.dumps(body).encode(), secret)
        assert response.status_code == 200, (body, response.status_code, response.text)
        assert set(response.json()) == {"received", "statuses", "dead_letters"}
        # Every item was accounted for: nothing dropped silently.
        assert sum(response.json().values()) >= 1, body
    # Nothing landed: each part failed alone, as a dead letter naming what is wrong with it.
    assert await counts(gateway, tenant.slug) == Counts(0, 0, 0, 0, 0)
    assert await delivery_statuses(gateway, tenant.slug) == []
    reasons = [letter.reason for letter in await letters_of(gateway, tenant.slug)]
    assert (
        "malformed_status: entry[0].changes[0].value.statuses[1].timestamp: 1e400 is not a time between 1970 and 9999"
        in reasons
    )


async def test_hostile_gupshup_bodies_never_get_a_500(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    base = json.loads(gupshup_bytes("text", tenant.gupshup_app))

    def message(**changes: Any) -> dict[str, Any]:
        return {**base, "payload": {**base["payload"], "id": unique("gs"), **changes}}

    bodies: list[Any] = [
        [],
        None,
        {},
        {"app": tenant.gupshup_app},
        {**message(), "version": "2"},
        {**message(), "version": 3},
        {**message(), "type": None},
        {**base, "payload": []},
        message(id=None),
        message(id={"nested": 1}),
        message(source="no soy un teléfono", sender={}),
        message(source=None, sender=None),
        message(payload={"text": "x" * 5000}),
        message(payload={"text": "\ud800 roto"}),
        {**base, "type": "message-event", "payload": {"id": None, "type": "read"}},
        {**base, "type": "message-event", "payload": {"id": "gs-1", "type": "exploded"}},
        {**base, "type": "user-event", "payload": None},
    ]
    for body in bodies:
        response = await post_gupshup(gateway, tenant.gupshup_token, body)
        assert response.status_code == 200, (body, response.status_code, response.text)
        # Every callback was accounted for: nothing dropped silently.
        assert sum(response.json().values()) >= 1, body
    assert await counts(gateway, tenant.slug) == Counts(0, 0, 0, 0, 0)
    # An unreadable timestamp fails its callback, naming the field; a missing one is stamped on arrival.
    late = await post_gupshup(gateway, tenant.gupshup_token, {**message(), "timestamp": "ayer"})
    assert late.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    reasons = [letter.reason for letter in await letters_of(gateway, tenant.slug)]
    assert "malformed_message: timestamp: 'ayer' is not a number" in reasons
    undated = {key: value for key, value in message().items() if key != "timestamp"}
    stamped = await post_gupshup(gateway, tenant.gupshup_token, undated)
    assert stamped.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    (stored,) = (await gateway.only_ticket(tenant.slug))["messages"]
    assert stored["text"] == "Hola! Vi el aviso de Torre Norte"
    assert stored["sent_at"] > "2026"


async def test_nul_characters_are_dropped_from_webhooks_and_refused_by_the_api_never_a_500(gateway: Gateway) -> None:
    # Postgres text can't hold U+0000; it used to reach the services and come back as a 500.
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_json("text", tenant.phone_number_id)
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["profile"]["name"] = "Juan\u0000 Pérez"
    value["messages"][0]["text"] = {"body": "hola\u0000 mundo"}
    value["statuses"] = [{"id": "wamid.\u0000OUT", "status": "read", "timestamp": "1739928300"}]
    meta = await post_meta(gateway, body, tenant.app_secret)
    assert meta.json() == {"received": 1, "statuses": 1, "dead_letters": 0}
    envelope = json.loads(gupshup_bytes("text", tenant.gupshup_app))
    envelope["payload"]["payload"]["text"] = "chau\u0000"
    gupshup = await post_gupshup(gateway, tenant.gupshup_token, envelope)
    assert gupshup.json() == {"received": 1, "statuses": 0, "dead_letters": 0}
    tickets = await gateway.tickets(tenant.slug)
    assert sorted(ticket["last_message_snippet"] for ticket in tickets) == ["chau", "hola mundo"]
    assert {ticket["lead_name"] for ticket in tickets} == {"Juan Pérez"}
    assert [status.provider_message_id for status in await delivery_statuses(gateway, tenant.slug)] == ["wamid.OUT"]

    auth = gateway.auth(tenant.slug)
    for field in ("text", "name", "project_code", "asset_code", "message_id"):
        sent = {"phone": "1155551234", "text": "hola", field: "x\u0000y"}
        response = await gateway.client.post(f"{API}/ingest_message", json=sent, headers=auth)
        assert response.status_code == 422, (field, response.text)
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    for param in ("q", "project", "assignee", "stage"):
        response = await gateway.client.get(
            f"{API}/dashboard", params={"cliente": tenant.slug, param: "x\u0000"}, headers=auth
        )
        assert response.status_code == 422, (param, response.text)
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [param]
    assert len(await gateway.tickets(tenant.slug)) == 2


async def test_nul_in_visit_and_reply_fields_is_a_422_naming_the_field_and_stores_nothing(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    await post_meta(gateway, meta_json("text", tenant.phone_number_id), tenant.app_secret)
    ticket = await gateway.only_ticket(tenant.slug)
    ticket_id = ticket["ticket"]["ticket_id"]
    auth = gateway.auth(tenant.slug)
    propose = {"ticket_id": ticket_id, "starts_at": "2031-05-02T15:00:00-03:00"}
    refused = {
        "message_to_lead": ("/visit/propose", {**propose, "message_to_lead": "hola\u0000"}),
        "agent_user_id": ("/visit/propose", {**propose, "agent_user_id": "agent\u00001"}),
        "buttons.0.id": (
            "/supervisor/send",
            {"ticket_id": ticket_id, "text": "hola", "buttons": [{"id": "b\u00001", "title": "Sí"}]},
        ),
    }
    for field, (path, body) in refused.items():
        response = await gateway.client.post(f"{API}{path}", json=body, headers={**auth, "Idempotency-Key": field})
        assert response.status_code == 422, (field, response.text)
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    after = await gateway.ticket(tenant.slug, ticket_id)
    assert (after["visits"], after["outbound_messages"]) == (ticket["visits"], ticket["outbound_messages"])

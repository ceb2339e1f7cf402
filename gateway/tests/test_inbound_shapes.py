"""Issue 13 through the real gateway and services: sender ids, usernames, readable types, part-level failures."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.tests.builders import JSON, encode, new_channel_tenant, signed
from gateway.tests.conftest import API, Gateway
from gateway.tests.shapes import (
    contact,
    gupshup_message,
    meta_body,
    meta_message,
    meta_messages,
    text,
    wamid,
)
from gateway.tests.stored import Counts, counts, letters_of
from libs.common.auth import Role
from vertice360.ingest.v1 import ingest_pb2

pytestmark = pytest.mark.integration


async def post_meta(gateway: Gateway, body: Any, secret: str) -> httpx.Response:
    raw = encode(body)
    response = await gateway.client.post("/webhooks/meta", content=raw, headers=signed(raw, secret))
    assert response.status_code == 200, response.text
    return response


async def post_gupshup(gateway: Gateway, token: str, body: Any) -> httpx.Response:
    response = await gateway.client.post(f"/webhooks/gupshup/{token}", content=encode(body), headers=JSON)
    assert response.status_code == 200, response.text
    return response


async def tickets_by_lead(gateway: Gateway, tenant: str) -> dict[str, dict[str, Any]]:
    return {ticket["lead_name"]: ticket for ticket in await gateway.tickets(tenant)}


# --- the sender id is authoritative ---------------------------------------------------------------------------

# (country, the forms one person's WhatsApp id arrives in). The first form is what WhatsApp keys the account by.
SAME_PERSON = [
    ("Argentina", "+5491155551234", ["5491155551234", "541155551234"]),
    ("México", "+525512345678", ["5215512345678", "525512345678"]),
    ("Brasil", "+5511987654321", ["551187654321", "5511987654321"]),
]


@pytest.mark.parametrize(("country", "e164", "forms"), SAME_PERSON, ids=[case[0] for case in SAME_PERSON])
async def test_the_forms_whatsapp_uses_for_one_person_make_one_lead(
    gateway: Gateway, country: str, e164: str, forms: list[str]
) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    for index, form in enumerate(forms):
        message = text(f"hola desde {form}", sender=form, timestamp=str(1767225600 + index))
        body = meta_messages(tenant.phone_number_id, form, message, name=country)
        assert (await post_meta(gateway, body, tenant.app_secret)).json()["received"] == 1
    (ticket,) = await gateway.tickets(tenant.slug)
    assert ticket["phone_e164"] == e164
    # Replies go to the id WhatsApp used last.
    assert ticket["reply_address"] == forms[-1]
    detail = await gateway.ticket(tenant.slug, ticket["ticket_id"])
    assert [m["text"] for m in detail["messages"]] == [f"hola desde {form}" for form in forms]


async def test_a_number_typed_by_a_person_joins_the_lead_whatsapp_named(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = meta_messages(tenant.phone_number_id, "5491155551234", text("hola", sender="5491155551234"))
    await post_meta(gateway, body, tenant.app_secret)
    typed = await gateway.client.post(
        f"{API}/ingest_message",
        json={"phone": "011 15 5555-1234", "text": "lo cargo a mano"},
        headers=gateway.auth(tenant.slug, Role.AGENT),
    )
    assert typed.status_code == 201, typed.text
    # One lead, two conversations (one per channel): the manual one is its own ticket of the same lead.
    leads = {ticket["lead_id"] for ticket in await gateway.tickets(tenant.slug)}
    assert len(leads) == 1
    assert await counts(gateway, tenant.slug) == Counts(
        leads=1, conversations=2, tickets=2, messages=2, received_events=2
    )


# Ids a numbering library rejects or does not know, from several countries: each still gets a ticket.
UNKNOWN_TO_THE_LIBRARY = [
    ("México (521, impossible for the library)", "5215598765432", "+525598765432"),
    ("Brasil (no ninth digit, invalid for the library)", "552187654321", "+5521987654321"),
    ("Côte d'Ivoire (old 8-digit form)", "22507012345", ""),
    ("an unassigned North American area code", "19995550123", "+19995550123"),
    ("an international network", "88212345678", "+88212345678"),
    ("a country code no plan has", "99912345678", ""),
]


async def test_ids_a_numbering_library_rejects_still_reach_the_inbox(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    messages = [text(f"hola, soy {name}", sender=wa_id) for name, wa_id, _ in UNKNOWN_TO_THE_LIBRARY]
    body = meta_body(
        tenant.phone_number_id,
        contacts=[contact(wa_id, name) for name, wa_id, _ in UNKNOWN_TO_THE_LIBRARY],
        messages=messages,
    )
    reply = await post_meta(gateway, body, tenant.app_secret)
    assert reply.json() == {"received": len(messages), "statuses": 0, "dead_letters": 0}
    shown = await tickets_by_lead(gateway, tenant.slug)
    for name, wa_id, e164 in UNKNOWN_TO_THE_LIBRARY:
        assert (shown[name]["phone_e164"], shown[name]["reply_address"]) == (e164, wa_id), name
        assert shown[name]["last_message_snippet"] == f"hola, soy {name}"
    assert await letters_of(gateway, tenant.slug) == []


async def test_a_number_change_moves_the_lead_and_its_replies_to_the_new_number(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    old, new = "5491155551234", "5491177778888"
    hello = text("hola", sender=old, timestamp="1767225600")
    await post_meta(gateway, meta_messages(tenant.phone_number_id, old, hello), tenant.app_secret)
    change = meta_message(
        "system",
        {"body": f"Lucía changed from {old} to {new}", "wa_id": new, "type": "user_changed_number"},
        sender=old,
        timestamp="1767225601",
    )
    await post_meta(gateway, meta_body(tenant.phone_number_id, messages=[change]), tenant.app_secret)
    after = meta_messages(
        tenant.phone_number_id, new, text("ya con el número nuevo", sender=new, timestamp="1767225602")
    )
    await post_meta(gateway, after, tenant.app_secret)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert (ticket["phone_e164"], ticket["reply_address"]) == ("+5491177778888", new)
    detail = await gateway.ticket(tenant.slug, ticket["ticket_id"])
    assert [m["text"] for m in detail["messages"]] == [
        "hola",
        f"[cambio de número] Lucía changed from {old} to {new}",
        "ya con el número nuevo",
    ]


# --- users without a phone number (usernames) --------------------------------------------------------------------

BSUID = "AR.1349120865530274"


async def test_a_user_known_only_by_a_business_scoped_id_is_a_lead_answerable_by_that_id(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    hidden = meta_body(
        tenant.phone_number_id,
        contacts=[contact(None, "Lucía", user_id=BSUID, username="@lucia.g")],
        messages=[text("hola, vi el depto", sender=None, user_id=BSUID)],
    )
    assert (await post_meta(gateway, hidden, tenant.app_secret)).json()["received"] == 1
    (ticket,) = await gateway.tickets(tenant.slug)
    assert (ticket["phone_e164"], ticket["reply_address"], ticket["lead_username"]) == ("", BSUID, "@lucia.g")
    # The same user later shows the number too: same lead, which now has its E.164 and WhatsApp id.
    shown = meta_body(
        tenant.phone_number_id,
        contacts=[contact("5491155551234", "Lucía", user_id=BSUID, username="@lucia.g")],
        messages=[text("este es mi número", sender="5491155551234", user_id=BSUID)],
    )
    await post_meta(gateway, shown, tenant.app_secret)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert (ticket["phone_e164"], ticket["reply_address"]) == ("+5491155551234", "5491155551234")
    # And messages naming only the BSUID keep reaching it.
    again = meta_body(tenant.phone_number_id, messages=[text("sigo", sender=None, user_id=BSUID)])
    await post_meta(gateway, again, tenant.app_secret)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert ticket["last_message_snippet"] == "sigo"


async def test_a_gupshup_user_known_only_by_its_user_id_is_a_lead(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    body = gupshup_message(tenant.gupshup_app, "", "text", {"text": "hola"}, userId=BSUID)
    body["payload"].pop("source")
    body["payload"]["sender"].pop("phone")
    assert (await post_gupshup(gateway, tenant.gupshup_token, body)).json()["received"] == 1
    (ticket,) = await gateway.tickets(tenant.slug)
    assert (ticket["phone_e164"], ticket["reply_address"]) == ("", BSUID)


# --- readable everything -------------------------------------------------------------------------------------------

ORDER = {
    "catalog_id": "8765432101234567",
    "text": "¿Tienen cochera?",
    "product_items": [
        {"product_retailer_id": "TN-2A", "quantity": "1", "item_price": "150000000", "currency": "ARS"},
        {"product_retailer_id": "COCHERA", "quantity": 2, "item_price": 12500000.5, "currency": "ARS"},
    ],
}
FLOW = {
    "type": "nfm_reply",
    "nfm_reply": {
        "name": "flow",
        "body": "Sent",
        "response_json": json.dumps({"flow_token": "tok-1", "ambientes": "2", "mudanza": "2026-06"}),
    },
}
READABLE = [
    (
        "order",
        ORDER,
        "order",
        "[pedido] 2 productos, 3 unidades, total 175.000.001,00 ARS: ¿Tienen cochera?",
    ),
    ("interactive", FLOW, "flow_reply", "[formulario] ambientes: 2, mudanza: 2026-06"),
    (
        "system",
        {"body": "Lucía's account changed", "type": "user_changed_user_id", "user_id": "AR.99887766"},
        "system",
        "[aviso de WhatsApp] Lucía's account changed",
    ),
    ("request_welcome", {}, "welcome_request", "[abrió el chat]"),
    (
        "document",
        {"id": "1789", "mime_type": "application/pdf", "sha256": "x", "filename": "plano.pdf", "caption": "El 2A"},
        "document",
        "[documento] plano.pdf: El 2A",
    ),
    (
        "contacts",
        [{"name": {"formatted_name": "Ana Ruiz"}, "phones": [{"phone": "+54 9 11 6666-7777", "type": "CELL"}]}],
        "contacts",
        "[contacto] Ana Ruiz +54 9 11 6666-7777",
    ),
    (
        "location",
        {"latitude": -34.6037, "longitude": -58.3816, "name": "Obelisco", "address": "Av. 9 de Julio"},
        "location",
        "[ubicación] Obelisco, Av. 9 de Julio (-34.60,-58.38)",
    ),
]


async def test_every_kind_of_message_reads_as_one_spanish_line(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    lead = "5491155551234"
    messages = [meta_message(kind, body, sender=lead) for kind, body, _, _ in READABLE]
    for index, message in enumerate(messages):
        message["timestamp"] = str(1767225600 + index)
    reply = await post_meta(gateway, meta_messages(tenant.phone_number_id, lead, *messages), tenant.app_secret)
    assert reply.json() == {"received": len(READABLE), "statuses": 0, "dead_letters": 0}
    (ticket,) = await gateway.tickets(tenant.slug)
    detail = await gateway.ticket(tenant.slug, ticket["ticket_id"])
    assert [(m["type"], m["text"]) for m in detail["messages"]] == [(kind, line) for _, _, kind, line in READABLE]
    assert ticket["last_message_snippet"] == READABLE[-1][3]


async def test_an_ad_click_links_the_lead_to_its_marketing_asset_and_shows_as_the_tickets_source(
    gateway: Gateway,
) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    md = gateway.stack.md(tenant.slug, Role.ADMIN)
    await gateway.stack.ingest.UpsertProject(
        ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="TN", name="Torre Norte")), metadata=md
    )
    await gateway.stack.ingest.UpsertMarketingAsset(
        ingest_pb2.UpsertMarketingAssetRequest(
            asset=ingest_pb2.MarketingAsset(code="IG-TN", name="Instagram Torre Norte", project_code="TN", ad_id="1202")
        ),
        metadata=md,
    )
    referral = {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": "1202",
        "source_type": "ad",
        "headline": "Torre Norte: 2 ambientes desde USD 98.000",
        "body": "Escribinos por WhatsApp",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/1.png",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOd",
    }
    first = text("Hola, vi el anuncio", sender="5491155551234", referral=referral)
    await post_meta(gateway, meta_messages(tenant.phone_number_id, "5491155551234", first), tenant.app_secret)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert ticket["project"] == {"code": "TN", "name": "Torre Norte"}
    source = ticket["source"]
    assert (source["asset_code"], source["asset_name"]) == ("IG-TN", "Instagram Torre Norte")
    assert source["referral"]["headline"] == "Torre Norte: 2 ambientes desde USD 98.000"
    assert source["referral"]["ctwa_clid"].startswith("ARAkLkA8")
    (message,) = (await gateway.ticket(tenant.slug, ticket["ticket_id"]))["messages"]
    assert message["text"] == "Hola, vi el anuncio"
    assert message["payload"]["referral"]["source_id"] == "1202"


async def test_an_ad_click_on_a_known_lead_is_kept_as_its_source_when_it_had_none(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    lead = "5491155551234"
    await post_meta(gateway, meta_messages(tenant.phone_number_id, lead, text("hola", sender=lead)), tenant.app_secret)
    clicked = text("vi otro anuncio", sender=lead, referral={"source_id": "77", "source_type": "ad", "headline": "H"})
    await post_meta(gateway, meta_messages(tenant.phone_number_id, lead, clicked), tenant.app_secret)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert ticket["source"]["referral"]["headline"] == "H"


# --- no 500 on any signed body: a bad part fails alone, naming its field ----------------------------------------

HUGE_INTEGER = "9" * 400
# What is wrong with each bad message of the body below, and the field its dead letter must name.
HUGE = [
    ("a timestamp past a double (1e999999)", "messages[0].timestamp"),
    ("a 400-digit integer", "messages[1].timestamp"),
    ("a huge latitude (1e308)", "messages[2].location.latitude"),
    ("a 5000-digit latitude", "messages[3].location.latitude"),
    ("a latitude out of range", "messages[4].location.latitude"),
    ("text that is no object", "messages[5].text"),
]


def _hostile_body(phone_number_id: str) -> bytes:
    """Six bad messages and a good one in one body, each bad value spelled as the raw bytes would."""
    lead = "5491155551234"
    parts = [
        '"timestamp": 1e999999, "type": "text", "text": {"body": "a"}',
        f'"timestamp": {HUGE_INTEGER}, "type": "text", "text": {{"body": "b"}}',
        '"type": "location", "location": {"latitude": 1e308, "longitude": 1}',
        f'"type": "location", "location": {{"latitude": {"1" * 5000}}}',
        '"type": "location", "location": {"latitude": 91.5, "longitude": 1}',
        '"type": "text", "text": "hola"',
        '"timestamp": "1767225600", "type": "text", "text": {"body": "ok"}',
    ]
    raw_messages = [f'{{"from": "{lead}", "id": "{wamid()}", {part}}}' for part in parts]
    envelope = json.dumps(meta_body(phone_number_id, contacts=[contact(lead)], messages=["@@"]))
    return envelope.replace('"@@"', ", ".join(raw_messages)).encode()


async def test_huge_numbers_and_odd_types_fail_only_their_message_and_a_retry_changes_nothing(
    gateway: Gateway,
) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    raw = _hostile_body(tenant.phone_number_id)
    first = await gateway.client.post("/webhooks/meta", content=raw, headers=signed(raw, tenant.app_secret))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "statuses": 0, "dead_letters": len(HUGE)}
    letters = sorted(letter.reason for letter in await letters_of(gateway, tenant.slug))
    prefix = "malformed_message: entry[0].changes[0].value."
    for what, field in HUGE:
        assert any(reason.startswith(prefix + field + ":") for reason in letters), (what, letters)
    (ticket,) = await gateway.tickets(tenant.slug)
    assert ticket["last_message_snippet"] == "ok"
    # The provider retries the same bytes: still 200, nothing stored twice, no new dead letter.
    again = await gateway.client.post("/webhooks/meta", content=raw, headers=signed(raw, tenant.app_secret))
    assert again.json() == first.json()
    assert await counts(gateway, tenant.slug) == Counts(1, 1, 1, 1, 1)
    assert len(await letters_of(gateway, tenant.slug)) == len(HUGE)


async def test_huge_numbers_in_a_gupshup_callback_fail_it_alone(gateway: Gateway) -> None:
    tenant = await new_channel_tenant(gateway.stack)
    good = gupshup_message(tenant.gupshup_app, "5491155551234", "text", {"text": "ok"})
    huge = json.dumps(gupshup_message(tenant.gupshup_app, "5491155551234", "location", {"latitude": "@@"}))
    raw = huge.replace('"@@"', "1" * 400).encode()
    bad = await gateway.client.post(f"/webhooks/gupshup/{tenant.gupshup_token}", content=raw, headers=JSON)
    assert bad.json() == {"received": 0, "statuses": 0, "dead_letters": 1}
    assert (await post_gupshup(gateway, tenant.gupshup_token, good)).json()["received"] == 1
    (letter,) = await letters_of(gateway, tenant.slug)
    assert letter.reason.startswith("malformed_message: payload.payload.latitude: 1111")

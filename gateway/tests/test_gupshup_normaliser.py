"""The pure Gupshup normaliser: v2 messages of every type, message-events, user-events and v3 envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import json_format

from gateway.tests.builders import fixture_json
from gateway.webhooks.gupshup import normalise_gupshup
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

NOW = datetime(2026, 2, 19, 12, 0, tzinfo=UTC)
LEAD = "5491155551234"
MT = ingest_pb2.MessageType
DS = supervisor_pb2.DeliveryStatus
GS_ID = "ee4a68a0-1203-4c85-8dc3-49d0b3226a35"


def only_message(name: str) -> ingest_pb2.InboundMessage:
    result = normalise_gupshup(fixture_json("gupshup", name), received_at=NOW)
    assert result.all_dead_letters == []
    assert [batch.route for batch in result.batches] == ["AcmeApp"]
    (message,) = result.messages
    return message


CASES = [
    ("text", MT.MESSAGE_TYPE_TEXT, "Hola! Vi el aviso de Torre Norte"),
    ("image", MT.MESSAGE_TYPE_IMAGE, "[imagen] Fachada"),
    ("video", MT.MESSAGE_TYPE_VIDEO, "[video] Recorrida"),
    ("audio", MT.MESSAGE_TYPE_AUDIO, "[audio]"),
    ("file", MT.MESSAGE_TYPE_DOCUMENT, "[documento] Recibos_sueldo_2025.pdf: Recibos"),
    ("location", MT.MESSAGE_TYPE_LOCATION, "[ubicación] Obelisco, Av. 9 de Julio s/n (-34.60,-58.38)"),
    ("contact", MT.MESSAGE_TYPE_CONTACTS, "[contacto] María Gómez +54 9 11 6666-7777"),
    ("button_reply", MT.MESSAGE_TYPE_BUTTON_REPLY, "Confirmo la visita"),
    ("quick_reply", MT.MESSAGE_TYPE_BUTTON_REPLY, "Sí, confirmo"),
    ("list_reply", MT.MESSAGE_TYPE_LIST_REPLY, "Sábado 10:00"),
]


@pytest.mark.parametrize(("name", "message_type", "text"), CASES, ids=[case[0] for case in CASES])
def test_every_v2_message_type_is_normalised(name: str, message_type: int, text: str) -> None:
    body = fixture_json("gupshup", name)
    message = only_message(name)
    assert message.type == message_type
    assert message.text == text
    assert message.provider == ingest_pb2.PROVIDER_GUPSHUP
    assert message.provider_message_id == body["payload"]["id"]
    assert message.from_phone == LEAD
    assert message.profile_name == "Juan Pérez"
    # Gupshup's envelope timestamp is in milliseconds.
    assert (message.sent_at.seconds, message.sent_at.nanos) == (1739928233, 123_000_000)
    assert json_format.MessageToDict(message.payload) == body["payload"]["payload"]


@pytest.mark.parametrize("name", ["image", "video", "audio", "file"])
def test_media_keeps_url_mime_caption_and_name(name: str) -> None:
    inner = fixture_json("gupshup", name)["payload"]["payload"]
    media = only_message(name).media
    assert media.url == inner["url"]
    assert media.mime_type == inner["contentType"]
    assert media.caption == inner.get("caption", "")
    assert media.filename == inner.get("name", "")


@pytest.mark.parametrize("name", ["button_reply", "quick_reply", "list_reply"])
def test_replies_point_at_our_message_by_gupshup_id(name: str) -> None:
    assert only_message(name).context_message_id == GS_ID


def test_location_with_string_coordinates_is_kept_as_sent() -> None:
    assert json_format.MessageToDict(only_message("location").payload)["latitude"] == "-34.603722"


EVENTS = [
    ("event_enqueued", DS.DELIVERY_STATUS_PENDING, 1739928300),
    ("event_sent", DS.DELIVERY_STATUS_SENT, 1739928301),
    ("event_delivered", DS.DELIVERY_STATUS_DELIVERED, 1739928302),
    ("event_read", DS.DELIVERY_STATUS_READ, 1739928400),
    ("event_failed", DS.DELIVERY_STATUS_FAILED, 1739928300),
]


@pytest.mark.parametrize(("name", "status", "at"), EVENTS, ids=[event[0] for event in EVENTS])
def test_message_events_become_statuses_of_our_gupshup_message(name: str, status: int, at: int) -> None:
    result = normalise_gupshup(fixture_json("gupshup", name), received_at=NOW)
    assert result.messages == []
    assert result.all_dead_letters == []
    (update,) = result.statuses
    assert update.provider == "gupshup"
    assert update.provider_message_id == GS_ID
    assert update.status == status
    assert update.at.seconds == at


def test_failed_event_carries_code_and_reason() -> None:
    (update,) = normalise_gupshup(fixture_json("gupshup", "event_failed"), received_at=NOW).statuses
    assert (update.error_code, update.error_title) == ("1002", "Number Does Not Exists On WhatsApp")


def test_user_event_is_kept_as_a_dead_letter() -> None:
    result = normalise_gupshup(fixture_json("gupshup", "user_event"), received_at=NOW)
    assert result.messages == [] and result.statuses == []
    (letter,) = result.all_dead_letters
    assert (letter.reason, letter.detail) == ("user_event", "opted-out")


def test_v3_envelope_goes_through_the_meta_normaliser_as_gupshup() -> None:
    result = normalise_gupshup(fixture_json("gupshup", "v3_text"), received_at=NOW)
    (message,) = result.messages
    assert message.provider == ingest_pb2.PROVIDER_GUPSHUP
    assert message.text == "Hola desde Gupshup v3"
    assert message.profile_name == "Juan Pérez"
    assert result.batches[0].route == "333"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"app": "AcmeApp", "type": "message"}, "malformed_envelope"),
        ("text", "malformed_envelope"),
        ({"app": "AcmeApp", "version": 1, "type": "message", "payload": {}}, "unsupported_version"),
        ({"app": "AcmeApp", "version": 2, "type": "billing-event", "payload": {}}, "unsupported_type"),
        ({"app": "AcmeApp", "version": 2, "type": "message", "payload": {"type": "text"}}, "malformed_message"),
        (
            {"app": "AcmeApp", "version": 2, "type": "message-event", "payload": {"id": "x", "type": "mismatch"}},
            "malformed_message_event",
        ),
    ],
)
def test_callbacks_it_cannot_read_become_dead_letters(body: Any, reason: str) -> None:
    result = normalise_gupshup(body, received_at=NOW)
    assert result.messages == [] and result.statuses == []
    assert [letter.reason for letter in result.all_dead_letters] == [reason]


def test_unknown_inner_type_is_kept_as_unsupported() -> None:
    body = fixture_json("gupshup", "text")
    body["payload"]["type"] = "order"
    body["payload"]["payload"] = {"catalog_id": "9"}
    (message,) = normalise_gupshup(body, received_at=NOW).messages
    assert (message.type, message.text) == (MT.MESSAGE_TYPE_UNSUPPORTED, "[no soportado] order")


@pytest.mark.parametrize(
    ("name", "reply_id"),
    [("button_reply", "visit-confirm:7f3a"), ("list_reply", "slot-2"), ("quick_reply", ""), ("text", "")],
)
def test_reply_id_prefers_our_postback_text(name: str, reply_id: str) -> None:
    assert only_message(name).reply_id == reply_id

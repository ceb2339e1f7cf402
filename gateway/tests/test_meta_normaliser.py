"""The pure Meta normaliser against realistic bodies of every message type, statuses and leftovers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import json_format

from gateway.tests.builders import fixture_json
from gateway.webhooks.meta import normalise_meta
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

NOW = datetime(2026, 2, 19, 12, 0, tzinfo=UTC)
LEAD = "5491155551234"
MT = ingest_pb2.MessageType
DS = supervisor_pb2.DeliveryStatus


def only_message(name: str) -> ingest_pb2.InboundMessage:
    result = normalise_meta(fixture_json("meta", name), received_at=NOW)
    assert result.all_dead_letters == []
    assert len(result.batches) == 1
    assert result.batches[0].route == "111"
    (message,) = result.messages
    return message


def payload(message: ingest_pb2.InboundMessage) -> dict[str, Any]:
    return json_format.MessageToDict(message.payload)


CASES = [
    ("text", MT.MESSAGE_TYPE_TEXT, "Hola, quiero info del proyecto Torre Norte. ¿Tienen 2 ambientes?"),
    ("image", MT.MESSAGE_TYPE_IMAGE, "[imagen] Fachada que vi en Instagram"),
    ("audio", MT.MESSAGE_TYPE_AUDIO, "[audio]"),
    ("voice", MT.MESSAGE_TYPE_VOICE, "[nota de voz]"),
    ("video", MT.MESSAGE_TYPE_VIDEO, "[video] Recorrida del depto"),
    ("document", MT.MESSAGE_TYPE_DOCUMENT, "[documento] Recibos_sueldo_2025.pdf: Mis recibos"),
    ("sticker", MT.MESSAGE_TYPE_STICKER, "[sticker]"),
    ("location", MT.MESSAGE_TYPE_LOCATION, "[ubicación] Obelisco, Av. 9 de Julio s/n, CABA (-34.60,-58.38)"),
    ("contacts", MT.MESSAGE_TYPE_CONTACTS, "[contacto] María Gómez +54 9 11 6666-7777"),
    ("interactive_button_reply", MT.MESSAGE_TYPE_BUTTON_REPLY, "Confirmo la visita"),
    ("interactive_list_reply", MT.MESSAGE_TYPE_LIST_REPLY, "Sábado 10:00"),
    ("button", MT.MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY, "Sí, confirmo"),
    ("reaction", MT.MESSAGE_TYPE_REACTION, "[reacción] 👍"),
    (
        "system",
        MT.MESSAGE_TYPE_USER_CHANGED_NUMBER,
        "[cambio de número] Juan Pérez changed from 5491155551234 to 5491177778888",
    ),
    ("unsupported", MT.MESSAGE_TYPE_UNSUPPORTED, "[no soportado] (Message type is currently not supported.)"),
]


@pytest.mark.parametrize(("name", "message_type", "text"), CASES, ids=[case[0] for case in CASES])
def test_every_message_type_is_normalised(name: str, message_type: int, text: str) -> None:
    message = only_message(name)
    assert message.type == message_type
    assert message.text == text
    assert message.provider == ingest_pb2.PROVIDER_META
    assert message.provider_message_id.startswith("wamid.")
    assert message.from_phone == LEAD
    assert message.sent_at.seconds == 1739928233
    # The system message has no contacts array, so no profile name.
    assert message.profile_name == ("" if name == "system" else "Juan Pérez")


@pytest.mark.parametrize(
    ("name", "kind"), [("image", "image"), ("video", "video"), ("document", "document"), ("sticker", "sticker")]
)
def test_media_keeps_provider_id_mime_sha_and_names(name: str, kind: str) -> None:
    raw = fixture_json("meta", name)["entry"][0]["changes"][0]["value"]["messages"][0][kind]
    message = only_message(name)
    assert message.HasField("media")
    assert message.media.provider_media_id == raw["id"]
    assert message.media.mime_type == raw["mime_type"]
    assert message.media.sha256 == raw["sha256"]
    assert message.media.caption == raw.get("caption", "")
    assert message.media.filename == raw.get("filename", "")
    assert payload(message) == raw


def test_voice_flag_turns_audio_into_voice_and_keeps_media() -> None:
    message = only_message("voice")
    assert message.media.mime_type == "audio/ogg; codecs=opus"
    assert payload(message)["voice"] is True


def test_payload_keeps_the_type_object_as_received() -> None:
    location = payload(only_message("location"))
    assert location == {
        "latitude": -34.603722,
        "longitude": -58.381592,
        "name": "Obelisco",
        "address": "Av. 9 de Julio s/n, CABA",
    }
    contacts = payload(only_message("contacts"))
    assert contacts["contacts"][0]["phones"][0]["wa_id"] == "5491166667777"
    button = payload(only_message("interactive_button_reply"))
    assert button == {
        "type": "button_reply",
        "button_reply": {"id": "visit-confirm:7f3a", "title": "Confirmo la visita"},
    }
    assert payload(only_message("button")) == {"payload": "CONFIRMAR_VISITA", "text": "Sí, confirmo"}
    assert payload(only_message("system"))["wa_id"] == "5491177778888"


def test_unsupported_keeps_meta_errors_in_payload() -> None:
    errors = payload(only_message("unsupported"))["errors"]
    assert errors[0]["code"] == 131051


@pytest.mark.parametrize("name", ["interactive_button_reply", "interactive_list_reply", "button"])
def test_context_id_names_the_message_answered(name: str) -> None:
    assert only_message(name).context_message_id == "wamid.OUTBOUND0001"


def test_reaction_points_at_the_reacted_message() -> None:
    assert only_message("reaction").context_message_id == "wamid.OUTBOUND0001"


def test_text_without_context_has_none() -> None:
    assert only_message("text").context_message_id == ""


def test_statuses_map_to_delivery_statuses_with_errors() -> None:
    result = normalise_meta(fixture_json("meta", "statuses"), received_at=NOW)
    assert result.messages == []
    assert result.all_dead_letters == []
    statuses = result.statuses
    assert [s.status for s in statuses] == [
        DS.DELIVERY_STATUS_SENT,
        DS.DELIVERY_STATUS_DELIVERED,
        DS.DELIVERY_STATUS_READ,
        DS.DELIVERY_STATUS_FAILED,
    ]
    assert all(s.provider == "meta" for s in statuses)
    assert statuses[0].provider_message_id == "wamid.OUTBOUND0001"
    assert statuses[0].at.seconds == 1739928300
    failed = statuses[3]
    assert (failed.error_code, failed.error_title) == ("131047", "Re-engagement message")
    assert json_format.MessageToDict(failed.raw)["recipient_id"] == LEAD


def test_value_errors_become_dead_letters() -> None:
    result = normalise_meta(fixture_json("meta", "errors"), received_at=NOW)
    (letter,) = result.all_dead_letters
    assert letter.reason == "provider_error"
    assert letter.detail == "131000 Something went wrong"
    assert letter.payload["error_data"]["details"] == "Unknown error"


def test_several_entries_and_changes_are_all_normalised() -> None:
    result = normalise_meta(fixture_json("meta", "multi"), received_at=NOW)
    assert [batch.route for batch in result.batches] == ["111", "222", "999"]
    assert [len(batch.messages) for batch in result.batches] == [1, 0, 1]
    assert [len(batch.statuses) for batch in result.batches] == [0, 1, 0]
    (unsupported,) = result.dead_letters
    assert unsupported.reason == "unsupported_field"
    assert "message_template_status_update" in unsupported.detail
    assert unsupported.payload["field"] == "message_template_status_update"
    assert result.batches[2].messages[0].profile_name == "Otro"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"object": "page", "entry": []}, "unsupported_object"),
        ([1, 2], "unsupported_object"),
        ({"object": "whatsapp_business_account", "entry": {}}, "malformed_envelope"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": "x"}]}, "malformed_entry"),
        ({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]}, "malformed_change"),
    ],
)
def test_bodies_it_cannot_read_become_dead_letters(body: Any, reason: str) -> None:
    result = normalise_meta(body, received_at=NOW)
    assert result.batches == []
    assert [letter.reason for letter in result.dead_letters] == [reason]


def _value(**value: Any) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [{"field": "messages", "value": {"metadata": {"phone_number_id": "111"}, **value}}]}
        ],
    }


def test_message_without_id_is_a_dead_letter_and_others_still_pass() -> None:
    body = _value(
        messages=[
            {"from": LEAD, "type": "text", "text": {"body": "sin id"}},
            {"from": LEAD, "id": "wamid.ok", "timestamp": "1739928233", "type": "text", "text": {"body": "ok"}},
        ]
    )
    result = normalise_meta(body, received_at=NOW)
    assert [m.provider_message_id for m in result.messages] == ["wamid.ok"]
    assert [letter.reason for letter in result.all_dead_letters] == ["malformed_message"]


def test_unknown_status_and_unknown_value_keys_are_dead_letters() -> None:
    body = _value(statuses=[{"id": "wamid.x", "status": "deleted", "timestamp": "1"}], calls=[{"id": "call-1"}])
    result = normalise_meta(body, received_at=NOW)
    assert result.statuses == []
    assert sorted(letter.reason for letter in result.all_dead_letters) == ["malformed_status", "unknown_field"]


def test_value_arrays_of_the_wrong_shape_are_dead_letters_not_silently_empty() -> None:
    body = _value(messages={"id": "wamid.x"}, statuses="read", contacts=5, errors=None)
    result = normalise_meta(body, received_at=NOW)
    assert result.messages == [] and result.statuses == []
    letters = result.all_dead_letters
    assert [(letter.reason, letter.detail) for letter in letters] == [
        ("malformed_change", "entry[0].changes[0].value.contacts is not a list"),
        ("malformed_change", "entry[0].changes[0].value.messages is not a list"),
        ("malformed_change", "entry[0].changes[0].value.statuses is not a list"),
        ("malformed_change", "entry[0].changes[0].value.errors is not a list"),
    ]
    assert letters[1].payload == {"messages": {"id": "wamid.x"}}


def test_newer_message_types_are_kept_as_unsupported() -> None:
    body = _value(
        messages=[{"from": LEAD, "id": "wamid.o", "timestamp": "1", "type": "hologram", "hologram": {"x": "9"}}]
    )
    (message,) = normalise_meta(body, received_at=NOW).messages
    assert (message.type, message.text) == (MT.MESSAGE_TYPE_UNSUPPORTED, "[no soportado] hologram")
    assert payload(message) == {"x": "9"}


def test_played_voice_status_counts_as_read() -> None:
    body = _value(statuses=[{"id": "wamid.v", "status": "played", "timestamp": "1739928233"}])
    (status,) = normalise_meta(body, received_at=NOW).statuses
    assert status.status == DS.DELIVERY_STATUS_READ


@pytest.mark.parametrize("timestamp", [None, ""])
def test_a_missing_timestamp_falls_back_to_receipt_time(timestamp: Any) -> None:
    message = {"from": LEAD, "id": "wamid.t", "type": "text", "text": {"body": "hola"}}
    if timestamp is not None:
        message["timestamp"] = timestamp
    (normalised,) = normalise_meta(_value(messages=[message]), received_at=NOW).messages
    assert normalised.sent_at.ToDatetime(tzinfo=UTC) == NOW


@pytest.mark.parametrize("timestamp", ["abc", "-5", "0", "NaN", "1e999999", 10**400, {"s": 1}, True])
def test_an_unusable_timestamp_fails_its_message_alone_naming_the_field(timestamp: Any) -> None:
    bad = {"from": LEAD, "id": "wamid.bad", "timestamp": timestamp, "type": "text", "text": {"body": "hola"}}
    good = {"from": LEAD, "id": "wamid.good", "timestamp": "1739928233", "type": "text", "text": {"body": "ok"}}
    result = normalise_meta(_value(messages=[bad, good]), received_at=NOW)
    assert [m.provider_message_id for m in result.messages] == ["wamid.good"]
    (letter,) = result.all_dead_letters
    assert letter.reason == "malformed_message"
    assert letter.detail.startswith("entry[0].changes[0].value.messages[0].timestamp: ")


def test_profile_name_only_from_the_matching_contact() -> None:
    body = _value(
        contacts=[{"profile": {"name": "Otra persona"}, "wa_id": "5491199999999"}],
        messages=[{"from": LEAD, "id": "wamid.p", "timestamp": "1", "type": "text", "text": {"body": "hola"}}],
    )
    (message,) = normalise_meta(body, received_at=NOW).messages
    assert message.profile_name == ""


def test_text_that_protobuf_cannot_carry_is_a_dead_letter_not_a_crash() -> None:
    body = _value(
        messages=[{"from": LEAD, "id": "wamid.s", "timestamp": "1", "type": "text", "text": {"body": "a\ud800"}}]
    )
    result = normalise_meta(body, received_at=NOW)
    assert result.messages == []
    (letter,) = result.all_dead_letters
    assert letter.reason == "malformed_message"
    letter.payload_json().encode("utf-8")


# Found by tests/fuzz: `1e999` parses as infinity, which a Struct holds but MessageToDict refuses (a 500).
def test_numbers_past_a_doubles_range_make_the_message_and_status_dead_letters() -> None:
    location = {"latitude": float("inf"), "longitude": float("-inf")}
    body = _value(
        messages=[{"from": LEAD, "id": "wamid.i", "timestamp": "1", "type": "location", "location": location}],
        statuses=[{"id": "wamid.x", "status": "read", "timestamp": "1", "pricing": {"rate": float("inf")}}],
    )
    result = normalise_meta(body, received_at=NOW)
    assert result.messages == [] and result.statuses == []
    assert sorted(letter.reason for letter in result.all_dead_letters) == ["malformed_message", "malformed_status"]


@pytest.mark.parametrize(
    ("name", "reply_id"),
    [
        ("interactive_button_reply", "visit-confirm:7f3a"),
        ("interactive_list_reply", "slot-2"),
        ("button", "CONFIRMAR_VISITA"),
        ("text", ""),
        ("reaction", ""),
    ],
)
def test_reply_id_is_the_tapped_button_or_row(name: str, reply_id: str) -> None:
    assert only_message(name).reply_id == reply_id

"""Pure normaliser of WhatsApp Cloud API (Meta) webhook bodies into inbound messages, statuses and dead letters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from google.protobuf import json_format

from gateway.webhooks.model import (
    MT,
    Batch,
    DeadLetter,
    Malformed,
    Normalised,
    as_dict,
    as_list,
    as_str,
    coordinates,
    epoch_timestamp,
    readable_text,
    to_struct,
)
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"
# Keys of `value` this normaliser understands; any other is kept as a dead letter so nothing is lost.
KNOWN_VALUE_KEYS = frozenset({"messaging_product", "metadata", "contacts", "messages", "statuses", "errors"})
DS = supervisor_pb2.DeliveryStatus
STATUSES: Mapping[str, supervisor_pb2.DeliveryStatus.ValueType] = {
    "sent": DS.DELIVERY_STATUS_SENT,
    "delivered": DS.DELIVERY_STATUS_DELIVERED,
    "read": DS.DELIVERY_STATUS_READ,
    # A voice note played has necessarily been read.
    "played": DS.DELIVERY_STATUS_READ,
    "failed": DS.DELIVERY_STATUS_FAILED,
}
_MEDIA_TYPES: Mapping[str, ingest_pb2.MessageType.ValueType] = {
    "image": MT.MESSAGE_TYPE_IMAGE,
    "video": MT.MESSAGE_TYPE_VIDEO,
    "document": MT.MESSAGE_TYPE_DOCUMENT,
    "sticker": MT.MESSAGE_TYPE_STICKER,
    "audio": MT.MESSAGE_TYPE_AUDIO,
}
_CHANGED_NUMBER_TYPES = frozenset({"user_changed_number", "customer_changed_number"})


def normalise_meta(
    body: Any,
    *,
    received_at: datetime,
    provider: ingest_pb2.Provider.ValueType = ingest_pb2.PROVIDER_META,
    status_provider: str = "meta",
) -> Normalised:
    """Turns a parsed webhook body into one batch per `messages` change; everything else becomes a dead letter.

    Gupshup v3 apps forward this same envelope, so they call it with their own provider values.
    """
    result = Normalised()
    if not isinstance(body, dict) or body.get("object") != WHATSAPP_OBJECT:
        found = body.get("object") if isinstance(body, dict) else type(body).__name__
        result.dead_letters.append(DeadLetter("unsupported_object", f"object {found!r}", body))
        return result
    entries = body.get("entry")
    if not isinstance(entries, list):
        result.dead_letters.append(DeadLetter("malformed_envelope", "entry is not a list", body))
        return result
    for entry in entries:
        changes = as_dict(entry).get("changes")
        if not isinstance(changes, list):
            result.dead_letters.append(DeadLetter("malformed_entry", "changes is not a list", entry))
            continue
        for change in changes:
            batch = _change(change, received_at=received_at, provider=provider, status_provider=status_provider)
            if isinstance(batch, DeadLetter):
                result.dead_letters.append(batch)
            else:
                result.batches.append(batch)
    return result


def _change(
    change: Any, *, received_at: datetime, provider: ingest_pb2.Provider.ValueType, status_provider: str
) -> Batch | DeadLetter:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return DeadLetter("malformed_change", "change without a value object", change)
    if change.get("field") != MESSAGES_FIELD:
        return DeadLetter("unsupported_field", f"field {change.get('field')!r}", change)
    value = change["value"]
    batch = Batch(route=as_str(as_dict(value.get("metadata")).get("phone_number_id")), raw=change)
    for key in ("contacts", "messages", "statuses", "errors"):
        # Read as empty below; kept so a body Meta changed the shape of is not acknowledged and lost.
        if key in value and not isinstance(value[key], list):
            batch.dead_letters.append(DeadLetter("malformed_change", f"{key} is not a list", {key: value[key]}))
    names = {
        as_str(contact.get("wa_id")): as_str(as_dict(contact.get("profile")).get("name"))
        for contact in map(as_dict, as_list(value.get("contacts")))
    }
    for message in as_list(value.get("messages")):
        try:
            batch.messages.append(inbound_message(message, names=names, provider=provider, received_at=received_at))
        except (ValueError, json_format.Error) as exc:
            batch.dead_letters.append(DeadLetter("malformed_message", str(exc), message))
    for status in as_list(value.get("statuses")):
        try:
            batch.statuses.append(status_update(status, provider=status_provider, received_at=received_at))
        except (ValueError, json_format.Error) as exc:
            batch.dead_letters.append(DeadLetter("malformed_status", str(exc), status))
    for error in as_list(value.get("errors")):
        error_obj = as_dict(error)
        detail = f"{as_str(error_obj.get('code'))} {as_str(error_obj.get('title'))}".strip()
        batch.dead_letters.append(DeadLetter("provider_error", detail, error))
    unknown = {key: item for key, item in value.items() if key not in KNOWN_VALUE_KEYS}
    if unknown:
        batch.dead_letters.append(DeadLetter("unknown_field", ", ".join(sorted(unknown)), unknown))
    return batch


def inbound_message(
    message: Any, *, names: Mapping[str, str], provider: ingest_pb2.Provider.ValueType, received_at: datetime
) -> ingest_pb2.InboundMessage:
    """One `value.messages[]` item as an InboundMessage; raises Malformed when it has no id or sender."""
    if not isinstance(message, dict):
        raise Malformed("message is not an object")
    message_id, sender = as_str(message.get("id")), as_str(message.get("from"))
    if not message_id or not sender:
        raise Malformed("message without id or from")
    kind = as_str(message.get("type"))
    parse = _PARSERS.get(kind, _unsupported)
    message_type, text, media, payload = parse(message, kind)
    extras = {key: message[key] for key in ("referral", "errors") if key in message}
    inbound = ingest_pb2.InboundMessage(
        provider=provider,
        provider_message_id=message_id,
        from_phone=sender,
        profile_name=names.get(sender, ""),
        sent_at=epoch_timestamp(message.get("timestamp"), millis=False, fallback=received_at),
        type=message_type,
        text=text,
        payload=to_struct({**payload, **extras}),
        context_message_id=as_str(as_dict(message.get("context")).get("id")),
        reply_id=_reply_id(message_type, payload),
    )
    if media is not None:
        inbound.media.CopyFrom(media)
    if message_type == MT.MESSAGE_TYPE_REACTION and not inbound.context_message_id:
        inbound.context_message_id = as_str(payload.get("message_id"))
    return inbound


def _reply_id(message_type: ingest_pb2.MessageType.ValueType, obj: dict[str, Any]) -> str:
    # The id we gave the button or row (visits mints some to confirm a visit); a template button's payload.
    if message_type in (MT.MESSAGE_TYPE_BUTTON_REPLY, MT.MESSAGE_TYPE_LIST_REPLY):
        return as_str(as_dict(obj.get(as_str(obj.get("type")))).get("id"))
    if message_type == MT.MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY:
        return as_str(obj.get("payload"))
    return ""


Parsed = tuple[ingest_pb2.MessageType.ValueType, str, ingest_pb2.Media | None, dict[str, Any]]


def _text(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    return MT.MESSAGE_TYPE_TEXT, as_str(obj.get("body")), None, obj


def _media(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    message_type = _MEDIA_TYPES[kind]
    if kind == "audio" and obj.get("voice") is True:
        message_type = MT.MESSAGE_TYPE_VOICE
    media = ingest_pb2.Media(
        provider_media_id=as_str(obj.get("id")),
        url=as_str(obj.get("url")),
        mime_type=as_str(obj.get("mime_type")),
        sha256=as_str(obj.get("sha256")),
        filename=as_str(obj.get("filename")),
        caption=as_str(obj.get("caption")),
    )
    if message_type == MT.MESSAGE_TYPE_DOCUMENT:
        detail = media.filename or media.caption
    elif message_type in (MT.MESSAGE_TYPE_IMAGE, MT.MESSAGE_TYPE_VIDEO):
        detail = media.caption
    else:
        detail = ""
    return message_type, readable_text(message_type, detail), media, obj


def _location(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    name = as_str(obj.get("name")) or as_str(obj.get("address"))
    where = coordinates(obj.get("latitude"), obj.get("longitude"))
    return MT.MESSAGE_TYPE_LOCATION, readable_text(MT.MESSAGE_TYPE_LOCATION, name, where), None, obj


def contact_summary(contacts: list[Any]) -> str:
    """`Juan Pérez +54 9 11 5555-1234, Ana +5491166667777` from a WhatsApp contacts array."""
    parts = []
    for contact in map(as_dict, contacts):
        name = as_dict(contact.get("name"))
        formatted = as_str(name.get("formatted_name")) or " ".join(
            filter(None, (as_str(name.get("first_name")), as_str(name.get("last_name"))))
        )
        phones = [as_str(as_dict(phone).get("phone")) for phone in as_list(contact.get("phones"))]
        parts.append(" ".join(filter(None, (formatted, *phones[:1]))))
    return ", ".join(part for part in parts if part)


def _contacts(message: dict[str, Any], kind: str) -> Parsed:
    contacts = as_list(message.get(kind))
    text = readable_text(MT.MESSAGE_TYPE_CONTACTS, contact_summary(contacts))
    return MT.MESSAGE_TYPE_CONTACTS, text, None, {kind: contacts}


def _interactive(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    reply_kind = as_str(obj.get("type"))
    reply = as_dict(obj.get(reply_kind))
    if reply_kind == "button_reply":
        return MT.MESSAGE_TYPE_BUTTON_REPLY, as_str(reply.get("title")), None, obj
    if reply_kind == "list_reply":
        return MT.MESSAGE_TYPE_LIST_REPLY, as_str(reply.get("title")), None, obj
    return MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED), None, obj


def _button(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    text = as_str(obj.get("text")) or as_str(obj.get("payload"))
    return MT.MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY, text, None, obj


def _reaction(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    return MT.MESSAGE_TYPE_REACTION, readable_text(MT.MESSAGE_TYPE_REACTION, as_str(obj.get("emoji"))), None, obj


def _system(message: dict[str, Any], kind: str) -> Parsed:
    obj = as_dict(message.get(kind))
    if as_str(obj.get("type")) in _CHANGED_NUMBER_TYPES:
        text = readable_text(MT.MESSAGE_TYPE_USER_CHANGED_NUMBER, as_str(obj.get("body")))
        return MT.MESSAGE_TYPE_USER_CHANGED_NUMBER, text, None, obj
    return MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED), None, obj


def _unsupported(message: dict[str, Any], kind: str) -> Parsed:
    # Meta's own `unsupported` type, and any type newer than this code: the lead still wrote something.
    found = message.get(kind) if kind else None
    payload = found if isinstance(found, dict) else ({kind: found} if kind and found is not None else {})
    return MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED), None, payload


_PARSERS: Mapping[str, Callable[[dict[str, Any], str], Parsed]] = {
    "text": _text,
    "image": _media,
    "audio": _media,
    "video": _media,
    "document": _media,
    "sticker": _media,
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "system": _system,
    "unsupported": _unsupported,
}


def status_update(status: Any, *, provider: str, received_at: datetime) -> supervisor_pb2.StatusUpdate:
    """One `value.statuses[]` item; raises Malformed for a missing id or an unknown status."""
    if not isinstance(status, dict):
        raise Malformed("status is not an object")
    message_id, name = as_str(status.get("id")), as_str(status.get("status"))
    if not message_id:
        raise Malformed("status without id")
    if name not in STATUSES:
        raise Malformed(f"unknown status {name!r}")
    first_error = as_dict(next(iter(as_list(status.get("errors"))), None))
    return supervisor_pb2.StatusUpdate(
        provider=provider,
        provider_message_id=message_id,
        status=STATUSES[name],
        at=epoch_timestamp(status.get("timestamp"), millis=False, fallback=received_at),
        error_code=as_str(first_error.get("code")),
        error_title=as_str(first_error.get("title")) or as_str(first_error.get("message")),
        raw=to_struct(status),
    )

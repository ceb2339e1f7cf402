"""Pure normaliser of WhatsApp Cloud API (Meta) webhook bodies into inbound messages, statuses and dead letters."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.webhooks.model import (
    MT,
    PART_ERRORS,
    Batch,
    DeadLetter,
    Malformed,
    Normalised,
    as_dict,
    as_list,
    as_str,
    at,
    epoch_timestamp,
    location_text,
    money,
    obj,
    parse_float,
    parse_int,
    plural,
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
    # Gupshup v3 apps forward Meta's envelope and add this one: accepted, not yet handed to WhatsApp.
    "enqueued": DS.DELIVERY_STATUS_PENDING,
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
# A Flow's answers carry this bookkeeping field; it is not something the lead answered.
_FLOW_TOKEN = "flow_token"
_REFERRAL_FIELDS = ("source_id", "source_url", "source_type", "headline", "body", "ctwa_clid", "media_type")


@dataclass(frozen=True, slots=True)
class Contact:
    """Who a `value.contacts[]` entry says the sender is."""

    name: str = ""
    username: str = ""
    user_id: str = ""


@dataclass(slots=True)
class Content:
    """What a message's type object says, ready for the InboundMessage."""

    type: ingest_pb2.MessageType.ValueType
    text: str
    payload: dict[str, Any]
    media: ingest_pb2.Media | None = None
    new_from_phone: str = ""
    new_from_user_id: str = ""


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
        found = as_str(body.get("object")) if isinstance(body, dict) else type(body).__name__
        result.dead_letters.append(DeadLetter("unsupported_object", f"object {found[:64]!r}", body))
        return result
    entries = body.get("entry")
    if not isinstance(entries, list):
        result.dead_letters.append(DeadLetter("malformed_envelope", "entry is not a list", body))
        return result
    for e, entry in enumerate(entries):
        changes = as_dict(entry).get("changes")
        if not isinstance(changes, list):
            result.dead_letters.append(DeadLetter("malformed_entry", f"entry[{e}].changes is not a list", entry))
            continue
        for c, change in enumerate(changes):
            path = f"entry[{e}].changes[{c}]"
            batch = _change(change, path, received_at=received_at, provider=provider, status_provider=status_provider)
            if isinstance(batch, DeadLetter):
                result.dead_letters.append(batch)
            else:
                result.batches.append(batch)
    return result


def _change(
    change: Any,
    path: str,
    *,
    received_at: datetime,
    provider: ingest_pb2.Provider.ValueType,
    status_provider: str,
) -> Batch | DeadLetter:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return DeadLetter("malformed_change", f"{path}.value is not an object", change)
    if change.get("field") != MESSAGES_FIELD:
        return DeadLetter("unsupported_field", f"field {as_str(change.get('field'))[:64]!r}", change)
    value = change["value"]
    path = at(path, "value")
    batch = Batch(route=as_str(as_dict(value.get("metadata")).get("phone_number_id")), raw=change)
    for key in ("contacts", "messages", "statuses", "errors"):
        # Read as empty below; kept so a body Meta changed the shape of is not acknowledged and lost.
        if key in value and not isinstance(value[key], list):
            batch.dead_letters.append(
                DeadLetter("malformed_change", f"{at(path, key)} is not a list", {key: value[key]})
            )
    contacts = contacts_by_id(as_list(value.get("contacts")))
    for index, message in enumerate(as_list(value.get("messages"))):
        where = at(at(path, "messages"), index)
        try:
            batch.messages.append(
                inbound_message(message, where, contacts=contacts, provider=provider, received_at=received_at)
            )
        except PART_ERRORS as exc:
            batch.dead_letters.append(DeadLetter("malformed_message", str(exc), message))
    for index, status in enumerate(as_list(value.get("statuses"))):
        where = at(at(path, "statuses"), index)
        try:
            batch.statuses.append(status_update(status, where, provider=status_provider, received_at=received_at))
        except PART_ERRORS as exc:
            batch.dead_letters.append(DeadLetter("malformed_status", str(exc), status))
    for error in as_list(value.get("errors")):
        error_obj = as_dict(error)
        detail = f"{as_str(error_obj.get('code'))} {as_str(error_obj.get('title'))}".strip()
        batch.dead_letters.append(DeadLetter("provider_error", detail[:200], error))
    unknown = {key: item for key, item in value.items() if key not in KNOWN_VALUE_KEYS}
    if unknown:
        batch.dead_letters.append(DeadLetter("unknown_field", ", ".join(sorted(unknown))[:200], unknown))
    return batch


def contacts_by_id(contacts: list[Any]) -> dict[str, Contact]:
    """`value.contacts[]` by both ids they may carry: the WhatsApp id and the business-scoped user id."""
    found: dict[str, Contact] = {}
    for item in map(as_dict, contacts):
        profile = as_dict(item.get("profile"))
        contact = Contact(
            name=as_str(profile.get("name")),
            username=as_str(profile.get("username")),
            user_id=as_str(item.get("user_id")),
        )
        for key in (as_str(item.get("wa_id")), contact.user_id):
            if key:
                found.setdefault(key, contact)
    return found


def inbound_message(
    message: Any,
    path: str,
    *,
    contacts: Mapping[str, Contact],
    provider: ingest_pb2.Provider.ValueType,
    received_at: datetime,
) -> ingest_pb2.InboundMessage:
    """One `value.messages[]` item as an InboundMessage; Malformed (naming the field) when it can't be stored."""
    if not isinstance(message, dict):
        raise Malformed(path, "is not an object")
    message_id = as_str(message.get("id"))
    if not message_id:
        raise Malformed(at(path, "id"), "is missing")
    sender, user_id = as_str(message.get("from")), as_str(message.get("from_user_id"))
    if not sender and not user_id:
        # Users with a username may come without a phone: the business-scoped user id names them.
        raise Malformed(at(path, "from"), "is missing (and there is no from_user_id)")
    contact = contacts.get(sender) or contacts.get(user_id) or Contact()
    kind = as_str(message.get("type"))
    content = _PARSERS.get(kind, _unsupported)(message, kind, path)
    extras = {key: message[key] for key in ("referral", "errors") if key in message}
    inbound = ingest_pb2.InboundMessage(
        provider=provider,
        provider_message_id=message_id,
        from_phone=sender,
        from_user_id=user_id or contact.user_id,
        username=contact.username,
        profile_name=contact.name,
        sent_at=epoch_timestamp(message.get("timestamp"), at(path, "timestamp"), fallback=received_at),
        type=content.type,
        text=content.text,
        payload=to_struct({**content.payload, **extras}, path),
        context_message_id=as_str(as_dict(message.get("context")).get("id")),
        reply_id=_reply_id(content.type, content.payload),
        new_from_phone=content.new_from_phone,
        new_from_user_id=content.new_from_user_id,
    )
    if content.media is not None:
        inbound.media.CopyFrom(content.media)
    if "referral" in message:
        inbound.referral.CopyFrom(referral(obj(message, "referral", path)))
    if content.type == MT.MESSAGE_TYPE_REACTION and not inbound.context_message_id:
        inbound.context_message_id = as_str(content.payload.get("message_id"))
    return inbound


def referral(found: Mapping[str, Any]) -> ingest_pb2.Referral:
    """A click-to-WhatsApp `referral` object (ad or post the lead came from)."""
    return ingest_pb2.Referral(**{name: as_str(found.get(name))[:2000] for name in _REFERRAL_FIELDS})


def _reply_id(message_type: ingest_pb2.MessageType.ValueType, found: dict[str, Any]) -> str:
    # The id we gave the button or row (visits mints some to confirm a visit); a template button's payload.
    if message_type in (MT.MESSAGE_TYPE_BUTTON_REPLY, MT.MESSAGE_TYPE_LIST_REPLY):
        return as_str(as_dict(found.get(as_str(found.get("type")))).get("id"))
    if message_type == MT.MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY:
        return as_str(found.get("payload"))
    return ""


def _text(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    return Content(MT.MESSAGE_TYPE_TEXT, as_str(found.get("body")), found)


def media_object(found: Mapping[str, Any]) -> ingest_pb2.Media:
    """The Media of an image/audio/video/document/sticker object (Meta's, or Gupshup's with `url`)."""
    return ingest_pb2.Media(
        provider_media_id=as_str(found.get("id")),
        url=as_str(found.get("url")),
        mime_type=as_str(found.get("mime_type")) or as_str(found.get("contentType")),
        sha256=as_str(found.get("sha256")),
        filename=as_str(found.get("filename")) or as_str(found.get("name")),
        caption=as_str(found.get("caption")),
    )


def media_text(message_type: ingest_pb2.MessageType.ValueType, media: ingest_pb2.Media) -> str:
    """`[documento] Recibos.pdf: Mis recibos`, `[imagen] Fachada`, `[audio]`."""
    if message_type == MT.MESSAGE_TYPE_DOCUMENT and media.filename and media.caption:
        return readable_text(message_type, f"{media.filename}: {media.caption}")
    return readable_text(
        message_type, media.filename if message_type == MT.MESSAGE_TYPE_DOCUMENT else "", media.caption
    )


def _media(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    message_type = _MEDIA_TYPES[kind]
    if kind == "audio" and found.get("voice") is True:
        message_type = MT.MESSAGE_TYPE_VOICE
    media = media_object(found)
    return Content(message_type, media_text(message_type, media), found, media=media)


def _location(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    return Content(MT.MESSAGE_TYPE_LOCATION, location_text(found, at(path, kind)), found)


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


def _contacts(message: dict[str, Any], kind: str, path: str) -> Content:
    contacts = as_list(message.get(kind))
    text = readable_text(MT.MESSAGE_TYPE_CONTACTS, contact_summary(contacts))
    return Content(MT.MESSAGE_TYPE_CONTACTS, text, {kind: contacts})


def flow_answers(response_json: str) -> str:
    """`nombre: Juan, fecha: 2026-03-01` from a Flow's `response_json` (its bookkeeping token left out)."""
    try:
        answers = json.loads(response_json, parse_int=parse_int, parse_float=parse_float)
    except (ValueError, RecursionError):
        return ""
    parts = []
    for key, value in as_dict(answers).items():
        if key == _FLOW_TOKEN:
            continue
        shown = ", ".join(as_str(item) for item in value) if isinstance(value, list) else as_str(value)
        parts.append(f"{key}: {shown}" if shown else key)
    return ", ".join(parts)


def _interactive(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    reply_kind = as_str(found.get("type"))
    reply = as_dict(found.get(reply_kind))
    if reply_kind == "button_reply":
        return Content(MT.MESSAGE_TYPE_BUTTON_REPLY, as_str(reply.get("title")), found)
    if reply_kind == "list_reply":
        return Content(MT.MESSAGE_TYPE_LIST_REPLY, as_str(reply.get("title")), found)
    if reply_kind == "nfm_reply":
        answers = flow_answers(as_str(reply.get("response_json")))
        return Content(MT.MESSAGE_TYPE_FLOW_REPLY, readable_text(MT.MESSAGE_TYPE_FLOW_REPLY, answers), found)
    return Content(MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED, reply_kind), found)


def order_summary(found: Mapping[str, Any], path: str) -> str:
    """`2 productos, 3 unidades, total 1.500,00 ARS: <the lead's text>` from an `order` object."""
    items = as_list(found.get("product_items"))
    units, total, currencies = 0, Decimal(0), set()
    for index, item in enumerate(map(as_dict, items)):
        where = at(at(path, "product_items"), index)
        try:
            quantity = Decimal(as_str(item.get("quantity")) or "1")
            price = Decimal(as_str(item.get("item_price")) or "0")
        except InvalidOperation:
            raise Malformed(where, "quantity and item_price must be numbers") from None
        if not (quantity.is_finite() and price.is_finite()) or abs(quantity) > 10**9 or abs(price) > 10**15:
            raise Malformed(where, "quantity or item_price is out of range")
        units += int(quantity)
        total += quantity * price
        currencies.add(as_str(item.get("currency")))
    parts = [plural(len(items), "producto", "productos"), plural(units, "unidad", "unidades")]
    if total and len(currencies) == 1:
        parts.append(f"total {money(total, currencies.pop())}")
    summary = ", ".join(parts)
    text = as_str(found.get("text")).strip()
    return f"{summary}: {text}" if text else summary


def _order(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    text = readable_text(MT.MESSAGE_TYPE_ORDER, order_summary(found, at(path, kind)))
    return Content(MT.MESSAGE_TYPE_ORDER, text, found)


def _button(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    text = as_str(found.get("text")) or as_str(found.get("payload"))
    return Content(MT.MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY, text, found)


def _reaction(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    return Content(MT.MESSAGE_TYPE_REACTION, readable_text(MT.MESSAGE_TYPE_REACTION, as_str(found.get("emoji"))), found)


def _system(message: dict[str, Any], kind: str, path: str) -> Content:
    found = obj(message, kind, path)
    body = as_str(found.get("body"))
    # The new number is `wa_id` (or `new_wa_id` in older payloads); `user_id` is the new business-scoped id.
    new_phone = as_str(found.get("wa_id")) or as_str(found.get("new_wa_id"))
    new_user_id = as_str(found.get("user_id"))
    if as_str(found.get("type")) in _CHANGED_NUMBER_TYPES:
        text = readable_text(MT.MESSAGE_TYPE_USER_CHANGED_NUMBER, body)
        return Content(MT.MESSAGE_TYPE_USER_CHANGED_NUMBER, text, found, None, new_phone, new_user_id)
    return Content(MT.MESSAGE_TYPE_SYSTEM, readable_text(MT.MESSAGE_TYPE_SYSTEM, body), found, None, "", new_user_id)


def _welcome(message: dict[str, Any], kind: str, path: str) -> Content:
    return Content(MT.MESSAGE_TYPE_WELCOME_REQUEST, readable_text(MT.MESSAGE_TYPE_WELCOME_REQUEST), {})


def _unsupported(message: dict[str, Any], kind: str, path: str) -> Content:
    # Meta's own `unsupported` type, and any type newer than this code: the lead still wrote something.
    found = message.get(kind) if kind else None
    payload = found if isinstance(found, dict) else ({kind: found} if kind and found is not None else {})
    error = as_dict(next(iter(as_list(message.get("errors"))), None))
    reason = as_str(as_dict(error.get("error_data")).get("details")) or as_str(error.get("title"))
    detail = f"({reason})" if reason else (kind if kind != "unsupported" else "")
    return Content(MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED, detail), payload)


_PARSERS: Mapping[str, Callable[[dict[str, Any], str, str], Content]] = {
    "text": _text,
    "image": _media,
    "audio": _media,
    "video": _media,
    "document": _media,
    "sticker": _media,
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "order": _order,
    "button": _button,
    "reaction": _reaction,
    "system": _system,
    "request_welcome": _welcome,
    "unsupported": _unsupported,
}


def status_update(status: Any, path: str, *, provider: str, received_at: datetime) -> supervisor_pb2.StatusUpdate:
    """One `value.statuses[]` item; Malformed (naming the field) for a missing id or an unknown status."""
    if not isinstance(status, dict):
        raise Malformed(path, "is not an object")
    whatsapp_id, gupshup_id = as_str(status.get("id")), as_str(status.get("gs_id"))
    name = as_str(status.get("status"))
    if not whatsapp_id and not gupshup_id:
        raise Malformed(at(path, "id"), "is missing")
    if name not in STATUSES:
        raise Malformed(at(path, "status"), f"{name[:32]!r} is not a known status")
    first_error = as_dict(next(iter(as_list(status.get("errors"))), None))
    # Gupshup v3 names both ids: its own (what its send API returned) and WhatsApp's.
    primary = gupshup_id or whatsapp_id
    return supervisor_pb2.StatusUpdate(
        provider=provider,
        provider_message_id=primary,
        status=STATUSES[name],
        at=epoch_timestamp(status.get("timestamp"), at(path, "timestamp"), fallback=received_at),
        error_code=as_str(first_error.get("code")),
        error_title=as_str(first_error.get("title")) or as_str(first_error.get("message")),
        raw=to_struct(status, path),
        also_message_ids=[whatsapp_id] if gupshup_id and whatsapp_id and whatsapp_id != gupshup_id else [],
    )


def named_phone_number_ids(body: Any) -> list[str]:
    """Every `value.metadata.phone_number_id` an envelope names, in order, once each (read, not trusted)."""
    named: dict[str, None] = {}
    for entry in as_list(as_dict(body).get("entry")):
        for change in as_list(as_dict(entry).get("changes")):
            metadata = as_dict(as_dict(as_dict(change).get("value")).get("metadata"))
            if pnid := as_str(metadata.get("phone_number_id")):
                named[pnid] = None
    return list(named)

"""Pure normaliser of Gupshup callbacks (v2 format, and v3 apps forwarding Meta's envelope)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.webhooks.meta import contact_summary, media_object, media_text, normalise_meta
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
    epoch_timestamp,
    location_text,
    obj,
    readable_text,
    to_struct,
)
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

PROVIDER = "gupshup"
SUPPORTED_VERSION = 2
DS = supervisor_pb2.DeliveryStatus
STATUSES: Mapping[str, supervisor_pb2.DeliveryStatus.ValueType] = {
    "enqueued": DS.DELIVERY_STATUS_PENDING,
    "sent": DS.DELIVERY_STATUS_SENT,
    "delivered": DS.DELIVERY_STATUS_DELIVERED,
    "read": DS.DELIVERY_STATUS_READ,
    "failed": DS.DELIVERY_STATUS_FAILED,
}
_MEDIA_TYPES: Mapping[str, ingest_pb2.MessageType.ValueType] = {
    "image": MT.MESSAGE_TYPE_IMAGE,
    "video": MT.MESSAGE_TYPE_VIDEO,
    "audio": MT.MESSAGE_TYPE_AUDIO,
    "file": MT.MESSAGE_TYPE_DOCUMENT,
    "sticker": MT.MESSAGE_TYPE_STICKER,
}
# Gupshup spells the tap on a reply button both ways depending on the message that carried it.
_BUTTON_REPLIES = frozenset({"button_reply", "quick_reply"})


def is_meta_envelope(body: Any) -> bool:
    """True for a v3 callback: Meta's envelope (`object`/`entry`, usually with `gs_app_id`)."""
    return isinstance(body, dict) and ("object" in body or "entry" in body)


def normalise_gupshup(body: Any, *, received_at: datetime) -> Normalised:
    """Turns a parsed Gupshup callback into one batch (v2) or Meta-style batches (v3).

    `user-event` callbacks (opt-in/opt-out, sandbox) carry no message; they are kept as dead letters
    with reason `user_event` so an opt-out is never silently lost.
    """
    if is_meta_envelope(body):
        return normalise_meta(
            body, received_at=received_at, provider=ingest_pb2.PROVIDER_GUPSHUP, status_provider=PROVIDER
        )
    result = Normalised()
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        result.dead_letters.append(DeadLetter("malformed_envelope", "payload is not an object", body))
        return result
    version = body.get("version")
    if version is not None and version != SUPPORTED_VERSION:
        result.dead_letters.append(DeadLetter("unsupported_version", f"version {as_str(version)[:16]!r}", body))
        return result
    batch = Batch(route=as_str(body.get("app")), raw=body)
    result.batches.append(batch)
    kind, payload = as_str(body.get("type")), body["payload"]
    try:
        if kind == "message":
            batch.messages.append(inbound_message(payload, sent_at_ms=body.get("timestamp"), received_at=received_at))
        elif kind == "message-event":
            batch.statuses.append(status_update(payload, envelope_ms=body.get("timestamp"), received_at=received_at))
        elif kind == "user-event":
            batch.dead_letters.append(DeadLetter("user_event", as_str(payload.get("type"))[:64], body))
        else:
            batch.dead_letters.append(DeadLetter("unsupported_type", f"type {kind[:64]!r}", body))
    except PART_ERRORS as exc:
        batch.dead_letters.append(DeadLetter(f"malformed_{kind.replace('-', '_') or 'callback'}", str(exc), body))
    return result


def inbound_message(payload: dict[str, Any], *, sent_at_ms: Any, received_at: datetime) -> ingest_pb2.InboundMessage:
    """The `payload` of a `type: message` callback as an InboundMessage; Malformed (naming the field) if unusable."""
    sender = obj(payload, "sender", "payload")
    message_id = as_str(payload.get("id"))
    phone = as_str(payload.get("source")) or as_str(sender.get("phone"))
    user_id = as_str(sender.get("userId")) or as_str(payload.get("userId"))
    if not message_id:
        raise Malformed("payload.id", "is missing")
    if not phone and not user_id:
        raise Malformed("payload.source", "is missing (and there is no sender.userId)")
    kind = as_str(payload.get("type"))
    inner = obj(payload, "payload", "payload")
    message_type, text, media = _content(kind, inner)
    context = as_dict(payload.get("context"))
    inbound = ingest_pb2.InboundMessage(
        provider=ingest_pb2.PROVIDER_GUPSHUP,
        provider_message_id=message_id,
        from_phone=phone,
        from_user_id=user_id,
        profile_name=as_str(sender.get("name")),
        sent_at=epoch_timestamp(sent_at_ms, "timestamp", fallback=received_at),
        type=message_type,
        text=text,
        payload=to_struct(inner, "payload.payload"),
        # gsId is the id Gupshup gave our outbound message when we sent it; id is WhatsApp's.
        context_message_id=as_str(context.get("gsId")) or as_str(context.get("id")),
        reply_id=_reply_id(message_type, inner),
    )
    if media is not None:
        inbound.media.CopyFrom(media)
    return inbound


def _reply_id(message_type: ingest_pb2.MessageType.ValueType, inner: dict[str, Any]) -> str:
    # Our id of the option comes back as postbackText (what supervisor sends as the option's
    # postbackText); `id` is the fallback for replies to options sent without one.
    if message_type in (MT.MESSAGE_TYPE_BUTTON_REPLY, MT.MESSAGE_TYPE_LIST_REPLY):
        return as_str(inner.get("postbackText")) or as_str(inner.get("id"))
    return ""


def _content(kind: str, inner: dict[str, Any]) -> tuple[ingest_pb2.MessageType.ValueType, str, ingest_pb2.Media | None]:
    if kind == "text":
        return MT.MESSAGE_TYPE_TEXT, as_str(inner.get("text")), None
    if kind in _MEDIA_TYPES:
        message_type = _MEDIA_TYPES[kind]
        media = media_object(inner)
        return message_type, media_text(message_type, media), media
    if kind == "location":
        return MT.MESSAGE_TYPE_LOCATION, location_text(inner, "payload.payload"), None
    if kind in ("contact", "contacts"):
        summary = contact_summary(as_list(inner.get("contacts")))
        return MT.MESSAGE_TYPE_CONTACTS, readable_text(MT.MESSAGE_TYPE_CONTACTS, summary), None
    if kind in _BUTTON_REPLIES:
        return MT.MESSAGE_TYPE_BUTTON_REPLY, as_str(inner.get("title")) or as_str(inner.get("text")), None
    if kind == "list_reply":
        return MT.MESSAGE_TYPE_LIST_REPLY, as_str(inner.get("title")), None
    return MT.MESSAGE_TYPE_UNSUPPORTED, readable_text(MT.MESSAGE_TYPE_UNSUPPORTED, kind), None


def status_update(payload: dict[str, Any], *, envelope_ms: Any, received_at: datetime) -> supervisor_pb2.StatusUpdate:
    """The `payload` of a `type: message-event` callback; Malformed (naming the field) for an unusable one."""
    # For enqueued/failed `id` is Gupshup's message id; for sent/delivered/read `id` is WhatsApp's and
    # `gsId` is Gupshup's (missing on events more than a week old). Gupshup's id is the one its send API
    # returned; both are passed on, so the reply is found whichever one the event names.
    gupshup_id, other_id = as_str(payload.get("gsId")), as_str(payload.get("id"))
    name = as_str(payload.get("type"))
    if not gupshup_id and not other_id:
        raise Malformed("payload.id", "is missing")
    if name not in STATUSES:
        raise Malformed("payload.type", f"{name[:32]!r} is not a known event")
    detail = obj(payload, "payload", "payload")
    envelope_time = epoch_timestamp(envelope_ms, "timestamp", fallback=received_at)
    at = epoch_timestamp(detail.get("ts"), "payload.payload.ts", fallback=envelope_time.ToDatetime())
    return supervisor_pb2.StatusUpdate(
        provider=PROVIDER,
        provider_message_id=gupshup_id or other_id,
        status=STATUSES[name],
        at=at,
        error_code=as_str(detail.get("code")) if name == "failed" else "",
        error_title=as_str(detail.get("reason")) if name == "failed" else "",
        raw=to_struct(payload, "payload"),
        also_message_ids=[other_id] if gupshup_id and other_id and other_id != gupshup_id else [],
    )

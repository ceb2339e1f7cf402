"""What the pure webhook normalisers produce, the one table of readable texts, and small JSON helpers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

MT = ingest_pb2.MessageType

# The Spanish label a message type shows in the timeline and the dashboard snippet. Types absent
# here (text, button and list replies, template buttons) show what the lead wrote or tapped.
LABELS: Mapping[int, str] = {
    MT.MESSAGE_TYPE_IMAGE: "[imagen]",
    MT.MESSAGE_TYPE_AUDIO: "[audio]",
    MT.MESSAGE_TYPE_VOICE: "[nota de voz]",
    MT.MESSAGE_TYPE_VIDEO: "[video]",
    MT.MESSAGE_TYPE_DOCUMENT: "[documento]",
    MT.MESSAGE_TYPE_STICKER: "[sticker]",
    MT.MESSAGE_TYPE_LOCATION: "[ubicación]",
    MT.MESSAGE_TYPE_CONTACTS: "[contacto]",
    MT.MESSAGE_TYPE_REACTION: "[reacción]",
    MT.MESSAGE_TYPE_USER_CHANGED_NUMBER: "[cambio de número]",
    MT.MESSAGE_TYPE_UNSUPPORTED: "[no soportado]",
}

# Epoch seconds a protobuf Timestamp can hold (0001-01-01 .. 9999-12-31); beyond that it's garbage.
_MAX_EPOCH_SECONDS = 253_402_300_799


class Malformed(ValueError):
    """A webhook item lacks what it needs (an id, a sender) to be stored."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A webhook piece the gateway could not turn into a message or a status, kept with the reason."""

    # A short stable code (also a metric label): unsupported_field, unknown_phone_number_id, ...
    reason: str
    detail: str
    # The raw JSON piece (change, message, status, error) as received.
    payload: Any

    def reason_text(self) -> str:
        """The reason as stored: code and detail."""
        return f"{self.reason}: {self.detail}" if self.detail else self.reason

    def payload_json(self) -> str:
        """The payload as JSON text, readable (non-ASCII kept) whenever it is valid UTF-8."""
        text = json.dumps(self.payload, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates from "\ud800"-style escapes can't travel as a protobuf string.
            text = json.dumps(self.payload)
        return text


@dataclass(slots=True)
class Batch:
    """Everything one Meta change (or one Gupshup callback) carries, ready for the services."""

    # Meta: value.metadata.phone_number_id; Gupshup v2: the app name. Empty when absent.
    route: str
    # The change/callback as received, dead-lettered whole when it can't be routed to a tenant.
    raw: Any
    messages: list[ingest_pb2.InboundMessage] = field(default_factory=list)
    statuses: list[supervisor_pb2.StatusUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


@dataclass(slots=True)
class Normalised:
    """A whole webhook body: routable batches plus pieces that belong to no tenant."""

    batches: list[Batch] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    @property
    def messages(self) -> list[ingest_pb2.InboundMessage]:
        """Every message of every batch."""
        return [message for batch in self.batches for message in batch.messages]

    @property
    def statuses(self) -> list[supervisor_pb2.StatusUpdate]:
        """Every status of every batch."""
        return [status for batch in self.batches for status in batch.statuses]

    @property
    def all_dead_letters(self) -> list[DeadLetter]:
        """Top-level dead letters and those of every batch."""
        return [*self.dead_letters, *(letter for batch in self.batches for letter in batch.dead_letters)]


def readable_text(message_type: int, *details: str) -> str:
    """The line shown for a message: its type label followed by the non-empty details."""
    label = LABELS.get(message_type)
    if label is None:
        return " ".join(detail for detail in details if detail)
    return " ".join([label, *(detail.strip() for detail in details if detail and detail.strip())])


def coordinates(latitude: Any, longitude: Any) -> str:
    """`-34.60,-58.38` from numbers or numeric strings; empty when either is not a finite number."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return ""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return ""
    return f"{lat:.2f},{lon:.2f}"


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    """A JSON scalar as text (`131047` -> "131047"); empty for null, objects and arrays."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """A JSON object as a protobuf Struct (raises json_format.ParseError past 100 levels).

    Raises Malformed for a number past a double's range: the parser reads `1e999` as infinity, which a
    Struct holds but no JSON can spell, so the message would fail again wherever it is written out.
    """
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise Malformed("a number is out of range")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return json_format.ParseDict(dict(value), struct_pb2.Struct())


def epoch_timestamp(value: Any, *, millis: bool, fallback: datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp from epoch seconds (or milliseconds) given as a number or numeric string; `fallback` if unusable."""
    result = timestamp_pb2.Timestamp()
    try:
        number = Decimal(as_str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if number.is_finite():
        nanos = int(number * (1_000_000 if millis else 1_000_000_000))
        if 0 < nanos <= _MAX_EPOCH_SECONDS * 1_000_000_000:
            result.FromNanoseconds(nanos)
            return result
    result.FromDatetime(fallback)
    return result

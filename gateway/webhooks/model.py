"""What the pure webhook normalisers produce, the Spanish one-line summaries, and checked readers of JSON parts.

Every reader names the field it reads (`messages[0].location.latitude`): a part whose value can't be
stored (a number past a double's range, an out-of-range coordinate or time, an object where text belongs)
fails alone as a dead letter naming that field, and the other parts of the body are stored.
"""

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
    MT.MESSAGE_TYPE_ORDER: "[pedido]",
    MT.MESSAGE_TYPE_FLOW_REPLY: "[formulario]",
    MT.MESSAGE_TYPE_SYSTEM: "[aviso de WhatsApp]",
    MT.MESSAGE_TYPE_WELCOME_REQUEST: "[abrió el chat]",
}

# Epoch seconds a protobuf Timestamp can hold (up to 9999-12-31).
_MAX_EPOCH_SECONDS = 253_402_300_799
# An epoch this large is milliseconds (seconds would be past the year 5000): Gupshup sends either.
_MILLIS_ABOVE = Decimal(100_000_000_000)
# Integers longer than this can't become a double (about 1.8e308); Python refuses past 4300 digits anyway.
MAX_INT_DIGITS = 300
# What a dead letter's detail quotes of a bad value.
_QUOTE = 24


class OutOfRange:
    """A JSON number no double can hold (`1e999999`, a 400-digit integer), kept as its text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"OutOfRange({self.text[:_QUOTE]!r})"


def parse_int(text: str) -> int | OutOfRange:
    """`json.loads` hook: an integer, or OutOfRange past what a double holds."""
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else OutOfRange(text)


def parse_float(text: str) -> float | OutOfRange:
    """`json.loads` hook: a float, or OutOfRange where the parser would read infinity."""
    value = float(text)
    return value if math.isfinite(value) else OutOfRange(text)


def json_default(value: Any) -> Any:
    """`json.dumps` hook: an OutOfRange number is written back as the text it came as."""
    if isinstance(value, OutOfRange):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON")


class Malformed(ValueError):
    """A webhook part lacks what it needs or holds a value that can't be stored; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field


def at(path: str, key: str | int) -> str:
    """`messages[0]` + `location` -> `messages[0].location`; + 3 -> `...[3]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


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
        text = json.dumps(self.payload, ensure_ascii=False, default=json_default)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates from "\ud800"-style escapes can't travel as a protobuf string.
            text = json.dumps(self.payload, default=json_default)
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


# Errors a part's reading may raise on hostile values: each fails that part alone.
PART_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, json_format.Error)


def readable_text(message_type: int, *details: str) -> str:
    """The line shown for a message: its type label followed by the non-empty details."""
    label = LABELS.get(message_type)
    shown = [" ".join(detail.split()) for detail in details if detail and detail.strip()]
    return " ".join([label, *shown] if label else shown)


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


def obj(message: Mapping[str, Any], key: str, path: str) -> dict[str, Any]:
    """The object under `key` (empty when absent); Malformed naming it when it is anything but an object."""
    value = message.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed(at(path, key), "is not an object")
    return value


def number(value: Any, field: str) -> float | None:
    """A finite number from a JSON number or numeric string; None when absent or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, OutOfRange):
        raise Malformed(field, f"{value.text[:_QUOTE]} is out of range")
    if isinstance(value, bool | dict | list):
        raise Malformed(field, "is not a number")
    try:
        result = float(value)
    except (ValueError, OverflowError):
        raise Malformed(field, f"{as_str(value)[:_QUOTE]!r} is not a number") from None
    if not math.isfinite(result):
        raise Malformed(field, "is out of range")
    return result


def coordinate(value: Any, field: str, *, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (180); Malformed naming the field outside ±limit."""
    found = number(value, field)
    if found is not None and abs(found) > limit:
        raise Malformed(field, f"{found:g} is out of range (±{limit:g})")
    return found


def location_text(obj: Mapping[str, Any], path: str) -> str:
    """`[ubicación] Obelisco, Av. 9 de Julio s/n (-34.60,-58.38)`: names first, checked coordinates after."""
    lat = coordinate(obj.get("latitude"), at(path, "latitude"), limit=90)
    lon = coordinate(obj.get("longitude"), at(path, "longitude"), limit=180)
    names = ", ".join(part for part in (as_str(obj.get("name")).strip(), as_str(obj.get("address")).strip()) if part)
    where = f"({lat:.2f},{lon:.2f})" if lat is not None and lon is not None else ""
    return readable_text(MT.MESSAGE_TYPE_LOCATION, names, where)


def epoch_timestamp(value: Any, field: str, *, fallback: datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp from epoch seconds or milliseconds (a number or numeric string); `fallback` when absent.

    Present but unusable (not a number, past a double, before 1970 or after 9999) is Malformed naming the field.
    """
    result = timestamp_pb2.Timestamp()
    if value is None or value == "":
        result.FromDatetime(fallback)
        return result
    if isinstance(value, bool | dict | list):
        raise Malformed(field, "is not a number")
    try:
        seconds = Decimal(as_str(value))
    except InvalidOperation:
        raise Malformed(field, f"{as_str(value)[:_QUOTE]!r} is not a number") from None
    if not seconds.is_finite() or not 0 < seconds <= _MAX_EPOCH_SECONDS * 1000:
        raise Malformed(field, f"{as_str(value)[:_QUOTE]} is not a time between 1970 and 9999")
    if seconds > _MILLIS_ABOVE:
        seconds /= 1000
    result.FromNanoseconds(int(seconds * 1_000_000_000))
    return result


def to_struct(value: Mapping[str, Any], field: str) -> struct_pb2.Struct:
    """A JSON object as a protobuf Struct; Malformed naming the first value no Struct (or JSON) can carry."""
    pending: list[tuple[str, Any]] = [(field, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, OutOfRange) or (isinstance(item, float) and not math.isfinite(item)):
            raise Malformed(path, "a number is out of range")
        if isinstance(item, int) and not isinstance(item, bool) and len(str(abs(item))) > MAX_INT_DIGITS:
            raise Malformed(path, "a number is out of range")
        if isinstance(item, dict):
            pending.extend((at(path, str(key)), child) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend((at(path, index), child) for index, child in enumerate(item))
    try:
        return json_format.ParseDict(dict(value), struct_pb2.Struct())
    except json_format.ParseError as exc:
        raise Malformed(field, f"can't be kept ({exc})") from None


def money(amount: Decimal, currency: str) -> str:
    """`1234.5`, "ARS" -> `1.234,50 ARS` (Argentine separators)."""
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents} {currency}".strip()


def plural(count: int, one: str, many: str) -> str:
    """`1 producto`, `3 productos`."""
    return f"{count} {one if count == 1 else many}"

"""Hypothesis strategies for hostile values, JSON, and whole protobuf messages walked from their descriptors."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from google.protobuf import message_factory, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
# The seconds a google.protobuf.Timestamp may hold (0001-01-01 .. 9999-12-31T23:59:59Z); the wire takes any int64.
MIN_SECONDS, MAX_SECONDS = -62_135_596_800, 253_402_300_799

# Strings that broke or bent real systems: NUL, bidi overrides, ZWJ emoji, piles of combining marks, SQL and
# LIKE metacharacters, JSON and format-string syntax, log forging, case folds that change length, non-ASCII
# digits, and sizes past every limit the services document (4096 characters of text, 256 of a provider id).
HOSTILE_STRINGS = (
    "",
    " ",
    "\x00",
    "ab\x00cd",
    "\t\n\r\x0b\x0c",
    "\u202eevil\u202c",
    "\u200f\u200e\u061c",
    "🏠👨‍👩‍👧‍👦🇦🇷",
    "e" + "\u0301" * 64,
    "Z̴̡̢̛a̸̧l̷g̶o̵",
    "'; DROP TABLE ingest.tickets; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "%_\\%",
    '{"a": 1}',
    "[",
    "null",
    "\\u0000",
    "%s%s%n%x",
    "{0}{}",
    "${jndi:ldap://127.0.0.1/a}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\r\nERROR forged log line",
    "\ufeff",
    "\u2028\u2029",
    "\uffff\ufffe",
    "\U0010ffff",
    "İSTANBUL",
    "ﬁ",
    "１２３４５６７８",
    "٠١٢٣٤٥٦٧٨٩",
    "NaN",
    "-0",
    "1e309",
    "a" * 257,
    "ñ" * 4097,
    "x" * 70_000,
)


@cache
def uuid_texts() -> SearchStrategy[str]:
    """UUID-ish strings: valid in every spelling Python accepts, and near misses."""
    base = st.uuids()
    return st.one_of(
        base.map(str),
        base.map(lambda u: str(u).upper()),
        base.map(lambda u: "{" + str(u) + "}"),
        base.map(lambda u: u.urn),
        base.map(lambda u: u.hex),
        st.sampled_from([str(uuid.UUID(int=0)), str(uuid.UUID(int=2**128 - 1))]),
        base.map(lambda u: str(u)[:-1]),
        base.map(lambda u: str(u) + "0"),
        base.map(lambda u: str(u).replace("-", "\x00", 1)),
        base.map(lambda u: " " + str(u) + " "),
    )


@cache
def hostile_text(*, max_size: int = 40) -> SearchStrategy[str]:
    """Any string, weighted towards the hostile ones."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.text(max_size=max_size),
        uuid_texts(),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=max_size),
    )


@cache
def benign_text() -> SearchStrategy[str]:
    """Short, ordinary strings (a field nobody hinted, in a plausible request)."""
    return st.one_of(
        st.sampled_from(["", "Hola", "fuzz", "Quiero visitar el depto"]), st.text("abcdefgh ", max_size=12)
    )


def ints(bounds: tuple[int, int]) -> SearchStrategy[int]:
    """Integers within `bounds`, weighted towards the edges and small values."""
    low, high = bounds
    edges = sorted({value for value in (low, high, 0, 1, -1, low + 1, high - 1) if low <= value <= high})
    return st.one_of(st.sampled_from(edges), st.integers(low, high), st.integers(max(low, -100), min(high, 1000)))


def timestamp(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    """A Timestamp message as given (no range check: the wire carries any value)."""
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


@cache
def hostile_timestamps() -> SearchStrategy[timestamp_pb2.Timestamp]:
    """Timestamps at and past the ends of the calendar, with nanos in and out of range."""
    seconds = st.one_of(
        st.sampled_from(
            [0, -1, 1, MIN_SECONDS, MAX_SECONDS, MIN_SECONDS - 1, MAX_SECONDS + 1, INT64[0], INT64[1], 2**31, -(2**31)]
        ),
        st.integers(*INT64),
        st.integers(MIN_SECONDS, MAX_SECONDS),
    )
    nanos = st.one_of(st.sampled_from([0, 999_999_999, -1, 1_000_000_000, INT32[0], INT32[1]]), st.integers(*INT32))
    return st.builds(timestamp, seconds, nanos)


def around_now(low_seconds: int, high_seconds: int) -> SearchStrategy[timestamp_pb2.Timestamp]:
    """Timestamps between now+low and now+high seconds, read at draw time."""
    return st.integers(low_seconds, high_seconds).map(lambda offset: timestamp(int(time.time()) + offset))


JSON_SCALARS: SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324]),
    hostile_text(max_size=20),
)


@cache
def json_values(*, max_leaves: int = 12) -> SearchStrategy[Any]:
    """JSON-shaped values (the float specials included) with hostile keys and strings."""
    return st.recursive(
        JSON_SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(hostile_text(max_size=12), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int, leaf: Any = "deep") -> dict[str, Any]:
    """An object nested `depth` levels deep."""
    value: Any = leaf
    for _ in range(depth):
        value = {"x": value}
    return value


@cache
def json_objects() -> SearchStrategy[dict[str, Any]]:
    """JSON objects, sometimes nested past protobuf's parse depth (100) or Postgres' jsonb limits."""
    return st.one_of(
        st.dictionaries(hostile_text(max_size=12), json_values(), max_size=5),
        st.sampled_from([{}, nested(60), nested(120), {"a": [None] * 3, "b": {"\x00": "\x00"}}]),
    )


@cache
def benign_objects() -> SearchStrategy[dict[str, Any]]:
    """Small ordinary JSON objects."""
    scalars = st.one_of(st.text("abc", max_size=5), st.integers(-1000, 1000), st.booleans(), st.none())
    return st.dictionaries(st.sampled_from(["type", "id", "title"]), scalars, max_size=3)


def struct_of(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """A Struct from a JSON object (Struct.update keeps NaN and infinities, as a hostile sender could)."""
    result = struct_pb2.Struct()
    result.update(dict(value))
    return result


def now_and_then(common: SearchStrategy[Any], rare: SearchStrategy[Any], *, one_in: int) -> SearchStrategy[Any]:
    """`common`, or once in `one_in` draws `rare` (st.one_of would give each the same share)."""
    return st.integers(1, one_in).flatmap(lambda pick: rare if pick == one_in else common)


def weighted(common: SearchStrategy[Any], rare: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """`common` three times in four, else `rare`."""
    return now_and_then(common, rare, one_in=4)


# A hint: plausible values for one field, keyed "Message.field" or just "field" ("ticket_id" in every message).
Hints = Mapping[str, SearchStrategy[Any]]
MODES = ("plausible", "mutant", "hostile")
MAX_DEPTH = 6


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


_SCALAR_BOUNDS = {
    FieldDescriptor.TYPE_INT32: INT32,
    FieldDescriptor.TYPE_SINT32: INT32,
    FieldDescriptor.TYPE_SFIXED32: INT32,
    FieldDescriptor.TYPE_INT64: INT64,
    FieldDescriptor.TYPE_SINT64: INT64,
    FieldDescriptor.TYPE_SFIXED64: INT64,
    FieldDescriptor.TYPE_UINT32: UINT32,
    FieldDescriptor.TYPE_FIXED32: UINT32,
    FieldDescriptor.TYPE_UINT64: UINT64,
    FieldDescriptor.TYPE_FIXED64: UINT64,
}


def _single(field: FieldDescriptor, hints: Hints, *, hostile: bool, depth: int, mode: str) -> SearchStrategy[Any]:
    """One value of a field (an element, for repeated fields)."""
    hint = hints.get(f"{field.containing_type.name}.{field.name}", hints.get(field.name))
    if field.message_type is not None:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            own = hostile_timestamps() if hostile else around_now(-30 * 86400, 300 * 86400)
        elif name == "google.protobuf.Struct":
            own = (json_objects() if hostile else benign_objects()).map(struct_of)
        else:
            own = message_strategy(field.message_type, hints, depth=depth + 1, mode=mode)
        if hint is not None:
            if not hostile:
                return hint
            own = st.one_of(hint, own)
        # An unset message field is a case of its own: "required" sub-messages are the callee's to check.
        return own if _is_repeated(field) else weighted(own, st.none())
    if field.type == FieldDescriptor.TYPE_STRING:
        own = hostile_text() if hostile else benign_text()
    elif field.type == FieldDescriptor.TYPE_BYTES:
        own = st.binary(max_size=64)
    elif field.type == FieldDescriptor.TYPE_BOOL:
        own = st.booleans()
    elif field.type == FieldDescriptor.TYPE_ENUM:
        known = st.sampled_from([value.number for value in field.enum_type.values])
        # Proto3 enums are open: any int32 arrives, and a newer client's value is one of them.
        own = st.one_of(known, ints(INT32)) if hostile else known
    elif field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        own = st.floats(allow_nan=hostile, allow_infinity=hostile, width=64 if field.type == 1 else 32)
    elif field.type in _SCALAR_BOUNDS:
        own = ints(_SCALAR_BOUNDS[field.type])
    else:
        raise TypeError(f"no strategy for {field.full_name} (type {field.type})")
    if hint is None:
        return own
    return st.one_of(hint, own) if hostile else hint


def _values(field: FieldDescriptor, hints: Hints, *, hostile: bool, depth: int, mode: str) -> SearchStrategy[Any]:
    """What goes into a field: a value, or a list for repeated fields (a few, or many copies of one)."""
    if _is_map(field):
        entry = field.message_type
        key = _single(entry.fields_by_name["key"], hints, hostile=hostile, depth=depth, mode=mode)
        value = _single(entry.fields_by_name["value"], hints, hostile=hostile, depth=depth, mode=mode)
        return st.dictionaries(key, value.filter(lambda v: v is not None), max_size=4)
    element = _single(field, hints, hostile=hostile, depth=depth, mode=mode)
    if not _is_repeated(field):
        return element
    hint = hints.get(f"{field.containing_type.name}.{field.name}[]")
    few = st.lists(element, max_size=4 if hostile else 3)
    if hint is not None and not hostile:
        return hint
    if not hostile:
        return few
    return st.one_of(few, st.tuples(element, st.sampled_from([4, 51, 1001])).map(lambda pair: [pair[0]] * pair[1]))


def _assign(message: Message, field: FieldDescriptor, value: Any) -> None:
    if value is None:
        return
    target = getattr(message, field.name)
    if _is_map(field):
        for key, item in value.items():
            if isinstance(item, Message):
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif _is_repeated(field):
        if field.message_type is not None:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.message_type is not None:
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


def message_strategy(
    descriptor: Descriptor, hints: Hints, *, depth: int = 0, mode: str | None = None
) -> SearchStrategy[Message]:
    """Messages of `descriptor`: every field walked, one member (or none) of each oneof."""
    # At the top a mode is drawn: `plausible` takes each field from its hint (real ids, valid times),
    # `mutant` spoils about one field in four, `hostile` draws every field from the hostile values.
    # Plausible requests reach the rules behind the first validation; the others probe the validation.
    cls = message_factory.GetMessageClass(descriptor)

    @st.composite
    def build(draw: Callable[[SearchStrategy[Any]], Any]) -> Message:
        chosen_mode = mode or draw(st.sampled_from(MODES))
        message = cls()
        if depth > MAX_DEPTH:
            return message
        skipped: set[str] = set()
        for oneof in descriptor.oneofs:
            member = draw(st.sampled_from([None, *oneof.fields]))
            skipped.update(field.name for field in oneof.fields if field is not member)
        for field in descriptor.fields:
            if field.name in skipped:
                continue
            hostile = draw(st.integers(0, 3)) == 0 if chosen_mode == "mutant" else chosen_mode == "hostile"
            _assign(message, field, draw(_values(field, hints, hostile=hostile, depth=depth, mode=chosen_mode)))
        return message

    return build()

"""Well-known protobuf types both ways: written from Python values, and read from requests, where a value
the type can't stand for is the caller's error.

The wire carries any int64 of seconds and any int32 of nanos in a Timestamp, and NaN or infinities in a
Struct; protobuf's own converters raise ValueError on them, which would surface as INTERNAL. These raise
InvalidArgument naming the field instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from libs.common.errors import InvalidArgument

# The range google.protobuf.Timestamp documents: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
MIN_SECONDS = -62_135_596_800
MAX_SECONDS = 253_402_300_799
MAX_NANOS = 999_999_999


def to_datetime(stamp: timestamp_pb2.Timestamp, *, field: str) -> datetime:
    """The instant as an aware UTC datetime; InvalidArgument when the Timestamp is out of its range."""
    if not (MIN_SECONDS <= stamp.seconds <= MAX_SECONDS and 0 <= stamp.nanos <= MAX_NANOS):
        raise InvalidArgument(f"{field} is not a valid timestamp (years 1 to 9999)", field=field)
    return stamp.ToDatetime(tzinfo=UTC)


def to_dict(value: struct_pb2.Struct, *, field: str) -> dict[str, Any]:
    """The Struct as JSON-ready Python; InvalidArgument when it holds a number JSON can't (NaN, infinity)."""
    try:
        return json_format.MessageToDict(value)
    except (ValueError, json_format.Error) as exc:
        raise InvalidArgument(f"{field} holds a value JSON can't represent (NaN or infinity)", field=field) from exc


def timestamp(at: datetime) -> timestamp_pb2.Timestamp:
    """`at` (aware) as a Timestamp."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    return stamp


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """JSON-ready Python as a Struct."""
    result = struct_pb2.Struct()
    result.update(value)
    return result

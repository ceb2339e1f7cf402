"""Timestamps and Structs read from requests."""

import math
from datetime import UTC, datetime

import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from libs.common.errors import InvalidArgument
from libs.common.wire import MAX_SECONDS, MIN_SECONDS, to_datetime, to_dict


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(MIN_SECONDS - 1, 0), (MAX_SECONDS + 1, 0), (2**63 - 1, 0), (-(2**63), 0), (0, -1), (0, 1_000_000_000)],
)
def test_timestamps_outside_their_range_are_the_callers_error(seconds: int, nanos: int) -> None:
    with pytest.raises(InvalidArgument) as raised:
        to_datetime(timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos), field="sent_at")
    assert raised.value.field == "sent_at"


def test_timestamps_at_the_ends_of_the_range_are_read() -> None:
    assert to_datetime(timestamp_pb2.Timestamp(seconds=MIN_SECONDS), field="at") == datetime(1, 1, 1, tzinfo=UTC)
    last = to_datetime(timestamp_pb2.Timestamp(seconds=MAX_SECONDS, nanos=999_999_999), field="at")
    assert last == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_structs_holding_what_json_cannot_are_the_callers_error(number: float) -> None:
    value = struct_pb2.Struct()
    value.update({"ok": 1, "nested": {"bad": [number]}})
    with pytest.raises(InvalidArgument) as raised:
        to_dict(value, field="payload")
    assert raised.value.field == "payload"


def test_structs_become_plain_json() -> None:
    value = struct_pb2.Struct()
    value.update({"a": [1, "x", None, True], "b": {"c": 2.5}})
    assert to_dict(value, field="payload") == {"a": [1, "x", None, True], "b": {"c": 2.5}}

"""Small proto -> JSON helpers shared by the response schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from pydantic import BaseModel, field_validator


def label(enum: EnumTypeWrapper, value: int) -> str:
    """`DIRECTION_IN` -> "in": the enum value's name without the enum's prefix, lower case; "" if unspecified."""
    if value == 0:
        return ""
    prefix = enum.Name(0).removesuffix("UNSPECIFIED")
    try:
        return enum.Name(value).removeprefix(prefix).lower()
    except ValueError:
        # A value newer than this gateway's generated code.
        return str(value)


def when(parent: Message, field: str) -> datetime | None:
    """A Timestamp field as an aware UTC datetime, None when unset."""
    if not parent.HasField(field):
        return None
    stamp: timestamp_pb2.Timestamp = getattr(parent, field)
    return stamp.ToDatetime(tzinfo=UTC)


def struct_dict(value: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as a plain dict."""
    return json_format.MessageToDict(value)


def no_nul(value: str | None) -> str | None:
    """Refuses U+0000 (Postgres text can't hold it) so the field is named in a 422, not a 500."""
    if value is not None and "\x00" in value:
        raise ValueError("must not contain U+0000")
    return value


class RequestBody(BaseModel):
    """A request body: no text in it may hold U+0000, and a refusal names the field (422), never a 500."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                no_nul(text)
        return value

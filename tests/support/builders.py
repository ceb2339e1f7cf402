"""Builders for test data shared by every test module."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2

from vertice360.ingest.v1 import ingest_pb2 as ingest_pb


def a_phone() -> str:
    """A valid Argentine mobile as Meta sends it (no "+")."""
    return "5491155" + str(secrets.randbelow(10**6)).zfill(6)


def timestamp(at: datetime) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    return stamp


def inbound(
    phone: str, text: str = "Hola", *, wamid: str | None = None, at: datetime | None = None, **fields: object
) -> ingest_pb.IngestMessageRequest:
    """An IngestMessage request for a Meta text message (fields override any part)."""
    values: dict[str, object] = {
        "provider": ingest_pb.PROVIDER_META,
        "provider_message_id": wamid or f"wamid.{secrets.token_hex(8)}",
        "from_phone": phone,
        "profile_name": "Lucía",
        "sent_at": timestamp(at or datetime.now(UTC)),
        "type": ingest_pb.MESSAGE_TYPE_TEXT,
        "text": text,
    }
    values.update(fields)
    return ingest_pb.IngestMessageRequest(message=ingest_pb.InboundMessage(**values))


def tomorrow_at(hour: int, minute: int = 0, *, days: int = 1) -> datetime:
    """A future time at a fixed UTC hour, `days` from now."""
    base = datetime.now(UTC) + timedelta(days=days)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)

"""Request and reply of the manual/demo `ingest_message` entry point."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.schemas.convert import no_nul
from vertice360.ingest.v1 import ingest_pb2


class IngestMessageIn(BaseModel):
    """A message from a lead typed in by hand (demo channel)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "phone": "1155551234",
                    "text": "Hola, quiero info del proyecto Torre Norte",
                    "name": "Juan Pérez",
                    "message_id": "demo-0001",
                }
            ]
        }
    )

    # Shape only; ingest reads it with the tenant's region and answers 400 when it is not a number.
    phone: str = Field(min_length=1, max_length=32, pattern=r"^\+?[0-9 ().\-]+$")
    text: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(None, max_length=200)
    project_code: str | None = Field(None, max_length=64)
    asset_code: str | None = Field(None, max_length=64)
    # Idempotency key: the same id twice stores one message (the second reply says duplicate).
    message_id: str | None = Field(None, min_length=1, max_length=128)
    # The old contract sent the tenant slug; when given it must be the caller's.
    cliente: str | None = Field(None, max_length=64)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value

    _no_nul = field_validator("text", "name", "project_code", "asset_code", "message_id", "cliente")(no_nul)


class IngestMessageOut(BaseModel):
    """Where the message landed."""

    lead_id: str
    conversation_id: str
    ticket_id: str
    message_id: str
    duplicate: bool
    phone_e164: str

    @classmethod
    def from_proto(cls, reply: ingest_pb2.IngestMessageResponse) -> IngestMessageOut:
        """From ingest's IngestMessageResponse."""
        return cls(
            lead_id=reply.lead_id,
            conversation_id=reply.conversation_id,
            ticket_id=reply.ticket_id,
            message_id=reply.message_id,
            duplicate=reply.duplicate,
            phone_e164=reply.phone_e164,
        )

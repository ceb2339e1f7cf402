"""Request and reply of the manual/demo `ingest_message` entry point."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.schemas.convert import RequestBody
from vertice360.ingest.v1 import ingest_pb2


class IngestMessageIn(RequestBody):
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
    phone: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^\+?[0-9 ().\-]+$",
        description="The lead's phone; without `+` it is read in the tenant's region (AR: `+549...`).",
    )
    text: str = Field(min_length=1, max_length=4096, description="What the lead wrote.")
    name: str | None = Field(None, max_length=200, description="The lead's name, when known.")
    project_code: str | None = Field(None, max_length=64, description="The project the lead asks about.")
    asset_code: str | None = Field(None, max_length=64, description="The marketing asset that brought the lead.")
    message_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Idempotency key: the same id twice stores one message (the second answer says duplicate).",
    )
    cliente: str | None = Field(
        None, max_length=64, description="The old contract's tenant slug; must be the caller's."
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class IngestMessageOut(BaseModel):
    """Where the message landed."""

    lead_id: str = Field(description="The lead's id (UUID), new or reused.")
    conversation_id: str = Field(description="The conversation's id (UUID).")
    ticket_id: str = Field(description="The conversation's ticket (UUID).")
    message_id: str = Field(description="The stored message (UUID).")
    duplicate: bool = Field(description="True when this message id was stored before; nothing new was written.")
    phone_e164: str = Field(description="The lead's phone as stored, E.164.")

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

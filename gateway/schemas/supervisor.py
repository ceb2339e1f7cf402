"""Requests and replies of the team's outbound side: replies, assignment, escalation."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.schemas.convert import RequestBody
from gateway.schemas.dashboard import OutboundOut


class TemplateIn(RequestBody):
    """An approved WhatsApp template (the only thing WhatsApp delivers outside the 24 h window)."""

    name: str = Field(min_length=1, max_length=512, description="The approved template's name (Gupshup: its id).")
    language: str = Field("es_AR", min_length=2, max_length=16, description="Template language, e.g. `es_AR`.")
    parameters: list[str] = Field(
        default_factory=list, max_length=20, description="Values of the body's `{{1}}`, `{{2}}`, ... in order."
    )


class ButtonIn(RequestBody):
    """A reply button under the text."""

    id: str = Field(min_length=1, max_length=256, description="Comes back in the lead's reply when tapped.")
    title: str = Field(min_length=1, max_length=20, description="What the button says.")


class SendIn(RequestBody):
    """A reply to the ticket's lead: free text (inside the 24 h window) or a template."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10", "text": "¡Hola Lucía! ¿Te queda bien el jueves?"},
                {
                    "ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10",
                    "template": {"name": "seguimiento_visita", "language": "es_AR", "parameters": ["Lucía"]},
                },
            ]
        }
    )

    ticket_id: uuid.UUID = Field(description="The ticket whose lead gets the reply.")
    text: str | None = Field(
        None, min_length=1, max_length=4096, description="Free text; only while the 24 h window is open."
    )
    template: TemplateIn | None = Field(None, description="An approved template; allowed at any time.")
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=3, description="Up to 3 reply buttons under text.")

    @model_validator(mode="after")
    def _text_or_template(self) -> SendIn:
        if (self.text is None) == (self.template is None):
            raise ValueError("give exactly one of text or template")
        return self


class SendOut(BaseModel):
    """The stored reply and its delivery status; `duplicate` when the Idempotency-Key was seen before."""

    message: OutboundOut = Field(description="The stored reply.")
    duplicate: bool = Field(description="True when the Idempotency-Key was used before: this is the first result.")


class AssignIn(RequestBody):
    """Who takes the ticket."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10", "user_id": "0b7e6f5a-1d2c-4b3a-9e8f-7a6b5c4d3e2f"}
            ]
        }
    )

    ticket_id: uuid.UUID = Field(description="The ticket to assign.")
    user_id: str = Field(min_length=1, max_length=64, description="An active user of the tenant (agents: themselves).")


class EscalateIn(RequestBody):
    """A ticket a human supervisor must take over, and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10", "reason": "Pide hablar con alguien"}]
        }
    )

    ticket_id: uuid.UUID = Field(description="The ticket to hand over.")
    reason: str = Field("", max_length=500, description="Why; the supervisor reads it in the timeline.")


class AssignmentOut(BaseModel):
    """The ticket and its assignee after the change."""

    ticket_id: str = Field(description="The ticket.")
    assignee_user_id: str = Field(description="Who holds it now.")

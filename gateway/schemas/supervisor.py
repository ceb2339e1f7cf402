"""Requests and replies of the team's outbound side: replies, assignment, escalation."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field, field_validator, model_validator

from gateway.schemas.convert import no_nul
from gateway.schemas.dashboard import OutboundOut


class TemplateIn(BaseModel):
    """An approved WhatsApp template (the only thing WhatsApp delivers outside the 24 h window)."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field("es_AR", min_length=2, max_length=16)
    parameters: list[str] = Field(default_factory=list, max_length=20)


class ButtonIn(BaseModel):
    """A reply button under the text."""

    id: str = Field(min_length=1, max_length=256)
    title: str = Field(min_length=1, max_length=20)


class SendIn(BaseModel):
    """A reply to the ticket's lead: free text (inside the 24 h window) or a template."""

    ticket_id: uuid.UUID
    text: str | None = Field(None, min_length=1, max_length=4096)
    template: TemplateIn | None = None
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=3)

    _text_no_nul = field_validator("text")(no_nul)

    @model_validator(mode="after")
    def _text_or_template(self) -> SendIn:
        if (self.text is None) == (self.template is None):
            raise ValueError("give exactly one of text or template")
        return self


class SendOut(BaseModel):
    """The stored reply and its delivery status; `duplicate` when the Idempotency-Key was seen before."""

    message: OutboundOut
    duplicate: bool


class AssignIn(BaseModel):
    """Who takes the ticket."""

    ticket_id: uuid.UUID
    user_id: str = Field(min_length=1, max_length=64)


class EscalateIn(BaseModel):
    """A ticket a human supervisor must take over, and why."""

    ticket_id: uuid.UUID
    reason: str = Field("", max_length=500)

    _reason_no_nul = field_validator("reason")(no_nul)


class AssignmentOut(BaseModel):
    """The ticket and its assignee after the change."""

    ticket_id: str
    assignee_user_id: str

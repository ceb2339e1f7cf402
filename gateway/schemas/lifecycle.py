"""Requests and replies of the ticket lifecycle (outcomes, notes, lost reasons) and the message templates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.schemas.convert import no_nul, when
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

Outcome = Literal["visit_done", "won", "lost"]


class OutcomeIn(BaseModel):
    """Where the ticket's life goes next."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "won"}, {"outcome": "lost", "lost_reason": "precio"}]}
    )

    outcome: Outcome = Field(
        description="`visit_done` (stage `Visita realizada`, from `Visita confirmada` only), `won` (`Ganado`) or "
        "`lost` (`Perdido`, with `lost_reason`)."
    )
    lost_reason: str | None = Field(
        None, min_length=1, max_length=64, description="A code of `GET .../lost_reasons`; only with `lost`."
    )

    _no_nul = field_validator("lost_reason")(no_nul)


class NoteIn(BaseModel):
    """An internal note: shown in the timeline to the team, never sent to the lead."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "Prefiere que lo llamen después de las 18"}]})

    text: str = Field(min_length=1, max_length=4096, description="The note.")

    _no_nul = field_validator("text")(no_nul)


class NoteOut(BaseModel):
    """A note as stored in the ticket's timeline (a `note.added` event)."""

    note_id: str = Field(description="The note's event id (UUID).")
    ticket_id: str = Field(description="The ticket the note belongs to.")
    text: str = Field(description="The note.")
    author_user_id: str = Field(description="Who wrote it.")
    created_at: datetime | None = Field(description="When it was written.")
    duplicate: bool = Field(description="True when this Idempotency-Key was used before: the first note is answered.")

    @classmethod
    def from_proto(cls, event: ingest_pb2.Event, *, duplicate: bool) -> NoteOut:
        """From ingest's note event."""
        payload = dict(event.payload)
        return cls(
            note_id=event.id,
            ticket_id=event.correlation_id,
            text=str(payload.get("text", "")),
            author_user_id=str(payload.get("by_user_id", "")),
            created_at=when(event, "created_at"),
            duplicate=duplicate,
        )


class LostReasonIO(BaseModel):
    """One reason a ticket can be lost for."""

    code: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Stable id, e.g. `precio`."
    )
    label: str = Field(
        min_length=1, max_length=120, description="What the team reads, e.g. `Precio fuera de presupuesto`."
    )

    _no_nul = field_validator("label")(no_nul)


class LostReasonsIO(BaseModel):
    """The tenant's lost reasons, in the order the team sees them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reasons": [{"code": "precio", "label": "Precio"}, {"code": "otro", "label": "Otro"}]}]
        }
    )

    reasons: list[LostReasonIO] = Field(min_length=1, max_length=30, description="1 to 30 reasons, codes distinct.")


class TemplateUpsertIn(BaseModel):
    """One of the tenant's templates as approved at the provider."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "language": "es_AR",
                    "title": "Seguimiento de visita",
                    "body": "Hola {{1}}, ¿pudiste pensar en la visita a {{2}}?",
                    "active": True,
                }
            ]
        }
    )

    language: str = Field("es_AR", min_length=2, max_length=8, description="The template's language, e.g. `es_AR`.")
    title: str = Field("", max_length=120, description="What the team reads in the picker.")
    body: str = Field(
        min_length=1, max_length=4096, description="The approved text with `{{1}}`, `{{2}}`, ... placeholders."
    )
    active: bool = Field(True, description="Offered in the reply box; an inactive one is kept but not offered.")

    _no_nul = field_validator("title", "body")(no_nul)


class TemplateOut(BaseModel):
    """A template the team can send outside the 24 h window."""

    name: str = Field(description="The provider's template name.")
    language: str = Field(description="Its language, e.g. `es_AR`.")
    title: str = Field(description="What the team reads in the picker.")
    body: str = Field(description="The approved text with its placeholders.")
    parameter_count: int = Field(description="How many parameters a send must give (the highest placeholder).")
    active: bool = Field(description="Whether the reply box offers it.")
    updated_at: datetime | None = Field(description="When it was last recorded.")

    @classmethod
    def from_proto(cls, template: supervisor_pb2.MessageTemplate) -> TemplateOut:
        """From supervisor's MessageTemplate."""
        return cls(
            name=template.name,
            language=template.language,
            title=template.title,
            body=template.body,
            parameter_count=template.parameter_count,
            active=template.active,
            updated_at=when(template, "updated_at"),
        )


class TemplatesOut(BaseModel):
    """The tenant's templates."""

    templates: list[TemplateOut] = Field(description="By title.")

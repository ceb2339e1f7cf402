"""Requests and replies of the visit flow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from gateway.schemas.dashboard import VisitConfirmationOut, VisitProposalOut

# Visits are booked for real dates: outside this range a time is a mistake (and far ends of the
# calendar overflow once moved to UTC).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _bookable(value: datetime) -> datetime:
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("starts_at is out of range") from exc
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError("starts_at must be between 2000-01-01 and 2100-01-01")
    return value


class ProposeIn(BaseModel):
    """A visit to offer the lead of a ticket."""

    ticket_id: uuid.UUID
    # With a time zone, e.g. "2030-05-02T15:00:00-03:00".
    starts_at: AwareDatetime
    # The visits service enforces 15-480 minutes (400 naming the field); here only the type.
    duration_minutes: int = Field(60, ge=-(2**31), le=2**31 - 1)

    _starts_at_bookable = field_validator("starts_at")(_bookable)
    # Defaults to the caller.
    agent_user_id: str | None = Field(None, min_length=1, max_length=64)
    message_to_lead: str | None = Field(None, max_length=1024)
    project_code: str | None = Field(None, max_length=64)


class ConfirmIn(BaseModel):
    """The proposal to confirm, or the ticket whose active proposal is meant."""

    proposal_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ConfirmIn:
        if (self.proposal_id is None) == (self.ticket_id is None):
            raise ValueError("give exactly one of proposal_id or ticket_id")
        return self


class RescheduleIn(BaseModel):
    """A new time for a proposed or confirmed visit."""

    proposal_id: uuid.UUID
    starts_at: AwareDatetime
    # Keeps the old duration when omitted.
    duration_minutes: int | None = Field(None, ge=-(2**31), le=2**31 - 1)

    _starts_at_bookable = field_validator("starts_at")(_bookable)
    message_to_lead: str | None = Field(None, max_length=1024)


class CancelIn(BaseModel):
    """A visit to call off."""

    proposal_id: uuid.UUID
    reason: str = Field("", max_length=500)


class VisitStepOut(BaseModel):
    """The proposal after a step, and the ticket's resulting stage."""

    proposal: VisitProposalOut
    status: str
    ticket_stage: str
    replaced: VisitProposalOut | None = None
    confirmation: VisitConfirmationOut | None = None

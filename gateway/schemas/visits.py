"""Requests and replies of the visit flow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.schemas.convert import RequestBody
from gateway.schemas.dashboard import VisitConfirmationOut, VisitProposalOut
from gateway.schemas.enums import ProposalStatus, Stage

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


class ProposeIn(RequestBody):
    """A visit to offer the lead of a ticket."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10",
                    "starts_at": "2026-05-02T15:00:00-03:00",
                    "duration_minutes": 60,
                }
            ]
        }
    )

    ticket_id: uuid.UUID = Field(description="The ticket whose lead is invited.")
    starts_at: AwareDatetime = Field(description="Start, with a time zone; in the future and at most 366 days ahead.")
    # The visits service enforces 15-480 minutes (400 naming the field); here only the type.
    duration_minutes: int = Field(60, ge=-(2**31), le=2**31 - 1, description="Length in minutes, 15-480.")

    _starts_at_bookable = field_validator("starts_at")(_bookable)
    agent_user_id: str | None = Field(
        None, min_length=1, max_length=64, description="The agent showing the property; defaults to the caller."
    )
    message_to_lead: str | None = Field(None, max_length=1024, description="Text sent with the proposal.")
    project_code: str | None = Field(None, max_length=64, description="The project to visit.")


class ConfirmIn(RequestBody):
    """The proposal to confirm, or the ticket whose active proposal is meant."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"proposal_id": "5d1b9c3e-7a2f-4e6d-8c0b-1f2e3d4c5b6a"},
                {"ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10"},
            ]
        }
    )

    proposal_id: uuid.UUID | None = Field(None, description="The proposal to confirm.")
    ticket_id: uuid.UUID | None = Field(None, description="Or the ticket whose active proposal is meant.")

    @model_validator(mode="after")
    def _one_target(self) -> ConfirmIn:
        if (self.proposal_id is None) == (self.ticket_id is None):
            raise ValueError("give exactly one of proposal_id or ticket_id")
        return self


class RescheduleIn(RequestBody):
    """A new time for a proposed or confirmed visit."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"proposal_id": "5d1b9c3e-7a2f-4e6d-8c0b-1f2e3d4c5b6a", "starts_at": "2026-05-03T11:00:00-03:00"}
            ]
        }
    )

    proposal_id: uuid.UUID = Field(description="The proposal (or confirmed visit) to move.")
    starts_at: AwareDatetime = Field(description="The new start, with a time zone.")
    duration_minutes: int | None = Field(
        None, ge=-(2**31), le=2**31 - 1, description="New length in minutes; the old one when omitted."
    )

    _starts_at_bookable = field_validator("starts_at")(_bookable)
    message_to_lead: str | None = Field(None, max_length=1024, description="Text sent with the new proposal.")


class CancelIn(RequestBody):
    """A visit to call off."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"proposal_id": "5d1b9c3e-7a2f-4e6d-8c0b-1f2e3d4c5b6a", "reason": "El lead no puede"}]
        }
    )

    proposal_id: uuid.UUID = Field(description="The proposal to cancel.")
    reason: str = Field("", max_length=500, description="Why, for the timeline.")


class VisitStepOut(BaseModel):
    """The proposal after a step, and the ticket's resulting stage."""

    proposal: VisitProposalOut = Field(description="The proposal after the step.")
    status: ProposalStatus = Field(description="The proposal's status after the step.")
    ticket_stage: Stage = Field(description="The ticket's stage after the step.")
    replaced: VisitProposalOut | None = Field(None, description="The proposal a reschedule replaced.")
    confirmation: VisitConfirmationOut | None = Field(None, description="The confirmation, after confirm.")

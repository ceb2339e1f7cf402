"""Requests and replies of the visit flow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

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
    duration_minutes: int | None = Field(
        None, ge=-(2**31), le=2**31 - 1, description="Length in minutes, 15-480; omitted: the project's visit length."
    )

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


NO_NUL = r"^[^\x00]*$"
AGENT_EXAMPLE = "3f1c2b7a-1d2e-4c5b-8a9f-0e1d2c3b4a59"


class WorkingHoursIO(BaseModel):
    """One block of working time in the tenant's time zone."""

    weekday: int = Field(ge=-(2**31), le=2**31 - 1, description="ISO 8601 weekday: 1 = Monday ... 7 = Sunday.")
    start: str = Field(max_length=5, description='Local start, "HH:MM".', examples=["09:00"])
    end: str = Field(
        max_length=5, description='Local end, "HH:MM", after start; "24:00" is midnight.', examples=["13:00"]
    )


class AvailabilityIn(BaseModel):
    """An agent's whole week; an empty list clears it (the agent offers no slots)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hours": [
                        {"weekday": 1, "start": "09:00", "end": "13:00"},
                        {"weekday": 1, "start": "14:00", "end": "18:00"},
                        {"weekday": 2, "start": "09:00", "end": "18:00"},
                    ]
                }
            ]
        }
    )

    hours: list[WorkingHoursIO] = Field(max_length=56, description="Working blocks; blocks of a day must not overlap.")


class TimeOffIn(BaseModel):
    """Time off of one agent, or of the whole tenant (a holiday) when `agent_user_id` is omitted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agent_user_id": AGENT_EXAMPLE,
                    "starts_at": "2026-07-09T00:00:00-03:00",
                    "ends_at": "2026-07-10T00:00:00-03:00",
                    "reason": "Feriado",
                }
            ]
        }
    )

    agent_user_id: str | None = Field(
        None, min_length=1, max_length=64, pattern=NO_NUL, description="The agent; omitted: the whole tenant."
    )
    starts_at: AwareDatetime = Field(description="Start of the time off, with a time zone.")
    ends_at: AwareDatetime = Field(description="End (exclusive), after starts_at, at most 366 days later.")
    reason: str = Field("", max_length=200, pattern=NO_NUL, description="Shown to the team, e.g. 'Feriado'.")

    _times_bookable = field_validator("starts_at", "ends_at")(_bookable)


class TimeOffOut(BaseModel):
    """Time off as stored."""

    id: str = Field(description="Time off id, for DELETE.")
    agent_user_id: str | None = Field(description="The agent; null for the whole tenant.")
    starts_at: datetime = Field(description="Start of the time off.")
    ends_at: datetime = Field(description="End of the time off (exclusive).")
    reason: str = Field(description="Why, as given.")


class AvailabilityOut(BaseModel):
    """An agent's week and the time off ahead."""

    agent_user_id: str = Field(description="The agent.")
    timezone: str = Field(description="The tenant's IANA time zone the hours are in.")
    hours: list[WorkingHoursIO] = Field(description="The agent's weekly working blocks.")
    time_off: list[TimeOffOut] = Field(description="Time off that has not ended, the agent's and the tenant's.")


class ProjectSettingsIn(BaseModel):
    """How leads book a project's visits. The visits service checks the ranges (400 naming the field)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "visit_minutes": 45,
                    "buffer_before_minutes": 15,
                    "buffer_after_minutes": 15,
                    "min_notice_minutes": 120,
                    "horizon_days": 30,
                    "slot_step_minutes": 0,
                    "agent_user_ids": [AGENT_EXAMPLE],
                }
            ]
        }
    )

    visit_minutes: int = Field(60, ge=-(2**31), le=2**31 - 1, description="Visit length, 15-480 minutes.")
    buffer_before_minutes: int = Field(
        0, ge=-(2**31), le=2**31 - 1, description="Kept free before each visit, 0-240 minutes."
    )
    buffer_after_minutes: int = Field(
        0, ge=-(2**31), le=2**31 - 1, description="Kept free after each visit, 0-240 minutes."
    )
    min_notice_minutes: int = Field(
        120, ge=-(2**31), le=2**31 - 1, description="How soon a lead may book, 0-43200 minutes."
    )
    horizon_days: int = Field(30, ge=-(2**31), le=2**31 - 1, description="How far ahead a lead may book, 1-366 days.")
    slot_step_minutes: int = Field(
        0, ge=-(2**31), le=2**31 - 1, description="Minutes between offered starts: 0 (the visit length) or 5-480."
    )
    agent_user_ids: list[str] = Field(
        default_factory=list, max_length=50, description="The agents who show the project (active users)."
    )


class ProjectSettingsOut(ProjectSettingsIn):
    """A project's booking rules as stored (the defaults until set)."""

    project_code: str = Field(description="The project these rules are for.")


class SlotOut(BaseModel):
    """A time a lead may book."""

    starts_at: datetime = Field(description="A start a lead may book.")
    ends_at: datetime = Field(description="When that visit would end.")
    agent_user_id: str = Field(description="The agent who would show it (the least loaded free one).")
    agent_name: str = Field(description="That agent's name.")


class SlotsOut(BaseModel):
    """Free times of a project."""

    project: str = Field(description="The project the slots are for.")
    timezone: str = Field(description="The tenant's IANA time zone, for showing the times.")
    slots: list[SlotOut] = Field(description="Free starts, soonest first.")


class CalendarFeedOut(BaseModel):
    """An agent's private calendar URL."""

    url: str = Field(description="The private iCalendar URL to subscribe to; anyone with it sees the visits.")
    token: str = Field(description="The secret in the URL; shown once. A new one revokes the previous.")


class OfferIn(BaseModel):
    """Whom to offer free times, and whose times."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ticket_id": "8f0c2a52-3c1e-4f7a-9d55-2b3f0c9e1a10", "project_code": "PALERMO-01"}]
        }
    )

    ticket_id: uuid.UUID = Field(description="The lead's ticket; its 24 h window must be open.")
    agent_user_id: str | None = Field(
        None, min_length=1, max_length=64, pattern=NO_NUL, description="One agent; omitted: any agent of the project."
    )
    project_code: str | None = Field(
        None, min_length=1, max_length=64, pattern=NO_NUL, description="Omitted: the ticket's project."
    )


class OfferedSlotOut(SlotOut):
    """A time sent to the lead."""

    row_id: str = Field(description="The list row's opaque id; a tap on it books this time for this ticket only.")


class OfferOut(BaseModel):
    """The list sent to the lead."""

    offer_id: str = Field(description="The offer's id.")
    project_code: str = Field(description="The project the times are for.")
    slots: list[OfferedSlotOut] = Field(description="The times sent to the lead, soonest first (at most 10).")


class OutcomeIn(BaseModel):
    """How a confirmed visit went, once its time has come."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"proposal_id": "5d1b9c3e-7a2f-4e6d-8c0b-1f2e3d4c5b6a", "outcome": "no_show", "offer_slots": True}
            ]
        }
    )

    proposal_id: uuid.UUID = Field(description="The confirmed visit.")
    outcome: Literal["attended", "no_show"] = Field(
        description='"attended" (stage "Visita realizada") or "no_show" (counted per lead).'
    )
    offer_slots: bool = Field(False, description="After a no-show: send the lead new times in the same step.")


class OutcomeOut(BaseModel):
    """The visit with its outcome."""

    proposal: VisitProposalOut = Field(description="The visit with its outcome.")
    ticket_stage: Stage = Field(description="The ticket's stage after the outcome.")
    lead_no_shows: int = Field(description="Visits the lead missed, this one included.")
    offer: OfferOut | None = Field(None, description="The list sent after a no-show, when asked and possible.")
    offer_error: str | None = Field(None, description="Why no list went out when one was asked for.")


class VisitSettingsIO(BaseModel):
    """The tenant's settings for what visits sends leads."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "language": "es",
                    "reminder_offsets_minutes": [1440, 120],
                    "reminder_template": "recordatorio_visita",
                    "reminder_template_language": "es_AR",
                }
            ]
        }
    )

    language: Literal["es", "en", "pt"] = Field("es", description="Language of messages to leads.")
    reminder_offsets_minutes: list[Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]] = Field(
        default_factory=lambda: [1440, 120],
        max_length=5,
        description="Minutes before a confirmed visit a reminder goes out (each 5-20160); empty: none.",
    )
    reminder_template: str = Field(
        "", max_length=512, description="Approved template used when the lead's 24 h window is closed."
    )
    reminder_template_language: str = Field("es_AR", max_length=8, description="The template's language, e.g. es_AR.")

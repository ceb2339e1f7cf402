"""The visit flow: propose, confirm, reschedule, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from google.protobuf import timestamp_pb2
from pydantic import AwareDatetime

from gateway.deps import AgentCaller, BackendsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.dashboard import VisitConfirmationOut, VisitProposalOut
from gateway.schemas.enums import Stage
from gateway.schemas.errors import error_responses
from gateway.schemas.visits import (
    NO_NUL,
    AvailabilityIn,
    AvailabilityOut,
    CalendarFeedOut,
    CancelIn,
    ConfirmIn,
    OfferedSlotOut,
    OfferIn,
    OfferOut,
    OutcomeIn,
    OutcomeOut,
    ProjectSettingsIn,
    ProjectSettingsOut,
    ProposeIn,
    RescheduleIn,
    SlotOut,
    SlotsOut,
    TimeOffIn,
    TimeOffOut,
    VisitSettingsIO,
    VisitStepOut,
    WorkingHoursIO,
    _bookable,
)
from libs.common.errors import InvalidArgument
from vertice360.visits.v1 import visits_pb2

router = APIRouter(
    prefix=f"{DEMO_PREFIX}/visit",
    tags=["visits"],
    dependencies=[Depends(require_json)],
    responses=error_responses(
        400,
        401,
        403,
        404,
        415,
        422,
        429,
        described={409: "The slot clashes with another visit of the agent, or the proposal moved on."},
    ),
)


# Reads, deletions and body-less steps: no JSON body to require.
reads = APIRouter(
    prefix=f"{DEMO_PREFIX}/visit",
    tags=["visits"],
    responses=error_responses(400, 401, 403, 404, 422, 429),
)
OUTCOMES = {"attended": visits_pb2.VISIT_OUTCOME_ATTENDED, "no_show": visits_pb2.VISIT_OUTCOME_NO_SHOW}
PROJECT_CODE = Path(min_length=1, max_length=64, pattern=NO_NUL, description="A project code of the catalog.")
AGENT_ID = Path(min_length=1, max_length=64, pattern=NO_NUL, description="A user id of the tenant (supervisor's).")


def _stamp(at: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    return stamp


def _step(proposal: visits_pb2.VisitProposal, stage: str, **extra: object) -> VisitStepOut:
    out = VisitProposalOut.from_proto(proposal)
    return VisitStepOut(proposal=out, status=out.status, ticket_stage=Stage(stage), **extra)  # type: ignore[arg-type]


@router.post(
    "/propose",
    operation_id="proposeVisit",
    summary="Offer the lead a visit",
    status_code=201,
    response_model=VisitStepOut,
)
async def propose(body: ProposeIn, caller: AgentCaller, backends: BackendsDep) -> VisitStepOut:
    """Offers the lead a visit; the ticket waits for confirmation (`Esperando confirmación`)."""
    reply = await backends.visits.ProposeVisit(
        visits_pb2.ProposeVisitRequest(
            ticket_id=str(body.ticket_id),
            agent_user_id=body.agent_user_id or caller.principal.user_id,
            starts_at=_stamp(body.starts_at),
            duration_minutes=body.duration_minutes or 0,
            message_to_lead=body.message_to_lead or "",
            project_code=body.project_code or "",
        ),
        **caller.options(),
    )
    return _step(reply.proposal, reply.ticket_stage)


@router.post("/confirm", operation_id="confirmVisit", summary="Confirm a proposed visit", response_model=VisitStepOut)
async def confirm(body: ConfirmIn, caller: AgentCaller, backends: BackendsDep) -> VisitStepOut:
    """Confirms a proposal (`Visita confirmada`; the ticket's `visit_scheduled_at` is set)."""
    request = (
        visits_pb2.ConfirmVisitRequest(proposal_id=str(body.proposal_id), channel="dashboard")
        if body.proposal_id
        else visits_pb2.ConfirmVisitRequest(ticket_id=str(body.ticket_id), channel="dashboard")
    )
    reply = await backends.visits.ConfirmVisit(request, **caller.options())
    return _step(reply.proposal, reply.ticket_stage, confirmation=VisitConfirmationOut.from_proto(reply.confirmation))


@router.post(
    "/reschedule",
    operation_id="rescheduleVisit",
    summary="Move a visit to another time",
    status_code=201,
    response_model=VisitStepOut,
)
async def reschedule(body: RescheduleIn, caller: AgentCaller, backends: BackendsDep) -> VisitStepOut:
    """Replaces a visit by a new proposal at another time (`Esperando confirmación`)."""
    reply = await backends.visits.RescheduleVisit(
        visits_pb2.RescheduleVisitRequest(
            proposal_id=str(body.proposal_id),
            starts_at=_stamp(body.starts_at),
            duration_minutes=body.duration_minutes or 0,
            message_to_lead=body.message_to_lead or "",
        ),
        **caller.options(),
    )
    return _step(reply.proposal, reply.ticket_stage, replaced=VisitProposalOut.from_proto(reply.replaced))


@router.post("/cancel", operation_id="cancelVisit", summary="Call a visit off", response_model=VisitStepOut)
async def cancel(body: CancelIn, caller: AgentCaller, backends: BackendsDep) -> VisitStepOut:
    """Calls a visit off; the ticket goes back to `En conversación`."""
    reply = await backends.visits.CancelVisit(
        visits_pb2.CancelVisitRequest(proposal_id=str(body.proposal_id), reason=body.reason), **caller.options()
    )
    return _step(reply.proposal, reply.ticket_stage)


@router.post(
    "/offer",
    status_code=201,
    response_model=OfferOut,
    operation_id="offerVisitSlots",
    summary="Offer the lead free times in the chat",
    responses=error_responses(
        described={409: "The lead's 24 h window is closed: WhatsApp would not deliver the list."}
    ),
)
async def offer(body: OfferIn, caller: AgentCaller, backends: BackendsDep) -> OfferOut:
    """Sends the lead a WhatsApp list of up to 10 free times (tenant's language and time zone); the lead's tap
    books and confirms the visit, or brings a fresh list when the time was taken meanwhile."""
    reply = await backends.visits.OfferSlots(
        visits_pb2.OfferSlotsRequest(
            ticket_id=str(body.ticket_id), agent_user_id=body.agent_user_id or "", project_code=body.project_code or ""
        ),
        **caller.options(),
    )
    return _offer_out(reply)


@router.post(
    "/outcome",
    response_model=OutcomeOut,
    operation_id="recordVisitOutcome",
    summary="Record how a visit went",
    responses=error_responses(
        described={409: "The visit is not confirmed (already has an outcome, moved or cancelled)."}
    ),
)
async def outcome(body: OutcomeIn, caller: AgentCaller, backends: BackendsDep) -> OutcomeOut:
    """Records a confirmed visit as attended (`Visita realizada`) or no-show (counted per lead); after a no-show
    `offer_slots` sends the lead new times in the same step."""
    reply = await backends.visits.RecordOutcome(
        visits_pb2.RecordOutcomeRequest(
            proposal_id=str(body.proposal_id),
            outcome=OUTCOMES[body.outcome],
            offer_slots=body.offer_slots,
        ),
        **caller.options(),
    )
    return OutcomeOut(
        proposal=VisitProposalOut.from_proto(reply.proposal),
        ticket_stage=reply.ticket_stage,
        lead_no_shows=reply.lead_no_shows,
        offer=_offer_out(reply.offer) if reply.HasField("offer") else None,
        offer_error=reply.offer_error or None,
    )


@reads.get(
    "/settings", response_model=VisitSettingsIO, operation_id="getVisitSettings", summary="The tenant's visit settings"
)
async def get_visit_settings(caller: AgentCaller, backends: BackendsDep) -> VisitSettingsIO:
    """The tenant's language for leads and its reminder times and template (the defaults until set)."""
    reply = await backends.visits.GetVisitSettings(visits_pb2.GetVisitSettingsRequest(), **caller.options())
    return _visit_settings_out(reply.settings)


@router.put(
    "/settings",
    response_model=VisitSettingsIO,
    operation_id="setVisitSettings",
    summary="Set the tenant's visit settings",
)
async def set_visit_settings(body: VisitSettingsIO, caller: AgentCaller, backends: BackendsDep) -> VisitSettingsIO:
    """Sets the tenant's language for leads, reminder times and reminder template (supervisors)."""
    reply = await backends.visits.SetVisitSettings(
        visits_pb2.SetVisitSettingsRequest(settings=visits_pb2.VisitSettings(**body.model_dump())),
        **caller.options(),
    )
    return _visit_settings_out(reply.settings)


def _visit_settings_out(settings: visits_pb2.VisitSettings) -> VisitSettingsIO:
    return VisitSettingsIO(
        language=settings.language,  # type: ignore[arg-type]
        reminder_offsets_minutes=list(settings.reminder_offsets_minutes),
        reminder_template=settings.reminder_template,
        reminder_template_language=settings.reminder_template_language,
    )


def _offer_out(reply: visits_pb2.OfferSlotsResponse) -> OfferOut:
    return OfferOut(
        offer_id=reply.offer_id,
        project_code=reply.project_code,
        slots=[
            OfferedSlotOut(
                starts_at=item.slot.starts_at.ToDatetime(tzinfo=UTC),
                ends_at=item.slot.ends_at.ToDatetime(tzinfo=UTC),
                agent_user_id=item.slot.agent_user_id,
                agent_name=item.slot.agent_name,
                row_id=item.row_id,
            )
            for item in reply.slots
        ],
    )


def _query_time(value: datetime, *, field: str) -> timestamp_pb2.Timestamp:
    try:
        return _stamp(_bookable(value))
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument(f"{field} must be between 2000-01-01 and 2100-01-01", field=field) from exc


def _hours_out(hours: Sequence[visits_pb2.WorkingHours]) -> list[WorkingHoursIO]:
    return [WorkingHoursIO(weekday=h.weekday, start=h.start, end=h.end) for h in hours]


def _time_off_out(row: visits_pb2.TimeOff) -> TimeOffOut:
    return TimeOffOut(
        id=row.id,
        agent_user_id=row.agent_user_id or None,
        starts_at=row.starts_at.ToDatetime(tzinfo=UTC),
        ends_at=row.ends_at.ToDatetime(tzinfo=UTC),
        reason=row.reason,
    )


def _settings_out(settings: visits_pb2.ProjectSettings) -> ProjectSettingsOut:
    return ProjectSettingsOut(
        project_code=settings.project_code,
        visit_minutes=settings.visit_minutes,
        buffer_before_minutes=settings.buffer_before_minutes,
        buffer_after_minutes=settings.buffer_after_minutes,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.horizon_days,
        slot_step_minutes=settings.slot_step_minutes,
        agent_user_ids=list(settings.agent_user_ids),
    )


@reads.get("/slots", response_model=SlotsOut, operation_id="listVisitSlots", summary="Free times a lead may book")
async def slots(
    caller: AgentCaller,
    backends: BackendsDep,
    project: Annotated[str, Query(min_length=1, max_length=64, pattern=NO_NUL, description="Project code.")],
    agent: Annotated[
        str, Query(max_length=64, pattern=NO_NUL, description="One agent; omitted: any agent of the project.")
    ] = "",
    start: Annotated[
        AwareDatetime | None, Query(alias="from", description="Earliest start, with a time zone; default now.")
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(alias="to", description="Starts before this; default 7 days after `from`, max 62.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many slots.")] = 500,
) -> SlotsOut:
    """Free starts a lead may book: the agents' hours in the tenant's time zone, time off, buffers, notice,
    horizon and every active visit honoured. Without `agent`, each start goes to the free agent of the project
    with the fewest upcoming visits."""
    request = visits_pb2.ListSlotsRequest(project_code=project, agent_user_id=agent, limit=limit)
    if start is not None:
        getattr(request, "from").CopyFrom(_query_time(start, field="from"))
    if end is not None:
        request.to.CopyFrom(_query_time(end, field="to"))
    reply = await backends.visits.ListSlots(request, **caller.options())
    return SlotsOut(
        project=project,
        timezone=reply.timezone,
        slots=[
            SlotOut(
                starts_at=slot.starts_at.ToDatetime(tzinfo=UTC),
                ends_at=slot.ends_at.ToDatetime(tzinfo=UTC),
                agent_user_id=slot.agent_user_id,
                agent_name=slot.agent_name,
            )
            for slot in reply.slots
        ],
    )


@reads.get(
    "/agents/{agent_user_id}/availability",
    response_model=AvailabilityOut,
    operation_id="getAgentAvailability",
    summary="An agent's hours and time off",
)
async def get_availability(
    agent_user_id: Annotated[str, AGENT_ID], caller: AgentCaller, backends: BackendsDep
) -> AvailabilityOut:
    """An agent's weekly working hours and the time off ahead (their own and the tenant's holidays)."""
    reply = await backends.visits.GetAvailability(
        visits_pb2.GetAvailabilityRequest(agent_user_id=agent_user_id), **caller.options()
    )
    return AvailabilityOut(
        agent_user_id=agent_user_id,
        timezone=reply.timezone,
        hours=_hours_out(reply.hours),
        time_off=[_time_off_out(t) for t in reply.time_off],
    )


@router.put(
    "/agents/{agent_user_id}/availability",
    response_model=AvailabilityOut,
    operation_id="setAgentAvailability",
    summary="Set an agent's weekly hours",
)
async def set_availability(
    agent_user_id: Annotated[str, AGENT_ID], body: AvailabilityIn, caller: AgentCaller, backends: BackendsDep
) -> AvailabilityOut:
    """Replaces an agent's weekly hours (agents their own, supervisors anyone's). Blocks that overlap or end
    before they start are a 400 naming the block; nothing is stored then."""
    await backends.visits.SetWorkingHours(
        visits_pb2.SetWorkingHoursRequest(
            agent_user_id=agent_user_id,
            hours=[visits_pb2.WorkingHours(weekday=h.weekday, start=h.start, end=h.end) for h in body.hours],
        ),
        **caller.options(),
    )
    return await get_availability(agent_user_id, caller, backends)


@router.post(
    "/time_off",
    status_code=201,
    response_model=TimeOffOut,
    operation_id="addTimeOff",
    summary="Add time off or a holiday",
)
async def add_time_off(body: TimeOffIn, caller: AgentCaller, backends: BackendsDep) -> TimeOffOut:
    """Adds time off for an agent, or a holiday for the whole tenant (supervisors) when no agent is named."""
    reply = await backends.visits.AddTimeOff(
        visits_pb2.AddTimeOffRequest(
            time_off=visits_pb2.TimeOff(
                agent_user_id=body.agent_user_id or "",
                starts_at=_stamp(body.starts_at),
                ends_at=_stamp(body.ends_at),
                reason=body.reason,
            )
        ),
        **caller.options(),
    )
    return _time_off_out(reply.time_off)


@reads.delete(
    "/time_off/{time_off_id}",
    status_code=204,
    operation_id="deleteTimeOff",
    summary="Remove time off",
)
async def delete_time_off(
    time_off_id: Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL, description="Time off id.")],
    caller: AgentCaller,
    backends: BackendsDep,
) -> Response:
    """Removes time off: agents their own, supervisors any of the tenant's."""
    await backends.visits.DeleteTimeOff(visits_pb2.DeleteTimeOffRequest(id=time_off_id), **caller.options())
    return Response(status_code=204)


@reads.get(
    "/projects/{project_code}/settings",
    response_model=ProjectSettingsOut,
    operation_id="getProjectBookingSettings",
    summary="A project's booking rules",
)
async def get_project_settings(
    project_code: Annotated[str, PROJECT_CODE], caller: AgentCaller, backends: BackendsDep
) -> ProjectSettingsOut:
    """A project's booking rules and agents (the defaults until a supervisor sets them)."""
    reply = await backends.visits.GetProjectSettings(
        visits_pb2.GetProjectSettingsRequest(project_code=project_code), **caller.options()
    )
    return _settings_out(reply.settings)


@router.put(
    "/projects/{project_code}/settings",
    response_model=ProjectSettingsOut,
    operation_id="setProjectBookingSettings",
    summary="Set a project's booking rules",
)
async def set_project_settings(
    project_code: Annotated[str, PROJECT_CODE], body: ProjectSettingsIn, caller: AgentCaller, backends: BackendsDep
) -> ProjectSettingsOut:
    """Sets a project's visit length, buffers, notice, horizon, slot step and agents (supervisors)."""
    reply = await backends.visits.SetProjectSettings(
        visits_pb2.SetProjectSettingsRequest(
            settings=visits_pb2.ProjectSettings(project_code=project_code, **body.model_dump())
        ),
        **caller.options(),
    )
    return _settings_out(reply.settings)


@reads.post(
    "/agents/{agent_user_id}/calendar_feed",
    status_code=201,
    response_model=CalendarFeedOut,
    operation_id="issueCalendarFeed",
    summary="A private calendar URL for an agent",
)
async def issue_calendar_feed(
    agent_user_id: Annotated[str, AGENT_ID], request: Request, caller: AgentCaller, backends: BackendsDep
) -> CalendarFeedOut:
    """A private iCalendar URL of the agent's visits (agents their own); the previous URL stops working."""
    reply = await backends.visits.IssueCalendarToken(
        visits_pb2.IssueCalendarTokenRequest(agent_user_id=agent_user_id), **caller.options()
    )
    return CalendarFeedOut(url=str(request.url_for("calendar_feed", token=reply.token)), token=reply.token)


@reads.delete(
    "/agents/{agent_user_id}/calendar_feed",
    status_code=204,
    operation_id="revokeCalendarFeed",
    summary="Revoke an agent's calendar URL",
)
async def revoke_calendar_feed(
    agent_user_id: Annotated[str, AGENT_ID], caller: AgentCaller, backends: BackendsDep
) -> Response:
    """Revokes the agent's calendar URL."""
    await backends.visits.RevokeCalendarToken(
        visits_pb2.RevokeCalendarTokenRequest(agent_user_id=agent_user_id), **caller.options()
    )
    return Response(status_code=204)


@reads.get(
    "/calendar/{token}.ics",
    name="calendar_feed",
    operation_id="getCalendarFeed",
    summary="An agent's visits as iCalendar",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545: the agent's active visits, times in UTC."},
        **error_responses(described={404: "Unknown or revoked feed."}),
    },
)
async def calendar_feed(
    token: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="The secret.")],
    backends: BackendsDep,
) -> Response:
    """The agent's visits as iCalendar, for Google Calendar or Outlook to subscribe to; the URL is the secret."""
    reply = await backends.visits.GetCalendarFeed(
        visits_pb2.GetCalendarFeedRequest(token=token), **backends.as_system()
    )
    return Response(
        content=reply.ical, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"}
    )

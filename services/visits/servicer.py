"""VisitsService over gRPC: translates protos to domain values and back, nothing more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from libs.common.context import current_principal
from libs.common.errors import InvalidArgument
from libs.common.wire import to_datetime
from services.visits import models
from services.visits.service import VisitsService
from services.visits.slots import WeeklyHours, format_hhmm
from vertice360.visits.v1 import visits_pb2 as pb
from vertice360.visits.v1 import visits_pb2_grpc

STATUS_ENUM = {
    "proposed": pb.PROPOSAL_STATUS_PROPOSED,
    "confirmed": pb.PROPOSAL_STATUS_CONFIRMED,
    "rescheduled": pb.PROPOSAL_STATUS_RESCHEDULED,
    "cancelled": pb.PROPOSAL_STATUS_CANCELLED,
    "expired": pb.PROPOSAL_STATUS_EXPIRED,
    "attended": pb.PROPOSAL_STATUS_ATTENDED,
    "no_show": pb.PROPOSAL_STATUS_NO_SHOW,
}
OUTCOME_NAMES = {pb.VISIT_OUTCOME_ATTENDED: "attended", pb.VISIT_OUTCOME_NO_SHOW: "no_show"}


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _start(request: Any) -> datetime:
    if not request.HasField("starts_at"):
        raise InvalidArgument("starts_at is required", field="starts_at")
    return to_datetime(request.starts_at, field="starts_at")


def proposal_pb(proposal: models.Proposal | None) -> pb.VisitProposal | None:
    """A proposal row as a proto."""
    if proposal is None:
        return None
    return pb.VisitProposal(
        id=str(proposal.id),
        ticket_id=str(proposal.ticket_id),
        agent_user_id=proposal.agent_user_id,
        starts_at=_ts(proposal.starts_at),
        duration_minutes=proposal.duration_minutes,
        status=STATUS_ENUM[proposal.status],
        replaces_proposal_id=str(proposal.replaces_proposal_id or ""),
        message_to_lead=proposal.message_to_lead,
        created_at=_ts(proposal.created_at),
        project_code=proposal.project_code,
    )


def confirmation_pb(confirmation: models.Confirmation | None) -> pb.VisitConfirmation | None:
    """A confirmation row as a proto."""
    if confirmation is None:
        return None
    return pb.VisitConfirmation(
        id=str(confirmation.id),
        proposal_id=str(confirmation.proposal_id),
        confirmed_by=confirmation.confirmed_by,
        channel=confirmation.channel,
        confirmed_at=_ts(confirmation.confirmed_at),
    )


def hours_pb(block: WeeklyHours) -> pb.WorkingHours:
    """A weekly block as a proto."""
    return pb.WorkingHours(
        weekday=block.weekday, start=format_hhmm(block.start_minute), end=format_hhmm(block.end_minute)
    )


def time_off_pb(row: models.TimeOffRow) -> pb.TimeOff:
    """Time off as a proto."""
    return pb.TimeOff(
        id=str(row.id),
        agent_user_id=row.agent_user_id,
        starts_at=_ts(row.starts_at),
        ends_at=_ts(row.ends_at),
        reason=row.reason,
    )


def settings_pb(settings: models.ProjectSettings) -> pb.ProjectSettings:
    """A project's booking settings as a proto."""
    return pb.ProjectSettings(
        project_code=settings.project_code,
        visit_minutes=settings.visit_minutes,
        buffer_before_minutes=settings.buffer_before_minutes,
        buffer_after_minutes=settings.buffer_after_minutes,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.horizon_days,
        slot_step_minutes=settings.slot_step_minutes,
        agent_user_ids=settings.agent_user_ids,
    )


def slot_pb(slot: models.FreeSlot) -> pb.Slot:
    """A free time as a proto."""
    return pb.Slot(
        starts_at=_ts(slot.starts_at),
        ends_at=_ts(slot.ends_at),
        agent_user_id=slot.agent.user_id,
        agent_name=slot.agent.name,
    )


def offer_pb(offer: models.Offer) -> pb.OfferSlotsResponse:
    """An offer sent to a lead as a proto."""
    return pb.OfferSlotsResponse(
        offer_id=str(offer.id),
        project_code=offer.project_code,
        slots=[
            pb.OfferedSlot(slot=slot_pb(slot), row_id=row_id)
            for slot, row_id in zip(offer.slots, offer.row_ids, strict=True)
        ],
    )


def visit_settings_pb(settings: models.VisitSettings) -> pb.VisitSettings:
    """A tenant's visit settings as a proto."""
    return pb.VisitSettings(
        language=settings.language,
        reminder_offsets_minutes=settings.reminder_offsets_minutes,
        reminder_template=settings.reminder_template,
        reminder_template_language=settings.reminder_template_language,
    )


def _optional_time(request: Any, name: str) -> datetime | None:
    return to_datetime(getattr(request, name), field=name) if request.HasField(name) else None


def _required_time(message: Any, name: str) -> datetime:
    if not message.HasField(name):
        raise InvalidArgument(f"{name} is required", field=name)
    return to_datetime(getattr(message, name), field=name)


class VisitsServicer(visits_pb2_grpc.VisitsServiceServicer):
    """Thin gRPC adapter over VisitsService."""

    def __init__(self, service: VisitsService) -> None:
        self.service = service

    async def ProposeVisit(self, request: pb.ProposeVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.propose(
            principal=current_principal(),
            ticket_id=request.ticket_id,
            agent_user_id=request.agent_user_id,
            starts_at=_start(request),
            duration_minutes=request.duration_minutes,
            message_to_lead=request.message_to_lead,
            project_code=request.project_code,
        )
        return pb.ProposeVisitResponse(proposal=proposal_pb(result.proposal), ticket_stage=result.stage)

    async def ConfirmVisit(self, request: pb.ConfirmVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.confirm(
            principal=current_principal(),
            proposal_id=request.proposal_id,
            ticket_id=request.ticket_id,
            channel=request.channel,
        )
        return pb.ConfirmVisitResponse(
            proposal=proposal_pb(result.proposal),
            confirmation=confirmation_pb(result.confirmation),
            ticket_stage=result.stage,
        )

    async def RescheduleVisit(self, request: pb.RescheduleVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.reschedule(
            principal=current_principal(),
            proposal_id=request.proposal_id,
            starts_at=_start(request),
            duration_minutes=request.duration_minutes,
            message_to_lead=request.message_to_lead,
        )
        return pb.RescheduleVisitResponse(
            proposal=proposal_pb(result.proposal), replaced=proposal_pb(result.replaced), ticket_stage=result.stage
        )

    async def CancelVisit(self, request: pb.CancelVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.cancel(
            principal=current_principal(), proposal_id=request.proposal_id, reason=request.reason
        )
        return pb.CancelVisitResponse(proposal=proposal_pb(result.proposal), ticket_stage=result.stage)

    async def ListVisits(self, request: pb.ListVisitsRequest, context: grpc.aio.ServicerContext) -> Any:
        proposals, confirmations, no_shows = await self.service.visits(
            principal=current_principal(), ticket_id=request.ticket_id
        )
        return pb.ListVisitsResponse(
            proposals=[proposal_pb(p) for p in proposals],
            confirmations=[confirmation_pb(c) for c in confirmations],
            lead_no_shows=no_shows,
        )

    async def HandleLeadReply(self, request: pb.HandleLeadReplyRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.handle_lead_reply(
            principal=current_principal(),
            ticket_id=request.ticket_id,
            reply=request.reply_id,
            message_id=request.message_id,
        )
        if result is None:
            return pb.HandleLeadReplyResponse(handled=False)
        return pb.HandleLeadReplyResponse(
            handled=True, proposal=proposal_pb(result.proposal), ticket_stage=result.stage, outcome=result.outcome
        )

    async def OfferSlots(self, request: pb.OfferSlotsRequest, context: grpc.aio.ServicerContext) -> Any:
        offer = await self.service.offer_slots(
            principal=current_principal(),
            ticket_id=request.ticket_id,
            agent_user_id=request.agent_user_id,
            project_code=request.project_code,
        )
        return offer_pb(offer)

    async def RecordOutcome(self, request: pb.RecordOutcomeRequest, context: grpc.aio.ServicerContext) -> Any:
        result, no_shows, offer, offer_error = await self.service.record_outcome(
            principal=current_principal(),
            proposal_id=request.proposal_id,
            outcome=OUTCOME_NAMES.get(request.outcome, ""),
            offer_slots=request.offer_slots,
        )
        return pb.RecordOutcomeResponse(
            proposal=proposal_pb(result.proposal),
            ticket_stage=result.stage,
            lead_no_shows=no_shows,
            offer=offer_pb(offer) if offer else None,
            offer_error=offer_error,
        )

    async def GetVisitSettings(self, request: pb.GetVisitSettingsRequest, context: grpc.aio.ServicerContext) -> Any:
        settings = await self.service.visit_settings(principal=current_principal())
        return pb.GetVisitSettingsResponse(settings=visit_settings_pb(settings))

    async def SetVisitSettings(self, request: pb.SetVisitSettingsRequest, context: grpc.aio.ServicerContext) -> Any:
        given = request.settings
        stored = await self.service.set_visit_settings(
            principal=current_principal(),
            settings=models.VisitSettings(
                language=given.language,
                reminder_offsets_minutes=list(given.reminder_offsets_minutes),
                reminder_template=given.reminder_template,
                reminder_template_language=given.reminder_template_language,
            ),
        )
        return pb.SetVisitSettingsResponse(settings=visit_settings_pb(stored))

    async def SetWorkingHours(self, request: pb.SetWorkingHoursRequest, context: grpc.aio.ServicerContext) -> Any:
        hours = await self.service.set_working_hours(
            principal=current_principal(),
            agent_user_id=request.agent_user_id,
            hours=[(h.weekday, h.start, h.end) for h in request.hours],
        )
        return pb.SetWorkingHoursResponse(hours=[hours_pb(h) for h in hours])

    async def GetAvailability(self, request: pb.GetAvailabilityRequest, context: grpc.aio.ServicerContext) -> Any:
        hours, time_off, timezone = await self.service.availability(
            principal=current_principal(), agent_user_id=request.agent_user_id
        )
        return pb.GetAvailabilityResponse(
            hours=[hours_pb(h) for h in hours], time_off=[time_off_pb(t) for t in time_off], timezone=timezone
        )

    async def AddTimeOff(self, request: pb.AddTimeOffRequest, context: grpc.aio.ServicerContext) -> Any:
        row = await self.service.add_time_off(
            principal=current_principal(),
            agent_user_id=request.time_off.agent_user_id,
            starts_at=_required_time(request.time_off, "starts_at"),
            ends_at=_required_time(request.time_off, "ends_at"),
            reason=request.time_off.reason,
        )
        return pb.AddTimeOffResponse(time_off=time_off_pb(row))

    async def DeleteTimeOff(self, request: pb.DeleteTimeOffRequest, context: grpc.aio.ServicerContext) -> Any:
        await self.service.delete_time_off(principal=current_principal(), time_off_id=request.id)
        return pb.DeleteTimeOffResponse()

    async def SetProjectSettings(self, request: pb.SetProjectSettingsRequest, context: grpc.aio.ServicerContext) -> Any:
        given = request.settings
        stored = await self.service.set_project_settings(
            principal=current_principal(),
            settings=models.ProjectSettings(
                project_code=given.project_code,
                visit_minutes=given.visit_minutes,
                buffer_before_minutes=given.buffer_before_minutes,
                buffer_after_minutes=given.buffer_after_minutes,
                min_notice_minutes=given.min_notice_minutes,
                horizon_days=given.horizon_days,
                slot_step_minutes=given.slot_step_minutes,
                agent_user_ids=list(given.agent_user_ids),
            ),
        )
        return pb.SetProjectSettingsResponse(settings=settings_pb(stored))

    async def GetProjectSettings(self, request: pb.GetProjectSettingsRequest, context: grpc.aio.ServicerContext) -> Any:
        settings = await self.service.project_settings(principal=current_principal(), project_code=request.project_code)
        return pb.GetProjectSettingsResponse(settings=settings_pb(settings))

    async def ListSlots(self, request: pb.ListSlotsRequest, context: grpc.aio.ServicerContext) -> Any:
        slots, timezone = await self.service.slots(
            principal=current_principal(),
            project_code=request.project_code,
            agent_user_id=request.agent_user_id,
            window_from=_optional_time(request, "from"),
            window_to=_optional_time(request, "to"),
            limit=request.limit,
        )
        return pb.ListSlotsResponse(slots=[slot_pb(slot) for slot in slots], timezone=timezone)

    async def IssueCalendarToken(self, request: pb.IssueCalendarTokenRequest, context: grpc.aio.ServicerContext) -> Any:
        token = await self.service.issue_calendar_token(
            principal=current_principal(), agent_user_id=request.agent_user_id
        )
        return pb.IssueCalendarTokenResponse(token=token)

    async def RevokeCalendarToken(
        self, request: pb.RevokeCalendarTokenRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await self.service.revoke_calendar_token(principal=current_principal(), agent_user_id=request.agent_user_id)
        return pb.RevokeCalendarTokenResponse(revoked=True)

    async def GetCalendarFeed(self, request: pb.GetCalendarFeedRequest, context: grpc.aio.ServicerContext) -> Any:
        feed = await self.service.calendar_feed(principal=current_principal(), token=request.token)
        return pb.GetCalendarFeedResponse(ical=feed.decode())

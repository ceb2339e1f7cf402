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
from vertice360.visits.v1 import visits_pb2 as pb
from vertice360.visits.v1 import visits_pb2_grpc

STATUS_ENUM = {
    "proposed": pb.PROPOSAL_STATUS_PROPOSED,
    "confirmed": pb.PROPOSAL_STATUS_CONFIRMED,
    "rescheduled": pb.PROPOSAL_STATUS_RESCHEDULED,
    "cancelled": pb.PROPOSAL_STATUS_CANCELLED,
    "expired": pb.PROPOSAL_STATUS_EXPIRED,
}


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
        proposals, confirmations = await self.service.visits(principal=current_principal(), ticket_id=request.ticket_id)
        return pb.ListVisitsResponse(
            proposals=[proposal_pb(p) for p in proposals], confirmations=[confirmation_pb(c) for c in confirmations]
        )

    async def HandleLeadReply(self, request: pb.HandleLeadReplyRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await self.service.handle_lead_reply(
            principal=current_principal(), ticket_id=request.ticket_id, reply=request.reply_id
        )
        if result is None:
            return pb.HandleLeadReplyResponse(handled=False)
        return pb.HandleLeadReplyResponse(
            handled=True, proposal=proposal_pb(result.proposal), ticket_stage=result.stage
        )

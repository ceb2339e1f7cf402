"""The visit flow: propose, confirm, reschedule, cancel."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from google.protobuf import timestamp_pb2

from gateway.deps import AgentCaller, BackendsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.dashboard import VisitConfirmationOut, VisitProposalOut
from gateway.schemas.enums import Stage
from gateway.schemas.errors import error_responses
from gateway.schemas.visits import CancelIn, ConfirmIn, ProposeIn, RescheduleIn, VisitStepOut
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
            duration_minutes=body.duration_minutes,
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

"""The team's outbound side: replies to the lead, assignment and escalation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from gateway.deps import AgentCaller, BackendsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.dashboard import OutboundOut
from gateway.schemas.errors import error_responses
from gateway.schemas.supervisor import AssignIn, AssignmentOut, EscalateIn, SendIn, SendOut
from vertice360.supervisor.v1 import supervisor_pb2

router = APIRouter(
    prefix=f"{DEMO_PREFIX}/supervisor",
    tags=["supervisor"],
    dependencies=[Depends(require_json)],
    responses=error_responses(400, 401, 403, 404, 415, 422, 429),
)


@router.post(
    "/send",
    operation_id="sendReply",
    summary="Reply to the lead",
    status_code=201,
    response_model=SendOut,
    responses={
        200: {"model": SendOut, "description": "This Idempotency-Key was used before; the first result."},
        **error_responses(
            described={409: "The 24 h window is closed (a template is required), or the key was used differently."}
        ),
    },
)
async def send(
    body: SendIn,
    caller: AgentCaller,
    backends: BackendsDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="The same key twice sends once; the second answer (200) is the first result.",
        ),
    ] = None,
) -> SendOut:
    """Stores a reply in the ticket's timeline and delivers it to the lead's WhatsApp, once per key."""
    request = supervisor_pb2.SendReplyRequest(
        ticket_id=str(body.ticket_id),
        text=body.text or "",
        idempotency_key=idempotency_key or "",
        buttons=[supervisor_pb2.ReplyButton(id=b.id, title=b.title) for b in body.buttons],
    )
    if body.template is not None:
        request.template.CopyFrom(
            supervisor_pb2.Template(
                name=body.template.name, language=body.template.language, parameters=body.template.parameters
            )
        )
    reply = await backends.supervisor.SendReply(request, **caller.options())
    response.status_code = 200 if reply.duplicate else 201
    return SendOut(message=OutboundOut.from_proto(reply.message), duplicate=reply.duplicate)


@router.post("/assign", operation_id="assignTicket", summary="Give a ticket to a user", response_model=AssignmentOut)
async def assign(body: AssignIn, caller: AgentCaller, backends: BackendsDep) -> AssignmentOut:
    """Assigns the ticket to a user of the team (agents may only take tickets themselves)."""
    reply = await backends.supervisor.AssignTicket(
        supervisor_pb2.AssignTicketRequest(ticket_id=str(body.ticket_id), user_id=body.user_id), **caller.options()
    )
    return AssignmentOut(ticket_id=reply.ticket_id, assignee_user_id=reply.assignee_user_id)


@router.post(
    "/escalate", operation_id="escalateTicket", summary="Hand a ticket to a supervisor", response_model=AssignmentOut
)
async def escalate(body: EscalateIn, caller: AgentCaller, backends: BackendsDep) -> AssignmentOut:
    """Hands the ticket to a human supervisor: assigned, marked escalated, with an event in the timeline."""
    reply = await backends.supervisor.EscalateTicket(
        supervisor_pb2.EscalateTicketRequest(ticket_id=str(body.ticket_id), reason=body.reason), **caller.options()
    )
    return AssignmentOut(ticket_id=reply.ticket_id, assignee_user_id=reply.assignee_user_id)

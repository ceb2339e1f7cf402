"""The ticket lifecycle (outcomes, internal notes, lost reasons) and the tenant's message templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from gateway.deps import AdminCaller, AgentCaller, BackendsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.dashboard import TicketOut
from gateway.schemas.errors import error_responses
from gateway.schemas.lifecycle import (
    LostReasonIO,
    LostReasonsIO,
    NoteIn,
    NoteOut,
    OutcomeIn,
    TemplateOut,
    TemplatesOut,
    TemplateUpsertIn,
)
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

router = APIRouter(prefix=DEMO_PREFIX, tags=["lifecycle"], responses=error_responses(401, 403, 422, 429))
OUTCOMES = {
    "visit_done": ingest_pb2.TICKET_OUTCOME_VISIT_DONE,
    "won": ingest_pb2.TICKET_OUTCOME_WON,
    "lost": ingest_pb2.TICKET_OUTCOME_LOST,
}
TicketId = Annotated[str, Path(min_length=1, max_length=64, description="The ticket's id (UUID).")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=150,
        pattern=r"^[\x21-\x7e]+$",
        description="The same key twice changes once; the second answer is the first result.",
    ),
]


@router.post(
    "/tickets/{ticket_id}/outcome",
    operation_id="setTicketOutcome",
    summary="Mark the visit done, the ticket won or lost",
    response_model=TicketOut,
    dependencies=[Depends(require_json)],
    responses=error_responses(
        404,
        415,
        described={
            400: "The ticket's stage does not allow this outcome (a visit is done only once confirmed), or the "
            "lost reason is not one of the tenant's (`lost_reason`).",
        },
    ),
)
async def set_outcome(
    ticket_id: TicketId,
    body: OutcomeIn,
    caller: AgentCaller,
    backends: BackendsDep,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    """Moves the ticket to `Visita realizada`, `Ganado` or `Perdido` (with a reason), with an event naming who."""
    reply = await backends.ingest.SetTicketOutcome(
        ingest_pb2.SetTicketOutcomeRequest(
            ticket_id=ticket_id,
            outcome=OUTCOMES[body.outcome],
            lost_reason=body.lost_reason or "",
            idempotency_key=idempotency_key or "",
        ),
        **caller.options(),
    )
    return TicketOut.from_proto(reply.ticket, now=datetime.now(UTC))


@router.post(
    "/tickets/{ticket_id}/notes",
    operation_id="addTicketNote",
    summary="Add an internal note to a ticket",
    status_code=201,
    response_model=NoteOut,
    dependencies=[Depends(require_json)],
    responses={
        200: {"model": NoteOut, "description": "This Idempotency-Key was used before; the first note."},
        **error_responses(400, 404, 415),
    },
)
async def add_note(
    ticket_id: TicketId,
    body: NoteIn,
    caller: AgentCaller,
    backends: BackendsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> NoteOut:
    """Stores a note in the ticket's timeline for the team; it is never sent to the lead."""
    reply = await backends.ingest.AddNote(
        ingest_pb2.AddNoteRequest(ticket_id=ticket_id, text=body.text, idempotency_key=idempotency_key or ""),
        **caller.options(),
    )
    response.status_code = 200 if reply.duplicate else 201
    return NoteOut.from_proto(reply.note, duplicate=reply.duplicate)


def _reasons(reasons: list[ingest_pb2.LostReason]) -> LostReasonsIO:
    return LostReasonsIO(reasons=[LostReasonIO(code=r.code, label=r.label) for r in reasons])


@router.get(
    "/lost_reasons",
    operation_id="listLostReasons",
    summary="The reasons a ticket can be lost for",
    response_model=LostReasonsIO,
)
async def list_lost_reasons(caller: AgentCaller, backends: BackendsDep) -> LostReasonsIO:
    """The tenant's list, in order; a default list until an admin sets one."""
    reply = await backends.ingest.ListLostReasons(ingest_pb2.ListLostReasonsRequest(), **caller.options())
    return _reasons(list(reply.reasons))


@router.put(
    "/lost_reasons",
    operation_id="setLostReasons",
    summary="Replace the tenant's lost reasons",
    response_model=LostReasonsIO,
    dependencies=[Depends(require_json)],
    responses=error_responses(400, 415),
)
async def set_lost_reasons(body: LostReasonsIO, caller: AdminCaller, backends: BackendsDep) -> LostReasonsIO:
    """Replaces the list (admins); tickets lost before keep the reason they were lost for."""
    reply = await backends.ingest.SetLostReasons(
        ingest_pb2.SetLostReasonsRequest(
            reasons=[ingest_pb2.LostReason(code=r.code, label=r.label) for r in body.reasons]
        ),
        **caller.options(),
    )
    return _reasons(list(reply.reasons))


@router.get(
    "/templates",
    operation_id="listTemplates",
    summary="The tenant's WhatsApp templates",
    response_model=TemplatesOut,
)
async def list_templates(
    caller: AgentCaller,
    backends: BackendsDep,
    include_inactive: Annotated[bool, Query(description="Also the inactive ones (admins only).")] = False,
) -> TemplatesOut:
    """The templates the team may send once a lead's 24 h window is closed."""
    reply = await backends.supervisor.ListTemplates(
        supervisor_pb2.ListTemplatesRequest(include_inactive=include_inactive), **caller.options()
    )
    return TemplatesOut(templates=[TemplateOut.from_proto(t) for t in reply.templates])


@router.put(
    "/templates/{name}",
    operation_id="upsertTemplate",
    summary="Record one of the tenant's approved templates",
    response_model=TemplateOut,
    dependencies=[Depends(require_json)],
    responses={
        201: {"model": TemplateOut, "description": "The template was new."},
        **error_responses(400, 415, described={404: "The caller's tenant does not exist."}),
    },
)
async def upsert_template(
    name: Annotated[
        str,
        Path(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$", description="The provider's template name."),
    ],
    body: TemplateUpsertIn,
    caller: AdminCaller,
    backends: BackendsDep,
    response: Response,
) -> TemplateOut:
    """Creates (201) or updates (200) a template by name and language (admins)."""
    reply = await backends.supervisor.UpsertTemplate(
        supervisor_pb2.UpsertTemplateRequest(
            template=supervisor_pb2.MessageTemplate(
                name=name, language=body.language, title=body.title, body=body.body, active=body.active
            )
        ),
        **caller.options(),
    )
    response.status_code = 201 if reply.created else 200
    return TemplateOut.from_proto(reply.template)

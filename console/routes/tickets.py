"""One ticket: the conversation both ways with ticks, events, the visit card, replies, assignment, outcomes."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import grpc
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from google.protobuf import timestamp_pb2

from console.deps import ActingUser, User, UserDep
from console.routes.inbox import FiltersDep, inbox_context, page_context
from console.views import PROPOSAL_LABEL, Viewer, message_entry, ticket_view, timeline
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

router = APIRouter(include_in_schema=False)
TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-fA-F-]{1,64}$")]
ACTIVE = (visits_pb2.PROPOSAL_STATUS_PROPOSED, visits_pb2.PROPOSAL_STATUS_CONFIRMED)
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _stamp(at: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    return stamp


def parse_local(value: str, tz: ZoneInfo) -> datetime | None:
    """A `datetime-local` value read in the tenant's time zone, as an aware instant; None when malformed."""
    try:
        naive = datetime.strptime(value.strip()[:16], LOCAL_INPUT)
    except ValueError:
        return None
    return naive.replace(tzinfo=tz)


def flash(user: User, request: Request, message: str, *, kind: str = "ok", status: int = 200) -> Response:
    """A message in the page's flash area."""
    response = user.console.templates.TemplateResponse(
        request, "_flash.html", {"message": message, "kind": kind}, status_code=status
    )
    if kind != "ok":
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


async def _templates(user: User) -> list[dict[str, Any]]:
    reply = await user.console.backends.supervisor.ListTemplates(
        supervisor_pb2.ListTemplatesRequest(), **user.options()
    )
    return [
        {
            "name": t.name,
            "language": t.language,
            "title": t.title or t.name,
            "body": t.body,
            "parameter_labels": [f"Valor para {{{{{n}}}}}" for n in range(1, t.parameter_count + 1)],
            "parameter_count": t.parameter_count,
        }
        for t in reply.templates
    ]


async def _visit_context(user: User, ticket_id: str, viewer: Viewer) -> dict[str, Any]:
    visits, members = await asyncio.gather(
        user.console.backends.visits.ListVisits(visits_pb2.ListVisitsRequest(ticket_id=ticket_id), **user.options()),
        user.console.team.members(user.tenant),
    )
    active = next((p for p in reversed(visits.proposals) if p.status in ACTIVE), None)
    tz = viewer.tz
    now_local = viewer.now.astimezone(tz)
    suggested = (now_local + timedelta(days=1)).replace(hour=11, minute=0, second=0, microsecond=0)
    visit = None
    if active is not None:
        starts = active.starts_at.ToDatetime(tzinfo=UTC).astimezone(tz)
        visit = {
            "id": active.id,
            "when": starts.strftime("%d/%m/%Y %H:%M"),
            "status": PROPOSAL_LABEL.get(active.status, ""),
            "duration": active.duration_minutes,
            "agent": viewer.users.get(active.agent_user_id, ""),
            "can_confirm": active.status == visits_pb2.PROPOSAL_STATUS_PROPOSED,
            "local_input": starts.strftime(LOCAL_INPUT),
        }
    agents = sorted((m for m in members.values() if m.active), key=lambda m: (m.id != user.session.user_id, m.name))
    return {
        "visit": visit,
        "agents": agents,
        "tz_label": tz.key.rsplit("/", 1)[-1].replace("_", " "),
        "min_local": now_local.strftime(LOCAL_INPUT),
        "suggested_local": suggested.strftime(LOCAL_INPUT),
    }


async def _ticket(
    user: User, ticket_id: str
) -> tuple[ingest_pb2.GetTicketResponse, supervisor_pb2.ListOutboundMessagesResponse]:
    backends = user.console.backends
    return await asyncio.gather(
        backends.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **user.options()),
        backends.supervisor.ListOutboundMessages(
            supervisor_pb2.ListOutboundMessagesRequest(ticket_id=ticket_id), **user.options()
        ),
    )


def _entries(detail: ingest_pb2.GetTicketResponse, outbound: Any, viewer: Viewer) -> list[Any]:
    deliveries = {m.message_id: m for m in outbound.messages if m.message_id}
    return timeline(detail.messages, detail.events, deliveries, viewer)


async def _reply_context(user: User, ticket: Any, *, template: str = "", draft: str = "") -> dict[str, Any]:
    templates = [] if ticket.window_open else await _templates(user)
    chosen = next((t for t in templates if t["name"] == template), templates[0] if templates else None)
    return {"templates": templates, "chosen": chosen, "reply_key": secrets.token_urlsafe(16), "draft": draft}


@router.get("/tickets/{ticket_id}")
async def ticket_page(request: Request, ticket_id: TicketId, user: UserDep, filters: FiltersDep) -> Response:
    """The ticket page: the inbox column (wide screens) and the conversation with everything around it."""
    inbox, (detail, outbound), viewer = await asyncio.gather(
        inbox_context(user, filters, ticket_id=ticket_id), _ticket(user, ticket_id), user.viewer()
    )
    ticket = ticket_view(detail.ticket, viewer)
    visit, reply, lost = await asyncio.gather(
        _visit_context(user, ticket_id, viewer), _reply_context(user, ticket), _lost_reasons(user)
    )
    members = inbox["members"]
    assignable = [m for m in members if m.id == user.session.user_id] if user.session.role == "agent" else members
    context = page_context(
        request,
        user,
        **inbox,
        **visit,
        **reply,
        ticket=ticket,
        entries=_entries(detail, outbound, viewer),
        assignable=assignable,
        lost_reasons=lost,
        outcome_keys={name: secrets.token_urlsafe(16) for name in OUTCOMES},
        note_key=secrets.token_urlsafe(16),
    )
    return user.console.templates.TemplateResponse(request, "ticket.html", context)


@router.get("/tickets/{ticket_id}/head")
async def ticket_head(request: Request, ticket_id: TicketId, user: UserDep) -> Response:
    """The ticket header alone (after a feed reload)."""
    detail, viewer = await asyncio.gather(
        user.console.backends.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **user.options()),
        user.viewer(),
    )
    return user.console.templates.TemplateResponse(
        request, "_ticket_head.html", {"ticket": ticket_view(detail.ticket, viewer)}
    )


@router.get("/tickets/{ticket_id}/timeline")
async def ticket_timeline(request: Request, ticket_id: TicketId, user: UserDep) -> Response:
    """The conversation alone (after a feed reload)."""
    (detail, outbound), viewer = await asyncio.gather(_ticket(user, ticket_id), user.viewer())
    return user.console.templates.TemplateResponse(
        request, "_timeline.html", {"entries": _entries(detail, outbound, viewer)}
    )


@router.get("/tickets/{ticket_id}/visit")
async def visit_card(request: Request, ticket_id: TicketId, user: UserDep) -> Response:
    """The visit card alone."""
    return await _render_visit(request, user, ticket_id)


async def _render_visit(request: Request, user: User, ticket_id: str) -> Response:
    viewer = await user.viewer()
    detail = await user.console.backends.ingest.GetTicket(
        ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **user.options()
    )
    context = await _visit_context(user, ticket_id, viewer)
    context.update(ticket=ticket_view(detail.ticket, viewer), csrf=user.session.csrf, me=user.session.user_id)
    return user.console.templates.TemplateResponse(request, "_visit_card.html", context)


@router.get("/tickets/{ticket_id}/reply")
async def reply_box(request: Request, ticket_id: TicketId, user: UserDep, template: str = "") -> Response:
    """The reply box: free text while the 24 h window is open, the tenant's templates after it."""
    return await _render_reply(request, user, ticket_id, template=template[:512])


async def _render_reply(
    request: Request, user: User, ticket_id: str, *, template: str = "", draft: str = ""
) -> Response:
    detail, viewer = await asyncio.gather(
        user.console.backends.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **user.options()),
        user.viewer(),
    )
    ticket = ticket_view(detail.ticket, viewer)
    context = await _reply_context(user, ticket, template=template, draft=draft)
    context.update(ticket=ticket, csrf=user.session.csrf)
    return user.console.templates.TemplateResponse(request, "_reply_box.html", context)


@router.post("/tickets/{ticket_id}/reply")
async def send_reply(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    key: Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    text: Annotated[str, Form(max_length=4096)] = "",
    template: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Sends the reply once per form (its idempotency key), then shows a fresh box and the message."""
    form = await request.form()
    parameters = [str(value) for value in form.getlist("param")]
    request_pb = supervisor_pb2.SendReplyRequest(ticket_id=ticket_id, idempotency_key=f"console:{key}")
    if template:
        templates = {t["name"]: t for t in await _templates(user)}
        chosen = templates.get(template)
        if chosen is None:
            return flash(user, request, "Esa plantilla ya no está disponible.", kind="error", status=400)
        if len(parameters) != chosen["parameter_count"] or any(not p.strip() for p in parameters):
            return flash(user, request, "Completá todos los campos de la plantilla.", kind="error", status=400)
        request_pb.template.CopyFrom(
            supervisor_pb2.Template(name=chosen["name"], language=chosen["language"], parameters=parameters)
        )
    elif not text.strip():
        return flash(user, request, "Escribí un mensaje antes de enviar.", kind="error", status=400)
    else:
        request_pb.text = text
    try:
        sent = await user.console.backends.supervisor.SendReply(request_pb, **user.options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.ABORTED:
            # The window closed while the agent typed: show the templates, keep nothing typed lost.
            response = await _render_reply(request, user, ticket_id, draft=text)
            response.headers["HX-Trigger"] = "v360:window-closed"
            return response
        raise
    response = await _render_reply(request, user, ticket_id)
    if sent.message.message_id:
        viewer = await user.viewer()
        entry = message_entry(
            ingest_pb2.Message(
                id=sent.message.message_id,
                direction=ingest_pb2.DIRECTION_OUT,
                text=sent.message.text,
                author_user_id=sent.message.author_user_id,
                created_at=sent.message.created_at,
            ),
            viewer,
            sent.message,
        )
        bubble = user.console.templates.env.get_template("_entry.html").render(
            entry=entry, place={"into": "#timeline", "at": "bottom"}
        )
        # Out of band: the bubble lands in the timeline (the feed's copy of it then replaces it in place).
        response.body = response.body + _oob_append(bubble).encode()
        response.headers["content-length"] = str(len(response.body))
    return response


def _oob_append(html: str) -> str:
    return f'<template hx-swap-oob="beforeend:#timeline">{html}</template>'


async def _acted(request: Request, user: User, message: str) -> Response:
    return flash(user, request, message)


@router.post("/tickets/{ticket_id}/assign")
async def assign(
    request: Request, ticket_id: TicketId, user: ActingUser, user_id: Annotated[str, Form(max_length=64)]
) -> Response:
    """Gives the ticket to a team member (agents: to themselves)."""
    await user.console.backends.supervisor.AssignTicket(
        supervisor_pb2.AssignTicketRequest(ticket_id=ticket_id, user_id=user_id), **user.options()
    )
    names = await user.console.team.names(user.tenant)
    return await _acted(request, user, f"Asignado a {names.get(user_id, 'el usuario elegido')}.")


@router.post("/tickets/{ticket_id}/escalate")
async def escalate(
    request: Request, ticket_id: TicketId, user: ActingUser, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """Hands the ticket to the least loaded supervisor."""
    if not reason.strip():
        return flash(user, request, "Indicá el motivo para escalar.", kind="error", status=400)
    reply = await user.console.backends.supervisor.EscalateTicket(
        supervisor_pb2.EscalateTicketRequest(ticket_id=ticket_id, reason=reason), **user.options()
    )
    names = await user.console.team.names(user.tenant)
    return await _acted(request, user, f"Escalado a {names.get(reply.assignee_user_id, 'un supervisor')}.")


@router.post("/tickets/{ticket_id}/visit/propose")
async def propose_visit(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    starts_at: Annotated[str, Form(max_length=32)],
    duration_minutes: Annotated[int, Form(ge=15, le=480)] = 60,
    agent_user_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Proposes a visit at a time picked in the tenant's zone; the lead gets confirm/reschedule buttons."""
    at = parse_local(starts_at, ZoneInfo(user.session.timezone))
    if at is None:
        return flash(user, request, "Elegí fecha y hora de la visita.", kind="error", status=400)
    await user.console.backends.visits.ProposeVisit(
        visits_pb2.ProposeVisitRequest(
            ticket_id=ticket_id,
            agent_user_id=agent_user_id or user.session.user_id,
            starts_at=_stamp(at),
            duration_minutes=duration_minutes,
        ),
        **user.options(),
    )
    return await _render_visit(request, user, ticket_id)


@router.post("/tickets/{ticket_id}/visit/confirm")
async def confirm_visit(
    request: Request, ticket_id: TicketId, user: ActingUser, proposal_id: Annotated[str, Form(max_length=64)]
) -> Response:
    """Confirms the proposal (the lead said yes another way)."""
    await user.console.backends.visits.ConfirmVisit(
        visits_pb2.ConfirmVisitRequest(proposal_id=proposal_id, channel="console"), **user.options()
    )
    return await _render_visit(request, user, ticket_id)


@router.post("/tickets/{ticket_id}/visit/reschedule")
async def reschedule_visit(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    proposal_id: Annotated[str, Form(max_length=64)],
    starts_at: Annotated[str, Form(max_length=32)],
) -> Response:
    """Moves the visit to another time (a new proposal the lead confirms)."""
    at = parse_local(starts_at, ZoneInfo(user.session.timezone))
    if at is None:
        return flash(user, request, "Elegí la nueva fecha y hora.", kind="error", status=400)
    await user.console.backends.visits.RescheduleVisit(
        visits_pb2.RescheduleVisitRequest(proposal_id=proposal_id, starts_at=_stamp(at)), **user.options()
    )
    return await _render_visit(request, user, ticket_id)


@router.post("/tickets/{ticket_id}/visit/cancel")
async def cancel_visit(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    proposal_id: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Calls the visit off."""
    await user.console.backends.visits.CancelVisit(
        visits_pb2.CancelVisitRequest(proposal_id=proposal_id, reason=reason or "cancelada desde la consola"),
        **user.options(),
    )
    return await _render_visit(request, user, ticket_id)


async def _lost_reasons(user: User) -> list[Any]:
    reply = await user.console.backends.ingest.ListLostReasons(ingest_pb2.ListLostReasonsRequest(), **user.options())
    return list(reply.reasons)


OUTCOMES = {
    "visit_done": (ingest_pb2.TICKET_OUTCOME_VISIT_DONE, "Visita realizada."),
    "won": (ingest_pb2.TICKET_OUTCOME_WON, "¡Ganado! Buen trabajo."),
    "lost": (ingest_pb2.TICKET_OUTCOME_LOST, "Marcado como perdido."),
}


@router.get("/tickets/{ticket_id}/outcome")
async def outcome_card(request: Request, ticket_id: TicketId, user: UserDep) -> Response:
    """The outcome card alone (after the stage moved)."""
    detail, viewer, lost = await asyncio.gather(
        user.console.backends.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **user.options()),
        user.viewer(),
        _lost_reasons(user),
    )
    context = {
        "ticket": ticket_view(detail.ticket, viewer),
        "csrf": user.session.csrf,
        "lost_reasons": lost,
        "outcome_keys": {name: secrets.token_urlsafe(16) for name in OUTCOMES},
    }
    return user.console.templates.TemplateResponse(request, "_outcome.html", context)


@router.post("/tickets/{ticket_id}/outcome")
async def set_outcome(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    outcome: Annotated[str, Form(max_length=16)],
    key: Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    lost_reason: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Visita realizada, Ganado, or Perdido with a reason from the tenant's list."""
    if outcome not in OUTCOMES:
        return flash(user, request, "Elegí un resultado.", kind="error", status=400)
    value, message = OUTCOMES[outcome]
    if outcome == "lost" and not lost_reason:
        return flash(user, request, "Elegí el motivo de la pérdida.", kind="error", status=400)
    await user.console.backends.ingest.SetTicketOutcome(
        ingest_pb2.SetTicketOutcomeRequest(
            ticket_id=ticket_id, outcome=value, lost_reason=lost_reason, idempotency_key=f"console:{key}"
        ),
        **user.options(),
    )
    return flash(user, request, message)


@router.post("/tickets/{ticket_id}/notes")
async def add_note(
    request: Request,
    ticket_id: TicketId,
    user: ActingUser,
    key: Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    text: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """An internal note in the timeline (never sent to the lead)."""
    if not text.strip():
        return flash(user, request, "Escribí la nota.", kind="error", status=400)
    await user.console.backends.ingest.AddNote(
        ingest_pb2.AddNoteRequest(ticket_id=ticket_id, text=text, idempotency_key=f"console:{key}"),
        **user.options(),
    )
    response = user.console.templates.TemplateResponse(
        request,
        "_note_form.html",
        {"ticket": {"id": ticket_id}, "csrf": user.session.csrf, "note_key": secrets.token_urlsafe(16)},
    )
    return response

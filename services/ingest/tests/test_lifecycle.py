"""The ticket lifecycle over real gRPC and Postgres: outcomes with their author, lost reasons, notes, reopening."""

from __future__ import annotations

import grpc
import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as pb

pytestmark = pytest.mark.integration


async def a_ticket(stack: Stack, tenant: str, phone: str | None = None) -> str:
    stored = await stack.ingest.IngestMessage(inbound(phone or a_phone(), "hola"), metadata=stack.md(tenant))
    return stored.ticket_id


async def outcome(stack: Stack, tenant: str, ticket_id: str, value: int, key: str, **extra: str) -> pb.Ticket:
    reply = await stack.ingest.SetTicketOutcome(
        pb.SetTicketOutcomeRequest(ticket_id=ticket_id, outcome=value, idempotency_key=key, **extra),
        metadata=stack.md(tenant, Role.AGENT, "agent-7"),
    )
    return reply.ticket


async def test_won_and_lost_write_one_event_with_the_author_once_per_key(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    ticket_id = await a_ticket(stack, tenant)
    assert (await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_WON, "k-won")).stage == "Ganado"
    assert (await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_WON, "k-won")).stage == "Ganado"
    lost = await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_LOST, "k-lost", lost_reason="precio")
    assert lost.stage == "Perdido"
    detail = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant))
    events = [(e.type, dict(e.payload)) for e in detail.events if e.type.startswith("ticket.")]
    assert [name for name, _ in events] == ["ticket.won", "ticket.lost"]
    assert events[0][1]["by_user_id"] == "agent-7" and events[0][1]["from_stage"] == "Nuevo"
    assert events[1][1]["reason"] == "Precio fuera de presupuesto" and events[1][1]["from_stage"] == "Ganado"


async def test_visit_done_needs_a_confirmed_visit_and_lost_needs_a_listed_reason(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    ticket_id = await a_ticket(stack, tenant)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_VISIT_DONE, "k-1")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert dict(caught.value.trailing_metadata())["x-error-field"] == "outcome"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_LOST, "k-2", lost_reason="me-aburri")
    assert dict(caught.value.trailing_metadata())["x-error-field"] == "lost_reason"
    detail = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant))
    assert detail.ticket.stage == "Nuevo" and not [e for e in detail.events if e.type.startswith("ticket.")]


async def test_a_lead_who_writes_after_perdido_reopens_the_ticket(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    ticket_id = await a_ticket(stack, tenant, phone)
    await outcome(stack, tenant, ticket_id, pb.TICKET_OUTCOME_LOST, "k-lost", lost_reason="sin_respuesta")
    await stack.ingest.IngestMessage(inbound(phone, "¿sigue disponible?"), metadata=stack.md(tenant))
    detail = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant))
    assert detail.ticket.stage == "En conversación"
    reopened = [e for e in detail.events if e.type == "ticket.reopened"]
    assert len(reopened) == 1 and dict(reopened[0].payload)["actor"] == "lead"


async def test_notes_are_timeline_events_never_messages(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    ticket_id = await a_ticket(stack, tenant)
    request = pb.AddNoteRequest(ticket_id=ticket_id, text="Prefiere que lo llamen a la tarde", idempotency_key="n-1")
    first = await stack.ingest.AddNote(request, metadata=stack.md(tenant, Role.AGENT, "agent-7"))
    again = await stack.ingest.AddNote(request, metadata=stack.md(tenant, Role.AGENT, "agent-7"))
    assert not first.duplicate and again.duplicate and first.note.id == again.note.id
    detail = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant))
    notes = [e for e in detail.events if e.type == "note.added"]
    assert len(notes) == 1 and dict(notes[0].payload)["by_user_id"] == "agent-7"
    assert [m.text for m in detail.messages] == ["hola"]
    other = await stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.ingest.AddNote(
            pb.AddNoteRequest(ticket_id=ticket_id, text="x", idempotency_key="n-2"), metadata=stack.md(other)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_admins_set_the_lost_reasons(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    defaults = await stack.ingest.ListLostReasons(pb.ListLostReasonsRequest(), metadata=stack.md(tenant, Role.AGENT))
    assert defaults.reasons[0].code == "precio"
    reasons = [pb.LostReason(code="precio", label="Caro"), pb.LostReason(code="mudanza", label="Se muda")]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.ingest.SetLostReasons(
            pb.SetLostReasonsRequest(reasons=reasons), metadata=stack.md(tenant, Role.AGENT)
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await stack.ingest.SetLostReasons(pb.SetLostReasonsRequest(reasons=reasons), metadata=stack.md(tenant, Role.ADMIN))
    listed = await stack.ingest.ListLostReasons(pb.ListLostReasonsRequest(), metadata=stack.md(tenant, Role.AGENT))
    assert [(r.code, r.label) for r in listed.reasons] == [("precio", "Caro"), ("mudanza", "Se muda")]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.ingest.SetLostReasons(
            pb.SetLostReasonsRequest(reasons=[pb.LostReason(code="Con Espacio", label="x")]),
            metadata=stack.md(tenant, Role.ADMIN),
        )
    assert dict(caught.value.trailing_metadata())["x-error-field"] == "reasons.code"

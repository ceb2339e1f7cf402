"""VisitsService over real gRPC and Postgres: stage rules, no double booking, lead replies, outbox."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import grpc
import psycopg
import pytest

from libs.common.auth import Role
from libs.common.db import libpq_url
from tests.support.builders import a_phone, inbound, timestamp, tomorrow_at
from tests.support.stack import Stack, running_stack
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.supervisor.v1 import supervisor_pb2 as supervisor_pb
from vertice360.visits.v1 import visits_pb2 as pb

pytestmark = pytest.mark.integration


async def new_ticket(stack: Stack, tenant: str) -> str:
    stored = await stack.ingest.IngestMessage(
        inbound(a_phone(), "Quiero visitar"), metadata=stack.md(tenant), timeout=10
    )
    return stored.ticket_id


def propose(ticket_id: str, agent: str, at: datetime, minutes: int = 60) -> pb.ProposeVisitRequest:
    return pb.ProposeVisitRequest(
        ticket_id=ticket_id, agent_user_id=agent, starts_at=timestamp(at), duration_minutes=minutes
    )


async def ticket_of(stack: Stack, tenant: str, ticket_id: str) -> ingest_pb.GetTicketResponse:
    return await stack.ingest.GetTicket(
        ingest_pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10, wait_for_ready=True
    )


async def test_propose_confirm_reschedule_move_the_ticket_stage(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    ticket_id = await new_ticket(stack, tenant)
    at = tomorrow_at(15)

    proposed = await stack.visits.ProposeVisit(propose(ticket_id, agent, at), metadata=md, timeout=10)
    assert proposed.ticket_stage == "Esperando confirmación"
    ticket = await ticket_of(stack, tenant, ticket_id)
    assert ticket.ticket.stage == "Esperando confirmación"
    assert not ticket.ticket.HasField("visit_scheduled_at")

    confirmed = await stack.visits.ConfirmVisit(pb.ConfirmVisitRequest(ticket_id=ticket_id), metadata=md, timeout=10)
    assert confirmed.proposal.status == pb.PROPOSAL_STATUS_CONFIRMED
    assert confirmed.confirmation.channel == "dashboard"
    ticket = await ticket_of(stack, tenant, ticket_id)
    assert ticket.ticket.stage == "Visita confirmada"
    assert ticket.ticket.visit_scheduled_at.ToDatetime(tzinfo=UTC) == at

    later = at + timedelta(days=1)
    moved = await stack.visits.RescheduleVisit(
        pb.RescheduleVisitRequest(proposal_id=proposed.proposal.id, starts_at=timestamp(later)), metadata=md, timeout=10
    )
    assert moved.replaced.status == pb.PROPOSAL_STATUS_RESCHEDULED
    assert moved.proposal.replaces_proposal_id == proposed.proposal.id
    assert moved.proposal.duration_minutes == 60
    ticket = await ticket_of(stack, tenant, ticket_id)
    assert ticket.ticket.stage == "Esperando confirmación"
    assert ticket.ticket.visit_scheduled_at.ToDatetime(tzinfo=UTC) == later
    events = [e.type for e in ticket.events if e.type.startswith("visit.")]
    assert events == ["visit.proposed", "visit.confirmed", "visit.rescheduled"]
    assert all(e.correlation_id == ticket_id for e in ticket.events)

    cancelled = await stack.visits.CancelVisit(
        pb.CancelVisitRequest(proposal_id=moved.proposal.id, reason="el lead no puede"), metadata=md, timeout=10
    )
    assert cancelled.ticket_stage == "En conversación"
    ticket = await ticket_of(stack, tenant, ticket_id)
    assert ticket.ticket.stage == "En conversación"
    assert not ticket.ticket.HasField("visit_scheduled_at")


async def test_twenty_concurrent_overlapping_proposals_one_wins(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    tickets = [await new_ticket(stack, tenant) for _ in range(20)]
    at = tomorrow_at(10)
    results = await asyncio.gather(
        *(
            stack.visits.ProposeVisit(propose(t, agent, at + timedelta(minutes=i)), metadata=md, timeout=20)
            for i, t in enumerate(tickets)
        ),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, pb.ProposeVisitResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 19
    assert {e.code() for e in losses} == {grpc.StatusCode.ALREADY_EXISTS}
    assert all("already has a visit from" in e.details() and wins[0].proposal.id in e.details() for e in losses)


async def test_twenty_concurrent_confirms_one_wins(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    ticket_id = await new_ticket(stack, tenant)
    proposed = await stack.visits.ProposeVisit(propose(ticket_id, agent, tomorrow_at(11)), metadata=md, timeout=10)
    results = await asyncio.gather(
        *(
            stack.visits.ConfirmVisit(pb.ConfirmVisitRequest(proposal_id=proposed.proposal.id), metadata=md, timeout=20)
            for _ in range(20)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, pb.ConfirmVisitResponse) for r in results) == 1
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert {e.code() for e in errors} == {grpc.StatusCode.ALREADY_EXISTS}
    assert all("already confirmed" in e.details() for e in errors)
    listed = await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=ticket_id), metadata=md, timeout=10)
    assert len(listed.confirmations) == 1


async def test_stale_proposal_cannot_be_confirmed_after_reschedule(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    ticket_id = await new_ticket(stack, tenant)
    old = await stack.visits.ProposeVisit(propose(ticket_id, agent, tomorrow_at(12)), metadata=md, timeout=10)
    await stack.visits.RescheduleVisit(
        pb.RescheduleVisitRequest(proposal_id=old.proposal.id, starts_at=timestamp(tomorrow_at(13))),
        metadata=md,
        timeout=10,
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.ConfirmVisit(pb.ConfirmVisitRequest(proposal_id=old.proposal.id), metadata=md, timeout=10)
    assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "rescheduled" in exc.value.details()


async def test_back_to_back_and_other_agents_do_not_clash(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    agent2 = await stack.new_user(tenant, role=supervisor_pb.ROLE_SUPERVISOR)
    md = stack.md(tenant, Role.AGENT, agent)
    at = tomorrow_at(9)
    await stack.visits.ProposeVisit(propose(await new_ticket(stack, tenant), agent, at), metadata=md, timeout=10)
    await stack.visits.ProposeVisit(
        propose(await new_ticket(stack, tenant), agent, at + timedelta(hours=1)), metadata=md, timeout=10
    )
    await stack.visits.ProposeVisit(propose(await new_ticket(stack, tenant), agent2, at), metadata=md, timeout=10)
    other_tenant = await stack.new_tenant()
    other_agent = await stack.new_user(other_tenant)
    await stack.visits.ProposeVisit(
        propose(await new_ticket(stack, other_tenant), other_agent, at),
        metadata=stack.md(other_tenant, Role.AGENT, other_agent),
        timeout=10,
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.ProposeVisit(
            propose(await new_ticket(stack, tenant), agent, at + timedelta(minutes=59), 30), metadata=md, timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_overlap_is_exact_below_a_second(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    at = tomorrow_at(8)
    await stack.visits.ProposeVisit(propose(await new_ticket(stack, tenant), agent, at), metadata=md, timeout=10)
    for overlap in (timedelta(milliseconds=500), timedelta(microseconds=1)):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.visits.ProposeVisit(
                propose(await new_ticket(stack, tenant), agent, at + timedelta(hours=1) - overlap),
                metadata=md,
                timeout=10,
            )
        assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # Half-open: the next visit may start the very microsecond this one ends.
    await stack.visits.ProposeVisit(
        propose(await new_ticket(stack, tenant), agent, at + timedelta(hours=1)), metadata=md, timeout=10
    )


@pytest.mark.parametrize("who", ["made up", "inactive", "other tenant's", "empty"])
async def test_agent_must_be_an_active_user_of_the_tenant(stack: Stack, who: str) -> None:
    tenant = await stack.new_tenant()
    ticket_id = await new_ticket(stack, tenant)
    agent = {
        "made up": "agente-inventado",
        "inactive": await stack.new_user(tenant, active=False),
        "other tenant's": await stack.new_user(await stack.new_tenant()),
        "empty": "",
    }[who]
    # A service caller has no user id of its own to fall back on, so "empty" names nobody.
    md = stack.md(tenant)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.ProposeVisit(propose(ticket_id, agent, tomorrow_at(10)), metadata=md, timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == "agent_user_id"
    listed = await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=ticket_id), metadata=md, timeout=10)
    assert list(listed.proposals) == []


async def test_a_user_deactivated_in_supervisor_is_refused_after_the_next_lookup(
    database_url: str, redis_url: str
) -> None:
    async with running_stack(database_url=database_url, redis_url=redis_url, VISITS_AGENT_SYNC_SECONDS=0) as stack:
        tenant = await stack.new_tenant()
        agent = await stack.new_user(tenant)
        md = stack.md(tenant, Role.AGENT, agent)
        await stack.visits.ProposeVisit(
            propose(await new_ticket(stack, tenant), agent, tomorrow_at(9)), metadata=md, timeout=10
        )
        users = await stack.supervisor.ListUsers(
            supervisor_pb.ListUsersRequest(), metadata=stack.md(tenant), timeout=10
        )
        user = next(u for u in users.users if u.id == agent)
        user.active = False
        await stack.supervisor.UpsertUser(
            supervisor_pb.UpsertUserRequest(user=user), metadata=stack.md(tenant), timeout=10
        )
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.visits.ProposeVisit(
                propose(await new_ticket(stack, tenant), agent, tomorrow_at(11)), metadata=md, timeout=10
            )
        assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("starts_at", "minutes", "field"),
    [
        (datetime.now(UTC) - timedelta(hours=1), 60, "starts_at"),
        (datetime.now(UTC) + timedelta(days=1), 5, "duration_minutes"),
        (datetime.now(UTC) + timedelta(days=1), 9 * 60, "duration_minutes"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), 60, "starts_at"),
        (datetime.now(UTC) + timedelta(days=400), 60, "starts_at"),
    ],
)
async def test_bad_slots_are_invalid(stack: Stack, starts_at: datetime, minutes: int, field: str) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    ticket_id = await new_ticket(stack, tenant)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.ProposeVisit(propose(ticket_id, agent, starts_at, minutes), metadata=md, timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == field
    listed = await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=ticket_id), metadata=md, timeout=10)
    assert list(listed.proposals) == []


async def test_unknown_ticket_is_not_found(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    other = await stack.new_tenant()
    foreign_ticket = await new_ticket(stack, other)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.ProposeVisit(
            propose(foreign_ticket, agent, tomorrow_at(16)), metadata=stack.md(tenant, Role.AGENT), timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND


async def reply_token(database_url: str, proposal_id: str) -> str:
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as conn:
        cur = await conn.execute("SELECT reply_token FROM visits.visit_proposals WHERE id = %s", (proposal_id,))
        row = await cur.fetchone()
        assert row is not None
        return str(row[0])


async def stage_becomes(stack: Stack, tenant: str, ticket_id: str, stage: str) -> ingest_pb.GetTicketResponse:
    """The ticket once its stage is `stage` (the outbox hops run after the calls that caused them)."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        ticket = await ticket_of(stack, tenant, ticket_id)
        if ticket.ticket.stage == stage:
            return ticket
        assert asyncio.get_running_loop().time() < deadline, f"stage still {ticket.ticket.stage!r}, not {stage!r}"
        await asyncio.sleep(0.05)


def tap(phone: str, reply_id: str) -> ingest_pb.IngestMessageRequest:
    return inbound(phone, "Confirmar", type=ingest_pb.MESSAGE_TYPE_BUTTON_REPLY, reply_id=reply_id)


async def test_lead_confirms_with_the_reply_button(stack: Stack, database_url: str) -> None:
    tenant = await stack.new_tenant()
    agent = await stack.new_user(tenant)
    md = stack.md(tenant, Role.AGENT, agent)
    phone = a_phone()
    first = await stack.ingest.IngestMessage(inbound(phone, "Hola"), metadata=stack.md(tenant), timeout=10)
    proposed = await stack.visits.ProposeVisit(
        propose(first.ticket_id, agent, tomorrow_at(17)), metadata=md, timeout=10
    )
    token = await reply_token(database_url, proposed.proposal.id)

    forged = await stack.ingest.IngestMessage(
        tap(phone, f"v360v:c:{secrets.token_urlsafe(18)}"), metadata=stack.md(tenant), timeout=10
    )
    assert forged.ticket_id == first.ticket_id

    request = tap(phone, f"v360v:c:{token}")
    await stack.ingest.IngestMessage(request, metadata=stack.md(tenant), timeout=10)
    await stack.ingest.IngestMessage(request, metadata=stack.md(tenant), timeout=10)
    # Another tap on the same button (a new message): visits answers it without a second confirmation.
    await stack.ingest.IngestMessage(tap(phone, f"v360v:c:{token}"), metadata=stack.md(tenant), timeout=10)
    ticket = await stage_becomes(stack, tenant, first.ticket_id, "Visita confirmada")
    assert [e.type for e in ticket.events].count("visit.confirmed") == 1
    listed = await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=first.ticket_id), metadata=md, timeout=10)
    assert [(c.channel, c.confirmed_by) for c in listed.confirmations] == [("whatsapp", "lead")]
    assert await hand_offs(database_url, first.ticket_id) == {"done": 3}


async def hand_offs(database_url: str, ticket_id: str) -> dict[str, int]:
    """Ingest's outbox rows handing this ticket's taps to visits, by status."""
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as conn:
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            cur = await conn.execute(
                "SELECT status, count(*) FROM ingest.outbox WHERE ordering_key = %s GROUP BY status",
                (f"lead_reply:{ticket_id}",),
            )
            found = {str(status): int(count) for status, count in await cur.fetchall()}
            if "pending" not in found or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.05)


async def test_a_tap_with_visits_down_is_stored_at_once_and_confirms_once_visits_is_back(
    database_url: str, redis_url: str
) -> None:
    async with running_stack(database_url=database_url, redis_url=redis_url) as stack:
        tenant = await stack.new_tenant()
        agent = await stack.new_user(tenant)
        phone = a_phone()
        first = await stack.ingest.IngestMessage(inbound(phone, "Hola"), metadata=stack.md(tenant), timeout=10)
        proposed = await stack.visits.ProposeVisit(
            propose(first.ticket_id, agent, tomorrow_at(18)),
            metadata=stack.md(tenant, Role.AGENT, agent),
            timeout=10,
        )
        token = await reply_token(database_url, proposed.proposal.id)
        await stack.stop_service("visits")
        try:
            stored = await stack.ingest.IngestMessage(
                tap(phone, f"v360v:c:{token}"), metadata=stack.md(tenant), timeout=10
            )
            assert not stored.duplicate
            assert (await ticket_of(stack, tenant, first.ticket_id)).ticket.stage == "Esperando confirmación"
        finally:
            await stack.start_service("visits")
        ticket = await stage_becomes(stack, tenant, first.ticket_id, "Visita confirmada")
        assert [e.type for e in ticket.events].count("visit.confirmed") == 1
        assert await hand_offs(database_url, first.ticket_id) == {"done": 1}


async def test_stage_catches_up_after_ingest_comes_back(database_url: str, redis_url: str) -> None:
    async with running_stack(database_url=database_url, redis_url=redis_url) as stack:
        tenant = await stack.new_tenant()
        agent = await stack.new_user(tenant)
        ticket_id = await new_ticket(stack, tenant)
        md = stack.md(tenant, Role.AGENT, agent)
        await stack.stop_service("ingest")

        proposed = await stack.visits.ProposeVisit(propose(ticket_id, agent, tomorrow_at(14)), metadata=md, timeout=10)
        assert proposed.proposal.status == pb.PROPOSAL_STATUS_PROPOSED

        await stack.start_service("ingest")
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            ticket = await ticket_of(stack, tenant, ticket_id)
            if ticket.ticket.stage == "Esperando confirmación":
                break
            assert asyncio.get_running_loop().time() < deadline, "stage did not catch up within 10 s"
            await asyncio.sleep(0.1)
        assert [e.type for e in ticket.events].count("visit.proposed") == 1
        await asyncio.sleep(1.0)
        ticket = await ticket_of(stack, tenant, ticket_id)
        assert [e.type for e in ticket.events].count("visit.proposed") == 1

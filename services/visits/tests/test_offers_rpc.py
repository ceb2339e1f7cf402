"""Free times offered in the chat as a WhatsApp list; the lead's tap books, over real gRPC and Postgres."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf import json_format

from libs.common.auth import Role
from libs.common.db import libpq_url
from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.visits.v1 import visits_pb2 as pb

pytestmark = pytest.mark.integration

EVERY_DAY = [pb.WorkingHours(weekday=d, start="09:00", end="18:00") for d in range(1, 8)]


async def project(stack: Stack, *, agents: int = 1) -> tuple[str, list[str]]:
    """A tenant with project P1 shown by `agents` agents working 09-18 every day."""
    tenant = await stack.new_tenant()
    boss = stack.md(tenant, Role.SUPERVISOR, "boss")
    await stack.ingest.UpsertProject(
        ingest_pb.UpsertProjectRequest(project=ingest_pb.Project(code="P1", name="Proyecto 1")),
        metadata=stack.md(tenant),
        timeout=10,
    )
    ids = [await stack.new_user(tenant) for _ in range(agents)]
    for agent in ids:
        await stack.visits.SetWorkingHours(
            pb.SetWorkingHoursRequest(agent_user_id=agent, hours=EVERY_DAY), metadata=boss, timeout=10
        )
    await stack.visits.SetProjectSettings(
        pb.SetProjectSettingsRequest(
            settings=pb.ProjectSettings(
                project_code="P1", visit_minutes=60, min_notice_minutes=120, horizon_days=30, agent_user_ids=ids
            )
        ),
        metadata=boss,
        timeout=10,
    )
    return tenant, ids


async def lead(stack: Stack, tenant: str) -> tuple[str, str]:
    """A lead who wrote about P1: (phone, ticket id)."""
    phone = a_phone()
    stored = await stack.ingest.IngestMessage(
        inbound(phone, "Quiero visitar", project_code="P1"), metadata=stack.md(tenant), timeout=10
    )
    return phone, stored.ticket_id


async def tap(stack: Stack, tenant: str, phone: str, row_id: str, *, wamid: str | None = None) -> None:
    """The lead picks a row (or button) on WhatsApp: the webhook's message reaches ingest, which hands it on.

    As a provider does, the same message is delivered again while the hand-off answers UNAVAILABLE."""
    request = inbound(
        phone,
        "Jue 10:00",
        wamid=wamid or f"wamid.{secrets.token_hex(8)}",
        type=ingest_pb.MESSAGE_TYPE_LIST_REPLY,
        reply_id=row_id,
    )
    for _ in range(10):
        try:
            await stack.ingest.IngestMessage(request, metadata=stack.md(tenant), timeout=30)
            return
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise
    raise AssertionError("the tap was never handed over")


async def settled(database_url: str, tenant: str) -> None:
    """Waits until the tenant's due hand-offs are done: a tap reaches visits through ingest's outbox, and what
    visits answers (a booking, a list) goes out through its own."""
    deadline = asyncio.get_running_loop().time() + 60
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url), autocommit=True) as conn:
        while True:
            cur = await conn.execute(
                "SELECT (SELECT count(*) FROM ingest.outbox WHERE tenant = %(t)s AND status = 'pending')"
                " + (SELECT count(*) FROM visits.outbox WHERE tenant = %(t)s AND status = 'pending'"
                " AND not_before <= now())",
                {"t": tenant},
            )
            row = await cur.fetchone()
            if row is not None and row[0] == 0:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{row} hand-offs still pending"
            await asyncio.sleep(0.05)


async def timeline(stack: Stack, tenant: str, ticket_id: str) -> ingest_pb.GetTicketResponse:
    return await stack.ingest.GetTicket(
        ingest_pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )


def sent_payloads(detail: ingest_pb.GetTicketResponse) -> list[dict[str, Any]]:
    """What went out to the lead, oldest first, as the timeline stores it."""
    return [
        json_format.MessageToDict(m.payload) | {"text": m.text}
        for m in detail.messages
        if m.direction == ingest_pb.DIRECTION_OUT
    ]


def lists(detail: ingest_pb.GetTicketResponse) -> list[dict[str, Any]]:
    return [p["list"] for p in sent_payloads(detail) if "list" in p]


async def offer(stack: Stack, tenant: str, ticket_id: str, agent: str) -> pb.OfferSlotsResponse:
    return await stack.visits.OfferSlots(
        pb.OfferSlotsRequest(ticket_id=ticket_id), metadata=stack.md(tenant, Role.AGENT, agent), timeout=10
    )


async def test_a_lead_taps_a_listed_time_and_it_is_booked_and_confirmed(stack: Stack, database_url: str) -> None:
    tenant, (agent,) = await project(stack)
    phone, ticket_id = await lead(stack, tenant)
    offered = await offer(stack, tenant, ticket_id, agent)
    assert len(offered.slots) == 10
    starts = [s.slot.starts_at.ToDatetime(tzinfo=UTC) for s in offered.slots]
    assert starts == sorted(starts) and starts[0] >= datetime.now(UTC)
    (sent,) = lists(await timeline(stack, tenant, ticket_id))
    assert [row["id"] for row in sent["rows"]] == [s.row_id for s in offered.slots]
    assert all(len(row["title"]) <= 24 and len(row["description"]) <= 72 for row in sent["rows"])
    assert len(sent["button"]) <= 20

    # Forged ids, and another ticket's row, book nothing.
    _, other_ticket = await lead(stack, tenant)
    other = await offer(stack, tenant, other_ticket, agent)
    for forged in (f"v360v:s:{secrets.token_urlsafe(12)}", other.slots[3].row_id, "v360v:s:"):
        await tap(stack, tenant, phone, forged)
    await settled(database_url, tenant)
    assert (await timeline(stack, tenant, ticket_id)).ticket.stage != "Visita confirmada"

    wamid = f"wamid.{secrets.token_hex(8)}"
    await tap(stack, tenant, phone, offered.slots[3].row_id, wamid=wamid)
    await tap(stack, tenant, phone, offered.slots[3].row_id, wamid=wamid)
    await settled(database_url, tenant)
    detail = await timeline(stack, tenant, ticket_id)
    assert detail.ticket.stage == "Visita confirmada"
    assert detail.ticket.visit_scheduled_at.ToDatetime(tzinfo=UTC) == starts[3]
    assert [e.type for e in detail.events].count("visit.booked") == 1
    listed = await stack.visits.ListVisits(
        pb.ListVisitsRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert [p.status for p in listed.proposals] == [pb.PROPOSAL_STATUS_CONFIRMED]
    assert [(c.channel, c.confirmed_by) for c in listed.confirmations] == [("whatsapp", "lead")]
    assert "confirmada" in sent_payloads(detail)[-1]["text"]
    # The other ticket's list no longer offers the booked time: the agent is taken then.
    again = await offer(stack, tenant, other_ticket, agent)
    assert starts[3] not in [s.slot.starts_at.ToDatetime(tzinfo=UTC) for s in again.slots]


async def test_fifty_leads_tapping_the_same_time_book_it_once_and_49_get_a_fresh_list(
    stack: Stack, database_url: str
) -> None:
    tenant, (agent,) = await project(stack)
    leads = [await lead(stack, tenant) for _ in range(50)]
    offers = [await offer(stack, tenant, ticket_id, agent) for _, ticket_id in leads]
    first = offers[0].slots[0].slot.starts_at.ToDatetime(tzinfo=UTC)
    assert all(o.slots[0].slot.starts_at.ToDatetime(tzinfo=UTC) == first for o in offers)

    await asyncio.gather(
        *(tap(stack, tenant, phone, o.slots[0].row_id) for (phone, _), o in zip(leads, offers, strict=True))
    )

    await settled(database_url, tenant)
    details = [await timeline(stack, tenant, ticket_id) for _, ticket_id in leads]
    booked = [d for d in details if d.ticket.stage == "Visita confirmada"]
    assert len(booked) == 1
    assert booked[0].ticket.visit_scheduled_at.ToDatetime(tzinfo=UTC) == first
    losers = [d for d in details if d.ticket.stage != "Visita confirmada"]
    assert len(losers) == 49
    for detail in losers:
        sent = lists(detail)
        assert len(sent) == 2, "the offer, then one fresh list"
        fresh_ids = [row["id"] for row in sent[1]["rows"]]
        assert fresh_ids and not set(fresh_ids) & {row["id"] for row in sent[0]["rows"]}
    # The agent holds exactly one visit at that time.
    visits = [
        await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=t), metadata=stack.md(tenant), timeout=10)
        for _, t in leads
    ]
    at_first = [p for v in visits for p in v.proposals if p.starts_at.ToDatetime(tzinfo=UTC) == first]
    assert len(at_first) == 1


async def test_reprogramar_answers_with_a_new_list_and_the_tap_moves_the_visit(stack: Stack, database_url: str) -> None:
    tenant, (agent,) = await project(stack)
    phone, ticket_id = await lead(stack, tenant)
    offered = await offer(stack, tenant, ticket_id, agent)
    await tap(stack, tenant, phone, offered.slots[0].row_id)
    await settled(database_url, tenant)
    confirmation = sent_payloads(await timeline(stack, tenant, ticket_id))[-1]
    (reschedule,) = confirmation["buttons"]
    assert reschedule["title"] == "Reprogramar"

    await tap(stack, tenant, phone, reschedule["id"])
    await settled(database_url, tenant)
    sent = lists(await timeline(stack, tenant, ticket_id))
    assert len(sent) == 2
    await tap(stack, tenant, phone, sent[1]["rows"][5]["id"])
    await settled(database_url, tenant)
    detail = await timeline(stack, tenant, ticket_id)
    assert detail.ticket.stage == "Visita confirmada"
    listed = await stack.visits.ListVisits(
        pb.ListVisitsRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert [p.status for p in listed.proposals] == [pb.PROPOSAL_STATUS_RESCHEDULED, pb.PROPOSAL_STATUS_CONFIRMED]
    assert listed.proposals[1].replaces_proposal_id == listed.proposals[0].id
    # A tap on the first list, already used, books nothing more.
    await tap(stack, tenant, phone, offered.slots[2].row_id)
    await settled(database_url, tenant)
    listed = await stack.visits.ListVisits(
        pb.ListVisitsRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert len(listed.proposals) == 2


async def test_offering_needs_an_open_window_a_project_and_free_agents(stack: Stack) -> None:
    tenant, (agent,) = await project(stack)
    md = stack.md(tenant, Role.AGENT, agent)
    stale = await stack.ingest.IngestMessage(
        inbound(a_phone(), "Hola", at=datetime(2020, 1, 1, tzinfo=UTC), project_code="P1"),
        metadata=stack.md(tenant),
        timeout=10,
    )
    no_project = await stack.ingest.IngestMessage(inbound(a_phone(), "Hola"), metadata=stack.md(tenant), timeout=10)
    for ticket_id, code, field in (
        (stale.ticket_id, grpc.StatusCode.ABORTED, "ticket_id"),
        (no_project.ticket_id, grpc.StatusCode.INVALID_ARGUMENT, "project_code"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.visits.OfferSlots(pb.OfferSlotsRequest(ticket_id=ticket_id), metadata=md, timeout=10)
        assert exc.value.code() == code
        assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == field

"""The console's reads over real gRPC and Postgres: inbox filters, waiting order, the funnel, the change feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as pb

pytestmark = pytest.mark.integration


async def listed(stack: Stack, tenant: str, **filters: object) -> list[str]:
    reply = await stack.ingest.ListTickets(pb.ListTicketsRequest(**filters), metadata=stack.md(tenant), timeout=10)
    return [ticket.lead_name for ticket in reply.tickets]


async def reply_to(stack: Stack, tenant: str, ticket_id: str, key: str) -> None:
    await stack.ingest.AppendOutboundMessage(
        pb.AppendOutboundMessageRequest(ticket_id=ticket_id, dedupe_key=key, actor=pb.ACTOR_AGENT, text="Hola!"),
        metadata=stack.md(tenant),
        timeout=10,
    )


async def test_waiting_order_puts_the_longest_waiting_lead_first_and_a_reply_ends_the_wait(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    now = datetime.now(UTC)
    ana = await stack.ingest.IngestMessage(
        inbound(a_phone(), "hola", profile_name="Ana", at=now - timedelta(minutes=30)), metadata=stack.md(tenant)
    )
    # Bruno wrote first, and again later: he waits since his first message.
    bruno_phone = a_phone()
    await stack.ingest.IngestMessage(
        inbound(bruno_phone, "hola", profile_name="Bruno", at=now - timedelta(minutes=40)), metadata=stack.md(tenant)
    )
    await stack.ingest.IngestMessage(
        inbound(bruno_phone, "¿hay alguien?", profile_name="Bruno", at=now - timedelta(minutes=1)),
        metadata=stack.md(tenant),
    )
    await stack.ingest.IngestMessage(inbound(a_phone(), "hola", profile_name="Carla"), metadata=stack.md(tenant))

    assert await listed(stack, tenant) == ["Carla", "Bruno", "Ana"]
    assert await listed(stack, tenant, order=pb.TICKET_ORDER_WAITING) == ["Bruno", "Ana", "Carla"]
    page = await stack.ingest.ListTickets(
        pb.ListTicketsRequest(order=pb.TICKET_ORDER_WAITING, page_size=2), metadata=stack.md(tenant)
    )
    rest = await stack.ingest.ListTickets(
        pb.ListTicketsRequest(order=pb.TICKET_ORDER_WAITING, page_size=2, page_token=page.next_page_token),
        metadata=stack.md(tenant),
    )
    assert [t.lead_name for t in rest.tickets] == ["Carla"]

    await reply_to(stack, tenant, ana.ticket_id, "r-ana")
    assert await listed(stack, tenant, unread_only=True) == ["Carla", "Bruno"]
    ticket = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=ana.ticket_id), metadata=stack.md(tenant))
    assert not ticket.ticket.HasField("waiting_since")
    assert ticket.ticket.stage == "En conversación"
    assert {"message.sent", "stage.changed"} <= {e.type for e in ticket.events}


async def test_window_filter_and_funnel_counts(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    await stack.ingest.IngestMessage(
        inbound(a_phone(), "viejo", profile_name="Vieja", at=datetime.now(UTC) - timedelta(hours=30)),
        metadata=stack.md(tenant),
    )
    fresh = await stack.ingest.IngestMessage(
        inbound(a_phone(), "hola", profile_name="Nueva"), metadata=stack.md(tenant)
    )
    await reply_to(stack, tenant, fresh.ticket_id, "r-fresh")

    assert await listed(stack, tenant, window=pb.WINDOW_FILTER_OPEN) == ["Nueva"]
    assert await listed(stack, tenant, window=pb.WINDOW_FILTER_CLOSED) == ["Vieja"]
    counts = await stack.ingest.CountTickets(pb.CountTicketsRequest(), metadata=stack.md(tenant))
    by_stage = {c.stage: c.count for c in counts.stages}
    assert list(by_stage)[:2] == ["Nuevo", "En conversación"]
    assert by_stage["Nuevo"] == 1 and by_stage["En conversación"] == 1 and by_stage["Ganado"] == 0
    assert counts.waiting == 1


async def _watch(stack: Stack, tenant: str, role: Role = Role.AGENT) -> AsyncIterator[pb.WatchChangesResponse]:
    call = stack.ingest.WatchChanges(pb.WatchChangesRequest(), metadata=stack.md(tenant, role, "u-1"))
    try:
        async for item in call:
            yield item
    finally:
        call.cancel()


async def test_watch_changes_streams_the_tenants_commits_and_nothing_of_others(stack: Stack) -> None:
    tenant, other = await stack.new_tenant(), await stack.new_tenant()
    stream = _watch(stack, tenant)
    first = await anext(stream)
    assert first.ready
    await stack.ingest.IngestMessage(inbound(a_phone(), "de otro"), metadata=stack.md(other))
    stored = await stack.ingest.IngestMessage(
        inbound(a_phone(), "<b>hola</b>", profile_name="Lucía"), metadata=stack.md(tenant)
    )
    change = await asyncio.wait_for(anext(stream), 10)
    assert change.ticket.id == stored.ticket_id
    assert change.ticket.lead_name == "Lucía"
    assert change.event.type == "message.received"
    assert change.message.id == stored.message_id and change.message.text == "<b>hola</b>"

    await reply_to(stack, tenant, stored.ticket_id, "r-1")
    sent, staged = await asyncio.wait_for(anext(stream), 10), await asyncio.wait_for(anext(stream), 10)
    assert {sent.event.type, staged.event.type} == {"message.sent", "stage.changed"}
    assert sent.ticket.stage == "En conversación"
    await stream.aclose()


async def test_watch_changes_needs_a_valid_token(stack: Stack) -> None:
    call = stack.ingest.WatchChanges(pb.WatchChangesRequest(), metadata=(("authorization", "Bearer nope"),))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await anext(aiter(call))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED

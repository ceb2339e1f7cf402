"""IngestMessages over real gRPC and Postgres: a batch commits together, each message keeps its own outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from psycopg import AsyncConnection

from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as pb

pytestmark = pytest.mark.integration


def batch(*requests: pb.IngestMessageRequest) -> pb.IngestMessagesRequest:
    return pb.IngestMessagesRequest(messages=[request.message for request in requests])


async def stored_texts(database_url: str, ticket_id: str) -> list[str]:
    async with await AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT text FROM ingest.messages WHERE ticket_id = %s ORDER BY sent_at, text", (ticket_id,)
        )
        return [row[0] for row in await cur.fetchall()]


async def test_one_batch_stores_each_message_once_with_one_event_and_sums_the_ticket(
    stack: Stack, database_url: str
) -> None:
    tenant = await stack.new_tenant()
    ana, beto = a_phone(), a_phone()
    start = datetime.now(UTC) - timedelta(minutes=5)
    requests = [inbound(ana, f"ana {i}", at=start + timedelta(seconds=i)) for i in range(3)]
    requests.append(inbound(beto, "beto", at=start))
    reply = await stack.ingest.IngestMessages(batch(*requests), metadata=stack.md(tenant), timeout=10)

    stored = [outcome.stored for outcome in reply.outcomes]
    assert all(outcome.HasField("stored") for outcome in reply.outcomes)
    assert len({s.message_id for s in stored}) == 4 and not any(s.duplicate for s in stored)
    assert len({s.ticket_id for s in stored[:3]}) == 1 and stored[3].ticket_id != stored[0].ticket_id
    ticket = await stack.ingest.GetTicket(
        pb.GetTicketRequest(ticket_id=stored[0].ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert [m.text for m in ticket.messages] == ["ana 0", "ana 1", "ana 2"]
    assert len([e for e in ticket.events if e.type == "message.received"]) == 3
    # The ticket's activity counts every new message of the batch and shows the latest one.
    assert ticket.ticket.unread_count == 3
    assert ticket.ticket.last_message_snippet == "ana 2"


async def test_a_provider_id_twice_in_one_batch_and_again_later_is_stored_once(stack: Stack, database_url: str) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    same = inbound(phone, "una vez", wamid="wamid.batch-twice")
    first = await stack.ingest.IngestMessages(batch(same, same), metadata=stack.md(tenant), timeout=10)
    again = await stack.ingest.IngestMessages(batch(same), metadata=stack.md(tenant), timeout=10)

    outcomes = [*first.outcomes, *again.outcomes]
    # Which copy of the first call counts as the original is not promised; that exactly one does is.
    assert sorted(o.stored.duplicate for o in first.outcomes) == [False, True]
    assert again.outcomes[0].stored.duplicate
    assert len({o.stored.message_id for o in outcomes}) == 1
    assert await stored_texts(database_url, outcomes[0].stored.ticket_id) == ["una vez"]


async def test_a_message_the_rules_or_the_database_refuse_fails_alone(stack: Stack, database_url: str) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    good = inbound(phone, "bien")
    bad_phone = inbound("12", "sin teléfono")
    # Postgres text can't hold U+0000: the batch's transaction fails, and is written again message by message.
    nul = inbound(phone, "con \x00 adentro")
    reply = await stack.ingest.IngestMessages(
        batch(good, bad_phone, nul, inbound(phone, "también")), metadata=stack.md(tenant), timeout=10
    )

    kinds = [o.WhichOneof("outcome") for o in reply.outcomes]
    assert kinds == ["stored", "error", "error", "stored"]
    assert reply.outcomes[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert reply.outcomes[1].error.field == "from_phone"
    assert reply.outcomes[2].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert await stored_texts(database_url, reply.outcomes[0].stored.ticket_id) == ["bien", "también"]


async def test_concurrent_calls_for_one_lead_each_get_their_own_answers(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    calls = [batch(*(inbound(phone, f"llamada {c} mensaje {m}") for m in range(5))) for c in range(10)]
    replies = await asyncio.gather(
        *(stack.ingest.IngestMessages(call, metadata=stack.md(tenant), timeout=20) for call in calls)
    )
    stored = [o.stored for reply in replies for o in reply.outcomes]
    assert len(stored) == 50 and len({s.message_id for s in stored}) == 50
    assert len({s.ticket_id for s in stored}) == 1
    ticket = await stack.ingest.GetTicket(
        pb.GetTicketRequest(ticket_id=stored[0].ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert ticket.ticket.unread_count == 50


async def test_more_than_five_hundred_messages_in_one_call_is_refused(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    request = batch(*(inbound(a_phone()) for _ in range(501)))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stack.ingest.IngestMessages(request, metadata=stack.md(tenant), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

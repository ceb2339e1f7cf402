"""WatchDeliveries over real gRPC and Postgres: a reply's delivery moves reach the tenant's live readers only."""

from __future__ import annotations

import asyncio

import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.supervisor.v1 import supervisor_pb2 as pb

pytestmark = pytest.mark.integration


async def test_a_replys_statuses_stream_to_its_tenant_in_order(stack: Stack) -> None:
    tenant, other = await stack.new_tenant(), await stack.new_tenant()
    call = stack.supervisor.WatchDeliveries(pb.WatchDeliveriesRequest(), metadata=stack.md(tenant, Role.AGENT, "u"))
    other_call = stack.supervisor.WatchDeliveries(pb.WatchDeliveriesRequest(), metadata=stack.md(other, Role.AGENT))
    stream, other_stream = aiter(call), aiter(other_call)
    assert (await anext(stream)).ready and (await anext(other_stream)).ready
    stored = await stack.ingest.IngestMessage(inbound(a_phone(), "hola"), metadata=stack.md(tenant), timeout=10)
    sent = await stack.supervisor.SendReply(
        pb.SendReplyRequest(ticket_id=stored.ticket_id, text="¡Hola!", idempotency_key="k-1"),
        metadata=stack.md(tenant, Role.AGENT, "u"),
        timeout=10,
    )
    seen: list[int] = []
    async with asyncio.timeout(15):
        async for change in stream:
            assert change.message.id == sent.message.id
            assert change.message.ticket_id == stored.ticket_id
            if not seen or seen[-1] != change.message.status:
                seen.append(change.message.status)
            if change.message.status == pb.DELIVERY_STATUS_READ:
                break
    # The sandbox plays sent, delivered, read; the timeline place may be noted with any of them.
    assert [s for s in seen if s != pb.DELIVERY_STATUS_PENDING] == [
        pb.DELIVERY_STATUS_SENT,
        pb.DELIVERY_STATUS_DELIVERED,
        pb.DELIVERY_STATUS_READ,
    ]
    assert change.message.message_id
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await anext(other_stream)
    call.cancel()
    other_call.cancel()

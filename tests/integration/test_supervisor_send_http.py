"""Replies through the gateway over HTTP, against the real services and the sandbox provider."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.gateway import PREFIX, Api

pytestmark = pytest.mark.integration


async def lead_ticket(api: Api, tenant: str, *, hours_ago: float = 0) -> str:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    stored = await api.stack.ingest.IngestMessage(
        inbound(a_phone(), "Hola, quiero info", at=at), metadata=api.stack.md(tenant), timeout=10
    )
    return stored.ticket_id


async def detail(api: Api, tenant: str, ticket_id: str) -> dict:
    reply = await api.client.get(f"{PREFIX}/tickets/{ticket_id}", headers=api.auth(tenant))
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_the_monoliths_send_check(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    ticket_id = await lead_ticket(api, tenant)
    sent = await api.client.post(
        f"{PREFIX}/supervisor/send",
        json={"ticket_id": ticket_id, "text": "¡Hola! Te paso la info del proyecto"},
        headers=api.auth(tenant, Role.SUPERVISOR, "sup-1"),
    )
    assert sent.status_code == 201, sent.text
    shown = await detail(api, tenant, ticket_id)
    outbound = [m for m in shown["messages"] if m["direction"] == "out"]
    assert [(m["text"], m["actor"]) for m in outbound] == [("¡Hola! Te paso la info del proyecto", "supervisor")]
    assert "message.sent" in [e["type"] for e in shown["events"]]
    assert shown["ticket"]["last_message_snippet"] == "¡Hola! Te paso la info del proyecto"

    # The sandbox provider moves the reply through sent -> delivered -> read by itself.
    deadline = asyncio.get_running_loop().time() + 15
    while (status := (await detail(api, tenant, ticket_id))["outbound_messages"][0]["status"]) != "read":
        assert asyncio.get_running_loop().time() < deadline, f"stuck at {status}"
        await asyncio.sleep(0.2)


async def test_same_idempotency_key_ten_times_concurrently_sends_once(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    ticket_id = await lead_ticket(api, tenant)
    headers = {**api.auth(tenant, Role.AGENT, "agente-1"), "Idempotency-Key": "reply-42"}
    replies = await asyncio.gather(
        *(
            api.client.post(f"{PREFIX}/supervisor/send", json={"ticket_id": ticket_id, "text": "Dale"}, headers=headers)
            for _ in range(10)
        )
    )
    assert sorted(r.status_code for r in replies) == [200] * 9 + [201]
    assert len({r.json()["message"]["id"] for r in replies}) == 1
    shown = await detail(api, tenant, ticket_id)
    assert len([m for m in shown["messages"] if m["direction"] == "out"]) == 1
    assert len(shown["outbound_messages"]) == 1


async def test_free_text_outside_the_window_is_409_and_stores_nothing(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    ticket_id = await lead_ticket(api, tenant, hours_ago=25)
    refused = await api.client.post(
        f"{PREFIX}/supervisor/send", json={"ticket_id": ticket_id, "text": "¿Seguís?"}, headers=api.auth(tenant)
    )
    assert refused.status_code == 409, refused.text
    assert "template required" in refused.json()["error"]["message"]
    assert [m for m in (await detail(api, tenant, ticket_id))["messages"] if m["direction"] == "out"] == []
    template = await api.client.post(
        f"{PREFIX}/supervisor/send",
        json={"ticket_id": ticket_id, "template": {"name": "seguimiento_visita", "parameters": ["Lucía"]}},
        headers=api.auth(tenant),
    )
    assert template.status_code == 201, template.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "hola"}, "ticket_id"),
        ({"ticket_id": "00000000-0000-0000-0000-000000000001"}, "text"),
        ({"ticket_id": "00000000-0000-0000-0000-000000000001", "text": "x" * 5000}, "text"),
    ],
)
async def test_bad_sends_are_422_with_the_field(api: Api, body: dict, field: str) -> None:
    tenant = await api.stack.new_tenant()
    reply = await api.client.post(f"{PREFIX}/supervisor/send", json=body, headers=api.auth(tenant))
    assert reply.status_code == 422, reply.text
    assert field in reply.text

"""The visit flow through the gateway over HTTP, against the real services."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, tomorrow_at
from tests.support.gateway import PREFIX, Api

pytestmark = pytest.mark.integration


async def new_ticket(api: Api, tenant: str) -> str:
    reply = await api.client.post(
        f"{PREFIX}/ingest_message", json={"phone": a_phone(), "text": "Quiero visitar"}, headers=api.auth(tenant)
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["ticket_id"]


async def ticket(api: Api, tenant: str, ticket_id: str) -> dict:
    reply = await api.client.get(f"{PREFIX}/tickets/{ticket_id}", headers=api.auth(tenant))
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_the_monoliths_visit_check(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    headers = api.auth(tenant, Role.AGENT, await api.stack.new_user(tenant))
    ticket_id = await new_ticket(api, tenant)
    at = tomorrow_at(15)

    proposed = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket_id, "starts_at": at.isoformat(), "duration_minutes": 45},
        headers=headers,
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["status"] == "proposed"
    assert proposed.json()["ticket_stage"] == "Esperando confirmación"
    assert (await ticket(api, tenant, ticket_id))["ticket"]["stage"] == "Esperando confirmación"

    confirmed = await api.client.post(
        f"{PREFIX}/visit/confirm", json={"proposal_id": proposed.json()["proposal"]["id"]}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["ticket_stage"] == "Visita confirmada"
    shown = (await ticket(api, tenant, ticket_id))["ticket"]
    assert shown["stage"] == "Visita confirmada"
    assert shown["visit_scheduled_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))

    later = at + timedelta(days=2)
    moved = await api.client.post(
        f"{PREFIX}/visit/reschedule",
        json={"proposal_id": proposed.json()["proposal"]["id"], "starts_at": later.isoformat()},
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["replaced"]["status"] == "rescheduled"
    detail = await ticket(api, tenant, ticket_id)
    assert detail["ticket"]["stage"] == "Esperando confirmación"
    assert detail["ticket"]["visit_scheduled_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert [p["status"] for p in detail["visits"]["proposals"]] == ["rescheduled", "proposed"]


async def test_concurrent_overlapping_proposals_one_wins_others_409(api: Api) -> None:
    tenant = await api.stack.new_tenant()
    headers = api.auth(tenant, Role.AGENT, await api.stack.new_user(tenant))
    tickets = [await new_ticket(api, tenant) for _ in range(20)]
    at = tomorrow_at(10)
    replies = await asyncio.gather(
        *(
            api.client.post(
                f"{PREFIX}/visit/propose",
                json={"ticket_id": t, "starts_at": (at + timedelta(minutes=i)).isoformat()},
                headers=headers,
            )
            for i, t in enumerate(tickets)
        )
    )
    codes = sorted(r.status_code for r in replies)
    assert codes == [201] + [409] * 19
    clash = next(r for r in replies if r.status_code == 409).json()["error"]
    assert "already has a visit from" in clash["message"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"starts_at": "2020-01-01T10:00:00-03:00"}, 400, "starts_at"),
        ({"starts_at": "2031-01-01T10:00:00"}, 422, "starts_at"),
        ({"starts_at": "2031-01-01T10:00:00-03:00", "duration_minutes": 5}, 400, "duration_minutes"),
        ({"starts_at": "2031-01-01T10:00:00-03:00", "duration_minutes": 600}, 400, "duration_minutes"),
    ],
)
async def test_bad_proposals_get_a_clear_error_and_store_nothing(api: Api, body: dict, status: int, field: str) -> None:
    tenant = await api.stack.new_tenant()
    ticket_id = await new_ticket(api, tenant)
    agent = await api.stack.new_user(tenant)
    reply = await api.client.post(
        f"{PREFIX}/visit/propose", json={"ticket_id": ticket_id, **body}, headers=api.auth(tenant, Role.AGENT, agent)
    )
    assert reply.status_code == status, reply.text
    assert field in reply.text
    assert (await ticket(api, tenant, ticket_id))["visits"]["proposals"] == []


async def test_visits_overlapping_by_half_a_second_are_a_409(api: Api) -> None:
    """#12 finding 9: the overlap rule is exact at the stored precision, not in whole seconds."""
    tenant = await api.stack.new_tenant()
    headers = api.auth(tenant, Role.AGENT, await api.stack.new_user(tenant))
    at = tomorrow_at(11, days=2)
    first = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": await new_ticket(api, tenant), "starts_at": at.isoformat(), "duration_minutes": 60},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    half_second_early = at + timedelta(minutes=59, seconds=59, milliseconds=500)
    second = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": await new_ticket(api, tenant), "starts_at": half_second_early.isoformat()},
        headers=headers,
    )
    assert second.status_code == 409, second.text
    assert first.json()["proposal"]["id"] in second.json()["error"]["message"]


@pytest.mark.parametrize("agent", ["agente-inventado", "00000000-0000-0000-0000-000000000000"])
async def test_a_made_up_agent_is_a_400_naming_the_field(api: Api, agent: str) -> None:
    """#12 finding 10: only active users of the tenant have a calendar."""
    tenant = await api.stack.new_tenant()
    ticket_id = await new_ticket(api, tenant)
    reply = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket_id, "starts_at": tomorrow_at(12).isoformat(), "agent_user_id": agent},
        headers=api.auth(tenant, Role.SUPERVISOR, await api.stack.new_user(tenant)),
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["details"] == [{"field": "agent_user_id"}]
    assert (await ticket(api, tenant, ticket_id))["visits"]["proposals"] == []


async def test_visit_routes_need_a_token(api: Api) -> None:
    reply = await api.client.post(f"{PREFIX}/visit/confirm", json={"ticket_id": "00000000-0000-0000-0000-000000000000"})
    assert reply.status_code == 401

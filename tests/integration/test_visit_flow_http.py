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
    headers = api.auth(tenant, Role.AGENT, "agente-1")
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
    headers = api.auth(tenant, Role.AGENT, "agente-1")
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
    reply = await api.client.post(
        f"{PREFIX}/visit/propose", json={"ticket_id": ticket_id, **body}, headers=api.auth(tenant, Role.AGENT, "a")
    )
    assert reply.status_code == status, reply.text
    assert field in reply.text
    assert (await ticket(api, tenant, ticket_id))["visits"]["proposals"] == []


async def test_visit_routes_need_a_token(api: Api) -> None:
    reply = await api.client.post(f"{PREFIX}/visit/confirm", json={"ticket_id": "00000000-0000-0000-0000-000000000000"})
    assert reply.status_code == 401

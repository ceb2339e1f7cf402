"""Availability, booking rules, free slots and the calendar feed through the gateway, against the real services."""

from __future__ import annotations

import asyncio
import calendar
import secrets
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from gateway.tests.builders import ChannelTenant, encode, meta_json, new_channel_tenant, signed
from libs.common.auth import Role
from tests.support.builders import a_phone
from tests.support.gateway import PREFIX, Api
from vertice360.ingest.v1 import ingest_pb2

pytestmark = pytest.mark.integration

BA = ZoneInfo("America/Argentina/Buenos_Aires")
WEEK = [{"weekday": d, "start": "09:00", "end": "13:00"} for d in range(1, 8)]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BA)


def month_end_ahead() -> date:
    today = datetime.now(BA).date()
    year, month = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return date(year, month, calendar.monthrange(year, month)[1])


async def project_with_agent(api: Api, **rules: int) -> tuple[str, str, dict[str, str]]:
    tenant = await api.stack.new_tenant()
    await api.stack.ingest.UpsertProject(
        ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="PALERMO-01", name="Palermo")),
        metadata=api.stack.md(tenant),
        timeout=10,
    )
    agent = await api.stack.new_user(tenant)
    boss = api.auth(tenant, Role.SUPERVISOR, await api.stack.new_user(tenant))
    hours = await api.client.put(f"{PREFIX}/visit/agents/{agent}/availability", json={"hours": WEEK}, headers=boss)
    assert hours.status_code == 200, hours.text
    settings = await api.client.put(
        f"{PREFIX}/visit/projects/PALERMO-01/settings",
        json={
            "min_notice_minutes": 0,
            "horizon_days": 120,
            "buffer_after_minutes": 30,
            **rules,
            "agent_user_ids": [agent],
        },
        headers=boss,
    )
    assert settings.status_code == 200, settings.text
    return tenant, agent, boss


async def test_slots_honour_hours_buffers_time_off_and_visits_across_a_month_boundary(api: Api) -> None:
    tenant, agent, boss = await project_with_agent(api)
    last = month_end_ahead()
    first = last + timedelta(days=1)
    ticket = await api.client.post(
        f"{PREFIX}/ingest_message",
        json={"phone": a_phone(), "text": "Hola", "project_code": "PALERMO-01"},
        headers=api.auth(tenant),
    )
    assert ticket.status_code == 201, ticket.text
    proposed = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket.json()["ticket_id"], "starts_at": local(last, 10).isoformat()},
        headers=api.auth(tenant, Role.AGENT, agent),
    )
    assert proposed.status_code == 201, proposed.text
    off = await api.client.post(
        f"{PREFIX}/visit/time_off",
        json={
            "agent_user_id": agent,
            "starts_at": local(first, 11).isoformat(),
            "ends_at": local(first, 12).isoformat(),
        },
        headers=boss,
    )
    assert off.status_code == 201, off.text

    found = await api.client.get(
        f"{PREFIX}/visit/slots",
        params={"project": "PALERMO-01", "from": local(last, 0).isoformat(), "to": local(first, 23).isoformat()},
        headers=api.auth(tenant, Role.AGENT, agent),
    )
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["timezone"] == "America/Argentina/Buenos_Aires"
    starts = [datetime.fromisoformat(s["starts_at"]) for s in body["slots"]]
    assert starts == [local(last, 12)] + [local(first, h) for h in (9, 10, 12)]
    assert {s["agent_user_id"] for s in body["slots"]} == {agent}


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 2, "start": "18:00", "end": "09:00"}], "hours[0].end"),
        (
            [{"weekday": 2, "start": "09:00", "end": "13:00"}, {"weekday": 2, "start": "10:00", "end": "11:00"}],
            "hours[1].start",
        ),
    ],
)
async def test_hours_that_overlap_or_end_before_they_start_are_a_400(api: Api, hours: list, field: str) -> None:
    _, agent, boss = await project_with_agent(api)
    reply = await api.client.put(f"{PREFIX}/visit/agents/{agent}/availability", json={"hours": hours}, headers=boss)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["details"] == [{"field": field}]
    kept = await api.client.get(f"{PREFIX}/visit/agents/{agent}/availability", headers=boss)
    assert kept.json()["hours"] == WEEK


async def test_slot_queries_name_bad_parameters(api: Api) -> None:
    _, _, boss = await project_with_agent(api)
    for params, status, field in (
        ({"project": "NOPE"}, 404, "project_code"),
        ({"project": "PALERMO-01", "agent": "agente-inventado"}, 400, "agent_user_id"),
        ({"project": "PALERMO-01", "from": "2031-01-02T00:00:00Z", "to": "2031-01-01T00:00:00Z"}, 400, "to"),
        ({"project": "PALERMO-01", "from": "2031-01-01T00:00:00Z", "to": "2031-06-01T00:00:00Z"}, 400, "to"),
        ({"project": "PALERMO-01", "from": "2200-01-01T00:00:00Z"}, 400, "from"),
    ):
        reply = await api.client.get(f"{PREFIX}/visit/slots", params=params, headers=boss)
        assert reply.status_code == status, (params, reply.text)
        assert reply.json()["error"]["details"] == [{"field": field}], params


async def test_calendar_feed_url_parses_and_is_revocable(api: Api) -> None:
    tenant, agent, boss = await project_with_agent(api)
    mine = api.auth(tenant, Role.AGENT, agent)
    issued = await api.client.post(f"{PREFIX}/visit/agents/{agent}/calendar_feed", headers=mine)
    assert issued.status_code == 201, issued.text
    url = issued.json()["url"]
    assert url.endswith(f"/visit/calendar/{issued.json()['token']}.ics")
    feed = await api.client.get(url)
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(feed.text)["X-WR-TIMEZONE"] == "America/Argentina/Buenos_Aires"
    other = await api.stack.new_user(tenant)
    denied = await api.client.post(f"{PREFIX}/visit/agents/{other}/calendar_feed", headers=mine)
    assert denied.status_code == 403, denied.text
    revoked = await api.client.delete(f"{PREFIX}/visit/agents/{agent}/calendar_feed", headers=boss)
    assert revoked.status_code == 204, revoked.text
    assert (await api.client.get(url)).status_code == 404
    assert (await api.client.get(f"{PREFIX}/visit/calendar/nothing-here.ics")).status_code == 404


async def meta_webhook(api: Api, tenant: ChannelTenant, name: str, **message: object) -> None:
    body = meta_json(name, tenant.phone_number_id)
    sent = body["entry"][0]["changes"][0]["value"]["messages"][0]
    sent.update({"id": f"wamid.{secrets.token_hex(8)}", "timestamp": str(int(time.time())), **message})
    raw = encode(body)
    reply = await api.client.post("/webhooks/meta", content=raw, headers=signed(raw, tenant.app_secret))
    assert reply.status_code == 200, reply.text


async def test_a_lead_books_by_tapping_the_offered_list_on_whatsapp(api: Api) -> None:
    tenant = await new_channel_tenant(api.stack)
    await api.stack.ingest.UpsertProject(
        ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="PALERMO-01", name="Palermo")),
        metadata=api.stack.md(tenant.slug),
        timeout=10,
    )
    agent = await api.stack.new_user(tenant.slug)
    boss = api.auth(tenant.slug, Role.SUPERVISOR, await api.stack.new_user(tenant.slug))
    await api.client.put(f"{PREFIX}/visit/agents/{agent}/availability", json={"hours": WEEK}, headers=boss)
    await api.client.put(f"{PREFIX}/visit/projects/PALERMO-01/settings", json={"agent_user_ids": [agent]}, headers=boss)
    await meta_webhook(api, tenant, "text")
    listed = await api.client.get(f"{PREFIX}/dashboard", params={"cliente": tenant.slug}, headers=boss)
    (ticket,) = listed.json()["tickets"]

    offered = await api.client.post(
        f"{PREFIX}/visit/offer",
        json={"ticket_id": ticket["ticket_id"], "project_code": "PALERMO-01"},
        headers=api.auth(tenant.slug, Role.AGENT, agent),
    )
    assert offered.status_code == 201, offered.text
    slots = offered.json()["slots"]
    assert len(slots) == 10 and all(s["agent_user_id"] == agent for s in slots)

    chosen = slots[4]
    await meta_webhook(
        api,
        tenant,
        "interactive_list_reply",
        interactive={"type": "list_reply", "list_reply": {"id": chosen["row_id"], "title": "Jue 10:00"}},
    )
    # The tap reaches visits through ingest's outbox, right after the webhook's answer.
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        shown = (await api.client.get(f"{PREFIX}/tickets/{ticket['ticket_id']}", headers=boss)).json()
        if shown["ticket"]["stage"] == "Visita confirmada":
            break
        assert asyncio.get_running_loop().time() < deadline, shown["ticket"]["stage"]
        await asyncio.sleep(0.05)
    assert datetime.fromisoformat(shown["ticket"]["visit_scheduled_at"]) == datetime.fromisoformat(chosen["starts_at"])
    assert [p["status"] for p in shown["visits"]["proposals"]] == ["confirmed"]


async def test_visit_settings_and_outcomes_name_bad_input(api: Api) -> None:
    tenant, agent, boss = await project_with_agent(api)
    stored = await api.client.put(
        f"{PREFIX}/visit/settings",
        json={"language": "pt", "reminder_offsets_minutes": [60, 1440], "reminder_template": "lembrete"},
        headers=boss,
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["reminder_offsets_minutes"] == [1440, 60]
    for body, status, field in (
        ({"reminder_offsets_minutes": [1]}, 400, "reminder_offsets_minutes"),
        ({"reminder_template": "no spaces allowed"}, 400, "reminder_template"),
        ({"language": "fr"}, 422, "language"),
    ):
        reply = await api.client.put(f"{PREFIX}/visit/settings", json=body, headers=boss)
        assert reply.status_code == status, reply.text
        assert field in reply.text
    assert (await api.client.get(f"{PREFIX}/visit/settings", headers=boss)).json()["language"] == "pt"

    ticket = await api.client.post(
        f"{PREFIX}/ingest_message", json={"phone": a_phone(), "text": "Hola"}, headers=api.auth(tenant)
    )
    proposed = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket.json()["ticket_id"], "starts_at": local(month_end_ahead(), 10).isoformat()},
        headers=api.auth(tenant, Role.AGENT, agent),
    )
    early = await api.client.post(
        f"{PREFIX}/visit/outcome",
        json={"proposal_id": proposed.json()["proposal"]["id"], "outcome": "no_show"},
        headers=boss,
    )
    assert early.status_code == 400, early.text
    assert early.json()["error"]["details"] == [{"field": "proposal_id"}]

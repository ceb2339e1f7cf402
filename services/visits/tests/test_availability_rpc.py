"""Availability, booking rules, free slots and the calendar feed over real gRPC and Postgres."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import icalendar
import pytest

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound, timestamp
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.visits.v1 import visits_pb2 as pb

pytestmark = pytest.mark.integration

BA = ZoneInfo("America/Argentina/Buenos_Aires")
EVERY_DAY = [pb.WorkingHours(weekday=d, start="09:00", end="13:00") for d in range(1, 8)]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BA).astimezone(UTC)


def month_end_ahead() -> date:
    """The last day of next month: well past any notice, and the day after it is in another month."""
    today = datetime.now(BA).date()
    year, month = (today.year, today.month + 1) if today.month < 12 else (today.year + 1, 1)
    return date(year, month, calendar.monthrange(year, month)[1])


async def setup(
    stack: Stack, *, agents: int = 1, **settings: int
) -> tuple[str, list[str], tuple[tuple[str, str], ...]]:
    """A tenant with project P1, `agents` agents working 09-13 every day, and P1's rules; (tenant, agents, md)."""
    tenant = await stack.new_tenant()
    md = stack.md(tenant, Role.SUPERVISOR, "boss")
    await stack.ingest.UpsertProject(
        ingest_pb.UpsertProjectRequest(project=ingest_pb.Project(code="P1", name="Proyecto 1")),
        metadata=stack.md(tenant),
        timeout=10,
    )
    ids = [await stack.new_user(tenant) for _ in range(agents)]
    for agent in ids:
        await stack.visits.SetWorkingHours(
            pb.SetWorkingHoursRequest(agent_user_id=agent, hours=EVERY_DAY), metadata=md, timeout=10
        )
    values = {
        "visit_minutes": 60,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "min_notice_minutes": 0,
        "horizon_days": 120,
        "slot_step_minutes": 0,
        **settings,
    }
    await stack.visits.SetProjectSettings(
        pb.SetProjectSettingsRequest(settings=pb.ProjectSettings(project_code="P1", agent_user_ids=ids, **values)),
        metadata=md,
        timeout=10,
    )
    return tenant, ids, md


async def new_ticket(stack: Stack, tenant: str) -> str:
    stored = await stack.ingest.IngestMessage(inbound(a_phone(), "Hola"), metadata=stack.md(tenant), timeout=10)
    return stored.ticket_id


async def propose(stack: Stack, tenant: str, agent: str, at: datetime, minutes: int = 0) -> pb.ProposeVisitResponse:
    return await stack.visits.ProposeVisit(
        pb.ProposeVisitRequest(
            ticket_id=await new_ticket(stack, tenant),
            agent_user_id=agent,
            starts_at=timestamp(at),
            duration_minutes=minutes,
            project_code="P1",
        ),
        metadata=stack.md(tenant, Role.AGENT, agent),
        timeout=10,
    )


async def slots(stack: Stack, md: tuple[tuple[str, str], ...], start: datetime, end: datetime, agent: str = "") -> list:
    reply = await stack.visits.ListSlots(
        pb.ListSlotsRequest(project_code="P1", agent_user_id=agent, to=timestamp(end), **{"from": timestamp(start)}),
        metadata=md,
        timeout=10,
    )
    return [(s.starts_at.ToDatetime(tzinfo=UTC), s.agent_user_id) for s in reply.slots]


async def test_slots_honour_hours_buffers_time_off_and_visits_across_a_month_boundary(stack: Stack) -> None:
    tenant, (agent,), md = await setup(stack, buffer_after_minutes=30)
    last = month_end_ahead()
    first = last + timedelta(days=1)
    assert first.month != last.month
    visit = await propose(stack, tenant, agent, local(last, 10))
    # The visit takes 10:00-11:00 plus the project's 30 minutes after: blocked until 11:30.
    assert visit.proposal.duration_minutes == 60
    await stack.visits.AddTimeOff(
        pb.AddTimeOffRequest(
            time_off=pb.TimeOff(
                agent_user_id=agent, starts_at=timestamp(local(first, 11)), ends_at=timestamp(local(first, 11, 30))
            )
        ),
        metadata=md,
        timeout=10,
    )
    found = await slots(stack, md, local(last, 0), local(first, 23))
    assert found == [(local(last, 12), agent)] + [(local(first, h), agent) for h in (9, 10, 12)]


async def test_notice_keeps_the_next_hours_free(stack: Stack) -> None:
    _, (agent,), md = await setup(stack, min_notice_minutes=24 * 60)
    await stack.visits.SetWorkingHours(
        pb.SetWorkingHoursRequest(
            agent_user_id=agent, hours=[pb.WorkingHours(weekday=d, start="00:00", end="24:00") for d in range(1, 8)]
        ),
        metadata=md,
        timeout=10,
    )
    now = datetime.now(UTC)
    found = await slots(stack, md, now, now + timedelta(days=2))
    assert found, "a day of notice leaves the second day bookable"
    assert all(at >= now + timedelta(hours=24) for at, _ in found)
    assert found[0][0] < now + timedelta(hours=25)


async def test_any_agent_goes_to_the_least_loaded_free_one(stack: Stack) -> None:
    tenant, (busy, idle), md = await setup(stack, agents=2)
    day = month_end_ahead()
    await propose(stack, tenant, busy, local(day + timedelta(days=5), 9))
    found = await slots(stack, md, local(day, 0), local(day, 23))
    assert found == [(local(day, h), idle) for h in (9, 10, 11, 12)]
    await propose(stack, tenant, idle, local(day, 10))
    await propose(stack, tenant, idle, local(day + timedelta(days=6), 9))
    found = await slots(stack, md, local(day, 0), local(day, 23))
    assert found == [(local(day, 9), busy), (local(day, 10), busy), (local(day, 11), busy), (local(day, 12), busy)]


async def test_proposals_respect_hours_time_off_and_buffers(stack: Stack) -> None:
    tenant, (agent,), md = await setup(stack, buffer_before_minutes=15, buffer_after_minutes=15)
    day = month_end_ahead()
    for at in (local(day, 8, 30), local(day, 12, 30)):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await propose(stack, tenant, agent, at)
        assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == "starts_at"
        assert "working hours" in exc.value.details()
    await propose(stack, tenant, agent, local(day, 10))
    # 11:00 is back to back with the visit, but the buffers (15 after it, 15 before the next) clash.
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await propose(stack, tenant, agent, local(day, 11))
    assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS
    await propose(stack, tenant, agent, local(day, 11, 30), minutes=30)
    await stack.visits.AddTimeOff(
        pb.AddTimeOffRequest(
            time_off=pb.TimeOff(
                starts_at=timestamp(local(day, 0) + timedelta(days=1)),
                ends_at=timestamp(local(day, 0) + timedelta(days=2)),
                reason="Feriado",
            )
        ),
        metadata=md,
        timeout=10,
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await propose(stack, tenant, agent, local(day + timedelta(days=1), 10))
    assert "Feriado" in exc.value.details()


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([pb.WorkingHours(weekday=1, start="13:00", end="09:00")], "hours[0].end"),
        (
            [
                pb.WorkingHours(weekday=1, start="09:00", end="13:00"),
                pb.WorkingHours(weekday=1, start="12:00", end="14:00"),
            ],
            "hours[1].start",
        ),
        ([pb.WorkingHours(weekday=0, start="09:00", end="13:00")], "hours[0].weekday"),
        ([pb.WorkingHours(weekday=1, start="9", end="13:00")], "hours[0].start"),
        ([pb.WorkingHours(weekday=1, start="09:00", end="24:30")], "hours[0].end"),
    ],
)
async def test_bad_hours_are_a_400_naming_the_block_and_store_nothing(
    stack: Stack, hours: list[pb.WorkingHours], field: str
) -> None:
    _, (agent,), md = await setup(stack)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.SetWorkingHours(
            pb.SetWorkingHoursRequest(agent_user_id=agent, hours=hours), metadata=md, timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == field
    kept = await stack.visits.GetAvailability(pb.GetAvailabilityRequest(agent_user_id=agent), metadata=md, timeout=10)
    assert list(kept.hours) == EVERY_DAY


async def test_agents_manage_only_their_own_calendar(stack: Stack) -> None:
    tenant, (agent, other), _ = await setup(stack, agents=2)
    mine = stack.md(tenant, Role.AGENT, agent)
    await stack.visits.SetWorkingHours(pb.SetWorkingHoursRequest(hours=EVERY_DAY[:2]), metadata=mine, timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.SetWorkingHours(
            pb.SetWorkingHoursRequest(agent_user_id=other, hours=[]), metadata=mine, timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.AddTimeOff(
            pb.AddTimeOffRequest(
                time_off=pb.TimeOff(
                    starts_at=timestamp(datetime.now(UTC)), ends_at=timestamp(datetime.now(UTC) + timedelta(days=1))
                )
            ),
            metadata=mine,
            timeout=10,
        )
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"visit_minutes": 5}, grpc.StatusCode.INVALID_ARGUMENT, "visit_minutes"),
        ({"buffer_after_minutes": -1}, grpc.StatusCode.INVALID_ARGUMENT, "buffer_after_minutes"),
        ({"horizon_days": 0}, grpc.StatusCode.INVALID_ARGUMENT, "horizon_days"),
        ({"slot_step_minutes": 3}, grpc.StatusCode.INVALID_ARGUMENT, "slot_step_minutes"),
        ({"agent_user_ids": ["agente-inventado"]}, grpc.StatusCode.INVALID_ARGUMENT, "agent_user_ids"),
        ({"project_code": "NOPE"}, grpc.StatusCode.NOT_FOUND, "project_code"),
    ],
)
async def test_bad_project_settings_name_the_field_and_store_nothing(
    stack: Stack, change: dict[str, object], code: grpc.StatusCode, field: str
) -> None:
    _, _, md = await setup(stack, buffer_after_minutes=10)
    before = await stack.visits.GetProjectSettings(
        pb.GetProjectSettingsRequest(project_code="P1"), metadata=md, timeout=10
    )
    values = {
        "project_code": "P1",
        "visit_minutes": 45,
        "horizon_days": 10,
        "buffer_after_minutes": 0,
        **change,
    }
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.SetProjectSettings(
            pb.SetProjectSettingsRequest(settings=pb.ProjectSettings(**values)), metadata=md, timeout=10
        )
    assert exc.value.code() == code
    assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == field
    after = await stack.visits.GetProjectSettings(
        pb.GetProjectSettingsRequest(project_code="P1"), metadata=md, timeout=10
    )
    assert after == before


async def test_calendar_feed_holds_exactly_the_agents_active_visits(stack: Stack) -> None:
    tenant, (agent, other), md = await setup(stack, agents=2)
    day = month_end_ahead()
    kept = [await propose(stack, tenant, agent, local(day, h)) for h in (9, 11)]
    dropped = await propose(stack, tenant, agent, local(day, 12))
    await stack.visits.CancelVisit(pb.CancelVisitRequest(proposal_id=dropped.proposal.id), metadata=md, timeout=10)
    await stack.visits.ConfirmVisit(pb.ConfirmVisitRequest(proposal_id=kept[0].proposal.id), metadata=md, timeout=10)
    await propose(stack, tenant, other, local(day, 9))
    token = (
        await stack.visits.IssueCalendarToken(
            pb.IssueCalendarTokenRequest(agent_user_id=agent), metadata=md, timeout=10
        )
    ).token

    feed = await stack.visits.GetCalendarFeed(
        pb.GetCalendarFeedRequest(token=token), metadata=stack.system_md(), timeout=10
    )
    parsed = icalendar.Calendar.from_ical(feed.ical)
    assert parsed["X-WR-TIMEZONE"] == "America/Argentina/Buenos_Aires"
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {f"{k.proposal.id}@vertice360" for k in kept}
    first = events[f"{kept[0].proposal.id}@vertice360"]
    assert first.decoded("DTSTART") == local(day, 9)
    # In UTC ("Z"), not in a local zone the subscriber would need a VTIMEZONE for.
    assert f"DTSTART:{local(day, 9):%Y%m%dT%H%M%S}Z" in feed.ical
    assert str(first["STATUS"]) == "CONFIRMED"
    assert str(events[f"{kept[1].proposal.id}@vertice360"]["STATUS"]) == "TENTATIVE"

    # A tenant's own token can't read feeds; a new token revokes the old; revoking closes the feed.
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.GetCalendarFeed(
            pb.GetCalendarFeedRequest(token=token), metadata=stack.md(tenant), timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
    newer = await stack.visits.IssueCalendarToken(
        pb.IssueCalendarTokenRequest(agent_user_id=agent), metadata=md, timeout=10
    )
    for gone in (token, "not-a-token"):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.visits.GetCalendarFeed(
                pb.GetCalendarFeedRequest(token=gone), metadata=stack.system_md(), timeout=10
            )
        assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    await stack.visits.RevokeCalendarToken(pb.RevokeCalendarTokenRequest(agent_user_id=agent), metadata=md, timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.visits.GetCalendarFeed(
            pb.GetCalendarFeedRequest(token=newer.token), metadata=stack.system_md(), timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND

"""Reminders of confirmed visits on a test clock: once across a killed scheduler, never for cancelled or moved ones."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import psycopg
import pytest

from libs.common.auth import Role
from libs.common.clients import ServiceTokens
from libs.common.clock import ManualClock
from libs.common.db import libpq_url, make_pool
from libs.common.outbox import Outbox
from libs.common.peers.ingest import IngestClient
from libs.common.peers.supervisor import SupervisorClient
from services.visits.repository import Repository
from services.visits.service import VisitsService
from services.visits.settings import VisitsSettings
from tests.support.builders import a_phone, inbound, timestamp
from tests.support.stack import Stack, running_stack
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2 as pb

pytestmark = pytest.mark.integration

LEASE_SECONDS = 30.0


class DiesAfterSending(SupervisorClient):
    """A scheduler's supervisor client whose process is killed right after the provider took the reminder."""

    sent = asyncio.Event()

    async def send_reply(
        self, tenant: str, request: supervisor_pb2.SendReplyRequest
    ) -> supervisor_pb2.SendReplyResponse:
        await super().send_reply(tenant, request)
        self.sent.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Waits for the running outbox worker (its own task) to get there."""
    deadline = asyncio.get_running_loop().time() + 30
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)


async def reminders_sent(stack: Stack, tenant: str, ticket_id: str) -> list[str]:
    sent = await stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )
    return [m.text for m in sent.messages if "recordamos" in m.text or m.text.startswith("[template")]


async def pending_due(database_url: str, tenant: str, now: datetime) -> int:
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM visits.outbox WHERE tenant = %s AND status = 'pending' AND not_before <= %s",
            (tenant, now),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def test_reminders_fire_once_across_a_killed_scheduler_and_never_for_cancelled_or_moved_visits(
    database_url: str, redis_url: str
) -> None:
    clock = ManualClock()
    async with running_stack(
        database_url=database_url, redis_url=redis_url, serve_options={"visits": {"clock": clock}}
    ) as stack:
        tenant = await stack.new_tenant()
        agent = await stack.new_user(tenant)
        md = stack.md(tenant, Role.AGENT, agent)
        await stack.visits.SetVisitSettings(
            pb.SetVisitSettingsRequest(
                settings=pb.VisitSettings(
                    language="es", reminder_offsets_minutes=[1440, 120], reminder_template="recordatorio_visita"
                )
            ),
            metadata=stack.md(tenant, Role.SUPERVISOR, "boss"),
            timeout=10,
        )
        at = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)

        async def confirmed(hour: int, *, written: datetime | None = None) -> tuple[str, str]:
            stored = await stack.ingest.IngestMessage(
                inbound(a_phone(), "Hola", at=written), metadata=stack.md(tenant), timeout=10
            )
            proposed = await stack.visits.ProposeVisit(
                pb.ProposeVisitRequest(
                    ticket_id=stored.ticket_id, agent_user_id=agent, starts_at=timestamp(at + timedelta(hours=hour))
                ),
                metadata=md,
                timeout=10,
            )
            await stack.visits.ConfirmVisit(
                pb.ConfirmVisitRequest(proposal_id=proposed.proposal.id), metadata=md, timeout=10
            )
            return stored.ticket_id, proposed.proposal.id

        kept, _ = await confirmed(0)
        # The lead wrote 2 days ago: the 24 h window will be closed, so the reminder goes as the template.
        stale, _ = await confirmed(2, written=datetime.now(UTC) - timedelta(days=2))
        cancelled, cancelled_id = await confirmed(4)
        await stack.visits.CancelVisit(pb.CancelVisitRequest(proposal_id=cancelled_id), metadata=md, timeout=10)
        moved, moved_id = await confirmed(6)
        await stack.visits.RescheduleVisit(
            pb.RescheduleVisitRequest(proposal_id=moved_id, starts_at=timestamp(at + timedelta(days=1))),
            metadata=md,
            timeout=10,
        )

        # The scheduler that takes the first reminder sends it, then is killed before it can record that.
        await stack.stop_service("visits")
        clock.advance((at - timedelta(hours=24) - clock.now()).total_seconds() + 1)
        settings = VisitsSettings(**{**stack.env, "VISITS_GRPC_LISTEN": "127.0.0.1:0"})
        pool = make_pool(settings, name="dying-scheduler")
        await pool.open(wait=True)
        tokens = ServiceTokens(stack.secret)
        ingest = IngestClient(target=stack.targets["ingest"], tokens=tokens, timeout_seconds=5)
        supervisor = DiesAfterSending(target=stack.targets["supervisor"], tokens=tokens, timeout_seconds=5)
        dying = Outbox(pool, schema="visits", lease_seconds=LEASE_SECONDS, clock=clock)
        VisitsService(
            repository=Repository(pool),
            settings=settings,
            outbox=dying,
            ingest=ingest,
            supervisor=supervisor,
            clock=clock,
        )
        work = asyncio.create_task(dying.run_due())
        await asyncio.wait_for(supervisor.sent.wait(), timeout=30)
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        await ingest.close()
        await supervisor.close()
        await pool.close()
        (first,) = await reminders_sent(stack, tenant, kept)
        local = at.astimezone(ZoneInfo("America/Argentina/Buenos_Aires"))
        assert f"el {local:%d/%m/%Y} a las {local:%H:%M}" in first

        # Restarted, the scheduler finds the row leased; once the lease runs out it sends again, and the
        # idempotency key makes it the same message: the lead got one reminder.
        await stack.start_service("visits")
        clock.advance(LEASE_SECONDS + 1)
        await eventually(
            lambda: _done(pending_due(database_url, tenant, clock.now())), "the first reminders did not go out"
        )
        assert len(await reminders_sent(stack, tenant, kept)) == 1

        clock.advance((at - timedelta(hours=2) - clock.now()).total_seconds() + 1)
        await eventually(
            lambda: _done(pending_due(database_url, tenant, clock.now())), "the 2 h reminders did not go out"
        )
        assert len(await reminders_sent(stack, tenant, kept)) == 2
        # The stale lead's window is closed: their 24 h reminder went out as the tenant's template.
        assert [text.split("]")[0] for text in await reminders_sent(stack, tenant, stale)] == [
            "[template recordatorio_visita"
        ]
        detail = await stack.ingest.GetTicket(ingest_pb.GetTicketRequest(ticket_id=kept), metadata=md, timeout=10)
        assert [e.type for e in detail.events].count("visit.reminder") == 2

        # Past every visit: the cancelled one and the moved one (its new time is not confirmed) got nothing.
        clock.advance(timedelta(days=3).total_seconds())
        await eventually(lambda: _done(pending_due(database_url, tenant, clock.now())), "rows left pending")
        assert await reminders_sent(stack, tenant, cancelled) == []
        assert await reminders_sent(stack, tenant, moved) == []


async def _done(count: Awaitable[int]) -> bool:
    return await count == 0


async def test_outcomes_attended_and_no_show_counted_per_lead_then_new_times_in_one_step(
    database_url: str, redis_url: str
) -> None:
    clock = ManualClock()
    async with running_stack(
        database_url=database_url, redis_url=redis_url, serve_options={"visits": {"clock": clock}}
    ) as stack:
        tenant = await stack.new_tenant()
        agent = await stack.new_user(tenant)
        md = stack.md(tenant, Role.AGENT, agent)
        await stack.ingest.UpsertProject(
            ingest_pb.UpsertProjectRequest(project=ingest_pb.Project(code="P1", name="Proyecto 1")),
            metadata=stack.md(tenant),
            timeout=10,
        )
        await stack.visits.SetWorkingHours(
            pb.SetWorkingHoursRequest(
                agent_user_id=agent, hours=[pb.WorkingHours(weekday=d, start="00:00", end="24:00") for d in range(1, 8)]
            ),
            metadata=md,
            timeout=10,
        )
        await stack.visits.SetProjectSettings(
            pb.SetProjectSettingsRequest(
                settings=pb.ProjectSettings(
                    project_code="P1", visit_minutes=60, min_notice_minutes=0, horizon_days=30, agent_user_ids=[agent]
                )
            ),
            metadata=stack.md(tenant, Role.SUPERVISOR, "boss"),
            timeout=10,
        )
        phone = a_phone()
        first = await stack.ingest.IngestMessage(
            inbound(phone, "Hola", project_code="P1"), metadata=stack.md(tenant), timeout=10
        )
        at = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        ids = []
        for day in (0, 2):
            proposed = await stack.visits.ProposeVisit(
                pb.ProposeVisitRequest(
                    ticket_id=first.ticket_id, agent_user_id=agent, starts_at=timestamp(at + timedelta(days=day))
                ),
                metadata=md,
                timeout=10,
            )
            await stack.visits.ConfirmVisit(
                pb.ConfirmVisitRequest(proposal_id=proposed.proposal.id), metadata=md, timeout=10
            )
            ids.append(proposed.proposal.id)
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await stack.visits.RecordOutcome(
                    pb.RecordOutcomeRequest(proposal_id=proposed.proposal.id, outcome=pb.VISIT_OUTCOME_ATTENDED),
                    metadata=md,
                    timeout=10,
                )
            assert exc.value.code() == grpc.StatusCode.FAILED_PRECONDITION, "not before the visit's time"
            clock.advance((at + timedelta(days=day, minutes=5) - clock.now()).total_seconds())
            if day == 0:
                missed = await stack.visits.RecordOutcome(
                    pb.RecordOutcomeRequest(proposal_id=proposed.proposal.id, outcome=pb.VISIT_OUTCOME_NO_SHOW),
                    metadata=md,
                    timeout=10,
                )
                assert (missed.proposal.status, missed.lead_no_shows) == (pb.PROPOSAL_STATUS_NO_SHOW, 1)
                assert missed.ticket_stage == "En conversación"
        # The second visit: missed too, and the lead gets new times in the same step.
        again = await stack.visits.RecordOutcome(
            pb.RecordOutcomeRequest(proposal_id=ids[1], outcome=pb.VISIT_OUTCOME_NO_SHOW, offer_slots=True),
            metadata=md,
            timeout=10,
        )
        assert again.lead_no_shows == 2
        assert len(again.offer.slots) == 10, again.offer_error
        listed = await stack.visits.ListVisits(pb.ListVisitsRequest(ticket_id=first.ticket_id), metadata=md, timeout=10)
        assert listed.lead_no_shows == 2
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.visits.RecordOutcome(
                pb.RecordOutcomeRequest(proposal_id=ids[1], outcome=pb.VISIT_OUTCOME_ATTENDED), metadata=md, timeout=10
            )
        assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS

        # An attended visit moves the ticket to "Visita realizada".
        proposed = await stack.visits.ProposeVisit(
            pb.ProposeVisitRequest(
                ticket_id=first.ticket_id, agent_user_id=agent, starts_at=timestamp(at + timedelta(days=10))
            ),
            metadata=md,
            timeout=10,
        )
        await stack.visits.ConfirmVisit(
            pb.ConfirmVisitRequest(proposal_id=proposed.proposal.id), metadata=md, timeout=10
        )
        clock.advance(timedelta(days=10).total_seconds())
        done = await stack.visits.RecordOutcome(
            pb.RecordOutcomeRequest(proposal_id=proposed.proposal.id, outcome=pb.VISIT_OUTCOME_ATTENDED),
            metadata=md,
            timeout=10,
        )
        assert done.ticket_stage == "Visita realizada"
        detail = await stack.ingest.GetTicket(
            ingest_pb.GetTicketRequest(ticket_id=first.ticket_id), metadata=md, timeout=10
        )
        assert detail.ticket.stage == "Visita realizada"

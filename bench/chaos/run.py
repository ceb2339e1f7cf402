"""One chaos run: start the stack, then per fault push traffic, break something, undo it, and check the result."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import httpx

from bench.chaos import verify
from bench.chaos.cluster import APP_SECRET, PHONE_NUMBER_ID, Cluster
from bench.chaos.faults import FAULTS, Fault
from bench.chaos.sender import Attempts, Dashboard, Inbound, MetaSender
from tests.support.provider_double import ProviderDouble, running_provider_double

# The fault starts this far into the phase's traffic, so some of it lands before, during and after.
FAULT_AT = 0.3
# Meta keeps redelivering for days; a phase's stragglers get this long after its traffic window.
SENDER_GRACE_SECONDS = 60.0
SETTLE_SECONDS = 60.0
# Every few deliveries carries two messages of one lead, as Meta batches them.
BATCH_EVERY = 4


@dataclass(frozen=True)
class Plan:
    """Sizes of a run."""

    faults: tuple[str, ...]
    messages: int
    leads: int
    replies: int
    window_seconds: float


@dataclass
class Phase:
    """One fault's traffic, what happened to it, and the checks."""

    fault: Fault
    messages: list[Inbound]
    ticket_id: str
    attempts: dict[str, Attempts] = field(default_factory=dict)
    reply_keys: dict[str, str] = field(default_factory=dict)
    reply_attempts: dict[str, Attempts] = field(default_factory=dict)
    visit_attempts: list[Attempts] = field(default_factory=list)
    visit_done: bool = False
    injected_at: float = 0.0
    recovered_at: float = 0.0
    ready_at: float = 0.0
    pid_before: int | None = None
    pid_after: int | None = None
    not_ready_seen: bool = False
    provider_failures: int = 0
    # Webhook intake's /readyz during a fault intake does not need (None: not probed).
    intake_ready_in_fault: bool | None = None
    # Leads who tap a visit's confirm button during the fault: ticket -> the taps (two each).
    taps: dict[str, list[Inbound]] = field(default_factory=dict)
    settled: bool = False
    died: str | None = None
    found: verify.Found | None = None

    @property
    def acked(self) -> set[str]:
        """The wamids whose delivery got a 2xx."""
        return {m.wamid for m in self.messages if self.attempts[m.wamid].acked_at is not None}

    def deliveries(self) -> list[Attempts]:
        """The tries of each webhook (the messages of one batch share them)."""
        return list({id(a): a for a in self.attempts.values()}.values())

    def sender_errors(self, start: float, end: float) -> int:
        """Webhook tries that failed in [start, end]."""
        return sum(a.errors_between(start, end) for a in self.deliveries())

    def dashboard_errors(self, start: float, end: float) -> int:
        """Dashboard tries that failed in [start, end]."""
        tries = [*self.reply_attempts.values(), *self.visit_attempts]
        return sum(a.errors_between(start, end) for a in tries)

    @property
    def observed(self) -> bool:
        """The fault demonstrably happened: the process was replaced and readiness dropped, or the provider failed."""
        if self.fault.process is None:
            return self.provider_failures > 0
        return self.pid_before != self.pid_after and self.not_ready_seen

    def row(self) -> dict[str, Any]:
        """The phase as one result row."""
        found = self.found or verify.Found()
        end = self.ready_at or self.recovered_at
        return {
            "fault": self.fault.name,
            "what": self.fault.what,
            "sent": len(self.messages),
            "acknowledged": len(self.acked),
            "stored": found.stored,
            "duplicates": found.duplicates,
            "lost": found.lost,
            "webhooks": len(self.deliveries()),
            "sender_retries": sum(len(a.errors) for a in self.deliveries()),
            "sender_errors_in_fault": self.sender_errors(self.injected_at, end),
            "dashboard_errors_in_fault": self.dashboard_errors(self.injected_at, end),
            "replies": found.replies,
            "replies_sent_twice": found.replies_twice,
            "replies_lost": found.replies_lost,
            "visit_stage_ok": found.visits_ok,
            "observed": self.observed,
            "intake_ready_in_fault": self.intake_ready_in_fault,
            # A fault intake does not need: every webhook acknowledged at once and /readyz up throughout.
            "intake_ok": None
            if self.intake_ready_in_fault is None
            else self.intake_ready_in_fault and self.sender_errors(self.injected_at, end) == 0,
            "taps": sum(len(taps) for taps in self.taps.values()),
            "taps_confirmed": found.taps_confirmed,
            "hand_off_retries": found.hand_off_retries,
            "pid_before": self.pid_before,
            "pid_after": self.pid_after,
            "not_ready_seen": self.not_ready_seen,
            "provider_failures": self.provider_failures,
            "fault_seconds": round(self.recovered_at - self.injected_at, 2),
            "recovery_seconds": round(end - self.injected_at, 2),
            "settled": self.settled,
            "died_on_its_own": self.died,
            "problems": found.problems[:50],
        }

    def failed(self) -> bool:
        """Any loss, duplicate, reply sent twice or lost, stage mismatch, unobserved fault or other problem."""
        found = self.found
        return found is None or bool(found.problems) or found.lost > 0 or found.duplicates > 0 or not self.observed


def _tap_lead(index: int, lead: int) -> str:
    return _phone(index * 1000 + 500 + lead)


def _phone(index: int) -> str:
    return "5491166" + str(index).zfill(6)


def _plan_phase(fault: Fault, index: int, plan: Plan, run_id: str) -> tuple[list[Inbound], str]:
    leads = [_phone(index * 1000 + lead) for lead in range(plan.leads)]
    messages = [
        Inbound(
            wamid=f"wamid.chaos.{run_id}.{fault.name}.{n}",
            phone=leads[n % len(leads)],
            text=f"Hola, consulta {n} ({fault.name})",
        )
        for n in range(plan.messages)
    ]
    return messages, _phone(index * 1000 + 999)


def _deliveries(messages: list[Inbound]) -> list[list[Inbound]]:
    """Groups the phase's messages into webhooks: mostly one message, every few two of the same lead."""
    by_lead: dict[str, list[Inbound]] = {}
    for message in messages:
        by_lead.setdefault(message.phone, []).append(message)
    batches: list[list[Inbound]] = []
    for queue in by_lead.values():
        while queue:
            take = 2 if len(batches) % BATCH_EVERY == BATCH_EVERY - 1 else 1
            batches.append(queue[:take])
            del queue[:take]
    # Back in the order planned, leads interleaved, so each lead's messages spread over the window.
    order = {message.wamid: n for n, message in enumerate(messages)}
    return sorted(batches, key=lambda batch: order[batch[0].wamid])


async def _at(moment: float, work: Callable[[], Awaitable[object]]) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))
    await work()


class ChaosRun:
    """Owns the cluster, the provider double and the clients for one run."""

    def __init__(self, *, plan: Plan, data_dir: Path, log: TextIO, say: Callable[[str], None]) -> None:
        self.plan = plan
        self.data_dir = data_dir
        self.log = log
        self.say = say
        self.run_id = secrets.token_hex(3)
        self.phases: list[Phase] = []
        self.agents: list[str] = []

    async def run(self) -> list[Phase]:
        """Runs every phase; returns them with their final checks."""
        cluster = Cluster(data_dir=self.data_dir, log=self.log)
        async with running_provider_double() as double:
            began = time.monotonic()
            try:
                await cluster.start()
                await cluster.add_tenant(provider_base_url=double.meta_base_url)
                self.agents = await cluster.add_agents(len(self.plan.faults))
                self.say(f"stack ready in {time.monotonic() - began:.1f}s (gateway {cluster.gateway_url})")
                limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
                async with httpx.AsyncClient(limits=limits) as client:
                    sender = MetaSender(
                        client,
                        gateway_url=cluster.gateway_url,
                        app_secret=APP_SECRET,
                        phone_number_id=PHONE_NUMBER_ID,
                    )
                    dashboard = Dashboard(client, gateway_url=cluster.gateway_url, token=cluster.dashboard_token())
                    await self._prepare(cluster, sender, dashboard)
                    for phase in self.phases:
                        await self._run_phase(phase, cluster, double, sender, dashboard, client)
                    for phase in self.phases:
                        phase.found = await verify.check(cluster.database_url, self._expected(phase), double)
            finally:
                await cluster.stop()
        return self.phases

    async def _prepare(self, cluster: Cluster, sender: MetaSender, dashboard: Dashboard) -> None:
        """Plans every phase and gives each its dashboard ticket (one lead message, stored before any fault)."""
        for index, name in enumerate(self.plan.faults):
            messages, lead = _plan_phase(FAULTS[name], index, self.plan, self.run_id)
            first = Inbound(wamid=f"wamid.chaos.{self.run_id}.{name}.dashboard", phone=lead, text="Hola, quiero info")
            if not await sender.deliver([first], Attempts(), deadline=time.monotonic() + SENDER_GRACE_SECONDS):
                raise RuntimeError(f"the dashboard lead of {name} could not write in before any fault")
            ticket_id = await self._ticket_of(cluster, first.wamid)
            phase = Phase(fault=FAULTS[name], messages=messages, ticket_id=ticket_id)
            if phase.fault.taps:
                await self._prepare_taps(phase, index, cluster, sender, dashboard)
            self.phases.append(phase)

    async def _prepare_taps(
        self, phase: Phase, index: int, cluster: Cluster, sender: MetaSender, dashboard: Dashboard
    ) -> None:
        """Leads who write in and get a visit proposed; their taps on its confirm button are the phase's."""
        name = phase.fault.name
        for lead in range(self.plan.leads):
            phone = _tap_lead(index, lead)
            first = Inbound(wamid=f"wamid.chaos.{self.run_id}.{name}.lead.{lead}", phone=phone, text="Quiero visitar")
            if not await sender.deliver([first], Attempts(), deadline=time.monotonic() + SENDER_GRACE_SECONDS):
                raise RuntimeError(f"tap lead {lead} of {name} could not write in before any fault")
            ticket_id = await self._ticket_of(cluster, first.wamid)
            starts_at = (datetime.now(UTC) + timedelta(days=2 + index)).replace(minute=0, second=0, microsecond=0)
            payload = {
                "ticket_id": ticket_id,
                # After the phase's dashboard visit (same agent, at starts_at): back to back, never clashing.
                "starts_at": (starts_at + timedelta(hours=lead + 1)).isoformat(),
                "agent_user_id": self.agents[index],
            }
            if not await dashboard.propose(payload, Attempts(), deadline=time.monotonic() + SENDER_GRACE_SECONDS):
                raise RuntimeError(f"the visit of tap lead {lead} of {name} could not be proposed")
            token = await verify.reply_token(cluster.database_url, ticket_id)
            phase.taps[ticket_id] = [
                Inbound(
                    wamid=f"wamid.chaos.{self.run_id}.{name}.tap.{lead}.{n}",
                    phone=phone,
                    text="Confirmar",
                    reply_id=f"v360v:c:{token}",
                )
                for n in range(2)
            ]

    async def _ticket_of(self, cluster: Cluster, wamid: str) -> str:
        query = "SELECT ticket_id::text AS id FROM ingest.messages WHERE provider_message_id = %s"
        async with await verify.connect(cluster.database_url) as conn:
            row = await (await conn.execute(query, [wamid])).fetchone()
        if row is None:
            raise RuntimeError(f"{wamid} was acknowledged but is not stored")
        return str(row["id"])

    async def _run_phase(
        self,
        phase: Phase,
        cluster: Cluster,
        double: ProviderDouble,
        sender: MetaSender,
        dashboard: Dashboard,
        client: httpx.AsyncClient,
    ) -> None:
        window = self.plan.window_seconds
        start = time.monotonic()
        deadline = start + window + SENDER_GRACE_SECONDS
        fault_started = asyncio.Event()
        batches = _deliveries(phase.messages)
        for batch in batches:
            shared = Attempts()
            for message in batch:
                phase.attempts[message.wamid] = shared

        async def deliver(batch: list[Inbound]) -> None:
            await sender.deliver(batch, phase.attempts[batch[0].wamid], deadline=deadline)

        work: list[Awaitable[object]] = [
            _at(start + window * n / len(batches), lambda batch=batch: deliver(batch))
            for n, batch in enumerate(batches)
        ]
        work += self._dashboard_work(phase, dashboard, start, fault_started, deadline)
        work += self._tap_work(phase, sender, fault_started, deadline)
        work.append(self._fault(phase, cluster, double, client, start + window * FAULT_AT, fault_started))
        await asyncio.gather(*work)
        phase.settled = await verify.settle(cluster.database_url, phase.ticket_id, within=SETTLE_SECONDS)
        phase.died = cluster.died_on_its_own()
        acked = len(phase.acked)
        self.say(
            f"{phase.fault.name:<20} {len(phase.messages)} sent, {acked} acknowledged, "
            f"{sum(len(a.errors) for a in phase.deliveries())} webhook retries, "
            f"back in {phase.ready_at - phase.injected_at:.1f}s, phase {time.monotonic() - start:.1f}s"
            + ("" if phase.settled else ", NOT SETTLED")
        )
        if phase.died:
            raise RuntimeError(f"{phase.died} exited on its own during the {phase.fault.name} phase")

    def _tap_work(
        self, phase: Phase, sender: MetaSender, fault_started: asyncio.Event, deadline: float
    ) -> list[Awaitable[object]]:
        """While the fault holds, each tap lead taps the confirm button, and again a moment later."""
        work: list[Awaitable[object]] = []
        spread = phase.fault.hold_seconds / 2
        for lead, taps in enumerate(phase.taps.values()):
            for n, tap in enumerate(taps):
                phase.attempts[tap.wamid] = Attempts()
                phase.messages.append(tap)
                at = spread * (lead / max(len(phase.taps), 1) + n) / 2

                async def send(tap: Inbound = tap, at: float = at) -> None:
                    await fault_started.wait()
                    await asyncio.sleep(at)
                    await sender.deliver([tap], phase.attempts[tap.wamid], deadline=deadline)

                work.append(send())
        return work

    def _dashboard_work(
        self, phase: Phase, dashboard: Dashboard, start: float, fault_started: asyncio.Event, deadline: float
    ) -> list[Awaitable[object]]:
        """Half the replies and the proposal before the fault, the rest and the confirmation as it starts."""
        window = self.plan.window_seconds
        work: list[Awaitable[object]] = []
        before = self.plan.replies // 2
        for n in range(self.plan.replies):
            key = f"chaos-{self.run_id}-{phase.fault.name}-{n}"
            text = f"Respuesta {n} del equipo ({phase.fault.name}, {self.run_id})"
            phase.reply_keys[key] = text
            phase.reply_attempts[key] = Attempts()

            async def reply(key: str = key, text: str = text, n: int = n) -> None:
                if n < before:
                    await asyncio.sleep(max(0.0, start + window * FAULT_AT * n / max(before, 1) - time.monotonic()))
                else:
                    await fault_started.wait()
                    await asyncio.sleep(0.2 * (n - before))
                await dashboard.reply(
                    ticket_id=phase.ticket_id, key=key, text=text, attempts=phase.reply_attempts[key], deadline=deadline
                )

            work.append(reply())

        async def visit() -> None:
            index = self.plan.faults.index(phase.fault.name)
            starts_at = (datetime.now(UTC) + timedelta(days=2 + index)).replace(minute=0, second=0, microsecond=0)
            proposing, confirming = Attempts(), Attempts()
            phase.visit_attempts += [proposing, confirming]
            payload = {
                "ticket_id": phase.ticket_id,
                "starts_at": starts_at.isoformat(),
                "agent_user_id": self.agents[index],
                "message_to_lead": f"Te proponemos visitar el proyecto ({phase.fault.name}, {self.run_id})",
            }
            proposed = await dashboard.propose(payload, proposing, deadline=deadline)
            await fault_started.wait()
            phase.visit_done = proposed and await dashboard.confirm(phase.ticket_id, confirming, deadline=deadline)

        work.append(_at(start + window * FAULT_AT / 3, visit))
        return work

    async def _fault(
        self,
        phase: Phase,
        cluster: Cluster,
        double: ProviderDouble,
        client: httpx.AsyncClient,
        at: float,
        fault_started: asyncio.Event,
    ) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        fault = phase.fault
        process = fault.process
        phase.pid_before = cluster.pid(process) if process else None
        seen = len(double.requests)
        phase.injected_at = time.monotonic()
        fault_started.set()
        await fault.inject(cluster, double)
        # The readiness that must drop is the one of the route group that needs the broken part.
        probe = asyncio.create_task(
            cluster.ready_now(client, "/readyz" if fault.intake_needs_it else "/readyz/dashboard")
        )
        intake = None if fault.intake_needs_it else asyncio.create_task(cluster.ready_now(client, "/readyz"))
        await fault.hold(cluster, double)
        phase.not_ready_seen = not await probe
        if intake is not None:
            phase.intake_ready_in_fault = await intake
        await fault.recover(cluster, double)
        phase.recovered_at = time.monotonic()
        phase.provider_failures = sum(
            1 for record in double.requests[seen:] if record.answered is not None and record.answered >= 400
        )
        await cluster.wait_ready()
        phase.ready_at = time.monotonic()
        phase.pid_after = cluster.pid(process) if process else None

    def _expected(self, phase: Phase) -> verify.Expected:
        return verify.Expected(
            wamids=[m.wamid for m in phase.messages],
            acked=phase.acked,
            lead_of={m.wamid: m.phone for m in phase.messages},
            ticket_id=phase.ticket_id,
            replies=phase.reply_keys,
            replies_acked={key for key, a in phase.reply_attempts.items() if a.acked_at is not None},
            visit_done=phase.visit_done,
            taps=list(phase.taps),
        )

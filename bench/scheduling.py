"""Free-slot queries for an agent with many future visits, and a race of leads tapping the same offered time."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta

import grpc
import httpx

from bench import stats
from bench.grpc_ingest import inbound_request
from libs.common.clients import channel, metadata_for
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

PREFIX = "/api/demo/vertice360-orquestador/visit"
PROJECT = "BENCH-SLOTS"
# Visits fill the agent's calendar every other half hour, around the clock, from tomorrow on.
VISIT_MINUTES = 30
# The slot query looks one week ahead, as a lead's list does.
WINDOW = timedelta(days=7)


async def prepare(*, ingest_target: str, visits_target: str, service_token: str, agents: list[str]) -> None:
    """The project, its agents working around the clock, and rules that let leads book half hours a year ahead."""
    metadata = metadata_for(service_token)
    async with channel(ingest_target) as ingest_channel, channel(visits_target) as visits_channel:
        ingest = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        visits = visits_pb2_grpc.VisitsServiceStub(visits_channel)
        await ingest.UpsertProject(
            ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code=PROJECT, name="Bench")),
            metadata=metadata,
            timeout=30,
        )
        week = [visits_pb2.WorkingHours(weekday=d, start="00:00", end="24:00") for d in range(1, 8)]
        for agent in agents:
            await visits.SetWorkingHours(
                visits_pb2.SetWorkingHoursRequest(agent_user_id=agent, hours=week), metadata=metadata, timeout=30
            )
        await visits.SetProjectSettings(
            visits_pb2.SetProjectSettingsRequest(
                settings=visits_pb2.ProjectSettings(
                    project_code=PROJECT,
                    visit_minutes=VISIT_MINUTES,
                    min_notice_minutes=0,
                    horizon_days=366,
                    agent_user_ids=agents,
                )
            ),
            metadata=metadata,
            timeout=30,
        )


async def slots_benchmark(
    *, base_url: str, token: str, agent: str, ticket_ids: list[str], requests: int, concurrency: int
) -> dict[str, object]:
    """Books one visit per ticket for `agent`, then times `GET visit/slots` for a week of that agent's calendar."""
    headers = {"Authorization": f"Bearer {token}"}
    first = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, limits=limits) as client:
        indexes = iter(range(len(ticket_ids)))
        errors: dict[str, int] = {}

        async def book() -> None:
            for i in indexes:
                reply = await client.post(
                    f"{PREFIX}/propose",
                    json={
                        "ticket_id": ticket_ids[i],
                        "agent_user_id": agent,
                        "project_code": PROJECT,
                        "starts_at": (first + timedelta(minutes=2 * VISIT_MINUTES * i)).isoformat(),
                    },
                )
                if reply.status_code != 201:
                    errors[str(reply.status_code)] = errors.get(str(reply.status_code), 0) + 1

        await asyncio.gather(*(book() for _ in range(concurrency)))
        params = {
            "project": PROJECT,
            "agent": agent,
            "from": first.isoformat(),
            "to": (first + WINDOW).isoformat(),
        }
        latencies: list[float] = []
        found = 0
        for _ in range(requests):
            started = time.perf_counter()
            reply = await client.get(f"{PREFIX}/slots", params=params)
            latencies.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()
            found = len(reply.json()["slots"])
    return {
        "future_visits": len(ticket_ids) - sum(errors.values()),
        "booking_errors": errors,
        "requests": requests,
        "slots_per_answer": found,
        **stats.latency(latencies),
        "holds": stats.percentile(latencies, 0.95) < 30.0,
    }


async def race_benchmark(
    *, base_url: str, ingest_target: str, token: str, service_token: str, agent: str, leads: int
) -> dict[str, object]:
    """`leads` leads are offered the same first free time; all tap it at once through ingest."""
    headers = {"Authorization": f"Bearer {token}"}
    metadata = metadata_for(service_token)
    run = secrets.token_hex(4)
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client,
        channel(ingest_target) as ingest_channel,
    ):
        ingest = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        first_number = secrets.randbelow(10**6)
        phones = ["5491166" + str((first_number + n) % 10**6).zfill(6) for n in range(leads)]
        tickets = []
        for n, phone in enumerate(phones):
            stored = await ingest.IngestMessage(
                inbound_request(provider_message_id=f"bench.race.{run}.{n}", phone=phone),
                metadata=metadata,
                timeout=30,
            )
            tickets.append(stored.ticket_id)
        rows = []
        for ticket_id in tickets:
            offered = await client.post(
                f"{PREFIX}/offer", json={"ticket_id": ticket_id, "project_code": PROJECT, "agent_user_id": agent}
            )
            offered.raise_for_status()
            rows.append(offered.json()["slots"][0])
        if len({row["starts_at"] for row in rows}) != 1:
            raise RuntimeError("the leads were not offered the same first time")

        async def tap(n: int) -> tuple[float, str]:
            request = inbound_request(provider_message_id=f"bench.race.{run}.tap.{n}", phone=phones[n])
            request.message.type = ingest_pb2.MESSAGE_TYPE_LIST_REPLY
            request.message.reply_id = rows[n]["row_id"]
            started = time.perf_counter()
            for _ in range(10):
                try:
                    await ingest.IngestMessage(request, metadata=metadata, timeout=30)
                    break
                # A provider redelivers the same message on any failure; so does the bench.
                except grpc.aio.AioRpcError:
                    continue
            return (time.perf_counter() - started) * 1000, tickets[n]

        began = time.perf_counter()
        taps = await asyncio.gather(*(tap(n) for n in range(leads)))
        elapsed = time.perf_counter() - began
        booked = 0
        for ticket_id in tickets:
            detail = await client.get(f"/api/demo/vertice360-orquestador/tickets/{ticket_id}")
            booked += detail.json()["ticket"]["stage"] == "Visita confirmada"
    return {
        "leads": leads,
        "bookings": booked,
        "fresh_lists_due": leads - booked,
        "holds": booked == 1,
        "seconds": round(elapsed, 2),
        **stats.latency([latency for latency, _ in taps], prefix="tap_"),
    }

"""Visit propose, then confirm, through the gateway on distinct tickets: operations per second and latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx

from bench import stats

PREFIX = "/api/demo/vertice360-orquestador/visit"
# Proposals rotate over a few agents, each booked in consecutive slots, so no two visits clash.
AGENTS = 20
SLOT = timedelta(minutes=90)


def proposal_body(ticket_id: str, index: int, *, first_slot: datetime, agents: list[str]) -> dict[str, object]:
    """The propose request of the `index`-th ticket: its own agent and slot."""
    return {
        "ticket_id": ticket_id,
        "starts_at": (first_slot + SLOT * (index // len(agents))).isoformat(),
        "duration_minutes": 60,
        "agent_user_id": agents[index % len(agents)],
    }


async def _closed_loop(
    count: int, *, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]], expect: int
) -> tuple[dict[str, object], list[httpx.Response | None]]:
    """Runs `call(i)` for every i with `concurrency` callers; the summary row and the replies in order."""
    replies: list[httpx.Response | None] = [None] * count
    latencies: list[float] = []
    errors: dict[str, int] = {}
    indexes = iter(range(count))

    async def caller() -> None:
        for i in indexes:
            started = time.perf_counter()
            try:
                reply = await call(i)
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            if reply.status_code == expect:
                latencies.append((time.perf_counter() - started) * 1000)
                replies[i] = reply
            else:
                errors[str(reply.status_code)] = errors.get(str(reply.status_code), 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    row = {
        "concurrency": concurrency,
        "requests": count,
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_codes": errors,
        "seconds": round(elapsed, 2),
        "ops_per_second": stats.rate(len(latencies), elapsed),
        **stats.latency(latencies),
    }
    return row, replies


async def visits_benchmark(
    *, base_url: str, token: str, ticket_ids: list[str], agents: list[str], concurrency: int
) -> list[dict[str, object]]:
    """Proposes a visit on every ticket, then confirms every proposal; one row per operation."""
    first_slot = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, limits=limits) as client:

        def propose(i: int) -> Awaitable[httpx.Response]:
            return client.post(
                f"{PREFIX}/propose", json=proposal_body(ticket_ids[i], i, first_slot=first_slot, agents=agents)
            )

        proposed, replies = await _closed_loop(len(ticket_ids), concurrency=concurrency, call=propose, expect=201)
        proposals = [reply.json()["proposal"]["id"] for reply in replies if reply is not None]

        def confirm(i: int) -> Awaitable[httpx.Response]:
            return client.post(f"{PREFIX}/confirm", json={"proposal_id": proposals[i]})

        confirmed, _ = await _closed_loop(len(proposals), concurrency=concurrency, call=confirm, expect=200)
    return [{"operation": "propose", **proposed}, {"operation": "confirm", **confirmed}]

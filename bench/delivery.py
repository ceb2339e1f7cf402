"""Replies through the gateway to the sandbox provider: accept latency, and time until the worker has sent each."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx
import psycopg

from bench import stats
from libs.common.db import libpq_url

SEND_PATH = "/api/demo/vertice360-orquestador/supervisor/send"
POLL_SECONDS = 0.05
# When the reply was stored (the database's clock) and when each of its outbox rows finished (the worker's).
_PROGRESS = """
SELECT o.id::text, o.status,
    extract(epoch FROM s.done_at - o.created_at) * 1000 AS sent_ms,
    extract(epoch FROM a.done_at - o.created_at) * 1000 AS timeline_ms
FROM supervisor.outbound_messages o
LEFT JOIN supervisor.outbox s ON s.dedupe_key = 'send:' || o.id::text
LEFT JOIN supervisor.outbox a ON a.dedupe_key = 'append:' || o.id::text
WHERE o.id = ANY(%(ids)s::uuid[])
"""


async def _send_all(
    *, base_url: str, token: str, ticket_ids: list[str], concurrency: int, run: str
) -> tuple[list[str], list[float], dict[str, int]]:
    """POSTs one reply per ticket, `concurrency` at a time; the outbound ids, accept latencies and errors."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    outbound: list[str] = []
    latencies: list[float] = []
    errors: dict[str, int] = {}
    indexes = iter(range(len(ticket_ids)))
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, limits=limits) as client:

        async def sender() -> None:
            for i in indexes:
                body = {"ticket_id": ticket_ids[i], "text": f"Hola, te escribo por tu consulta ({i})"}
                started = time.perf_counter()
                try:
                    reply = await client.post(SEND_PATH, json=body, headers={"Idempotency-Key": f"bench-{run}-{i}"})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                if reply.status_code == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                    outbound.append(reply.json()["message"]["id"])
                else:
                    errors[str(reply.status_code)] = errors.get(str(reply.status_code), 0) + 1

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return outbound, latencies, errors


def _progress(database_url: str, ids: list[str], *, within: float) -> list[tuple[str, str, float | None, float | None]]:
    """Polls until every reply's send job is finished (or `within` seconds pass); the last rows seen."""
    deadline = time.monotonic() + within
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        while True:
            rows = conn.execute(_PROGRESS, {"ids": ids}).fetchall()
            if all(row[2] is not None for row in rows) or time.monotonic() > deadline:
                return [(row[0], row[1], row[2], row[3]) for row in rows]
            time.sleep(POLL_SECONDS)


async def delivery_benchmark(
    *, base_url: str, database_url: str, token: str, ticket_ids: list[str], concurrency: int, within: float = 60.0
) -> dict[str, object]:
    """One reply per ticket through POST supervisor/send; replies/s until the last one is sent, and latencies."""
    run = secrets.token_hex(4)
    began = time.perf_counter()
    outbound, accept, errors = await _send_all(
        base_url=base_url, token=token, ticket_ids=ticket_ids, concurrency=concurrency, run=run
    )
    accepted_in = time.perf_counter() - began
    rows = await asyncio.to_thread(_progress, database_url, outbound, within=within)
    finished_in = time.perf_counter() - began
    sent = [float(row[2]) for row in rows if row[2] is not None and row[1] != "failed"]
    timeline = [float(row[3]) for row in rows if row[3] is not None]
    return {
        "replies": len(ticket_ids),
        "concurrency": concurrency,
        "accepted": len(outbound),
        "sent": len(sent),
        "failed": sum(1 for row in rows if row[1] == "failed"),
        "not_sent_in_time": sum(1 for row in rows if row[2] is None),
        "errors": sum(errors.values()),
        "error_codes": errors,
        "accepted_per_second": stats.rate(len(outbound), accepted_in),
        "replies_per_second": stats.rate(len(sent), finished_in),
        "seconds": round(finished_in, 2),
        **stats.latency(accept, prefix="accept_"),
        **stats.latency(sent, prefix="sent_"),
        **stats.latency(timeline, prefix="timeline_"),
    }

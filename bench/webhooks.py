"""Signed Meta webhooks through the gateway at rising concurrency: throughput and latency per step."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import statistics
import time
from dataclasses import asdict, dataclass

import httpx


@dataclass
class Step:
    concurrency: int
    seconds: float
    sent: int
    ok: int
    errors: int
    messages_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def meta_body(*, phone_number_id: str, phone: str, wamid: str, text: str) -> bytes:
    """One Meta delivery of one text message, as Meta serialises it (non-ASCII escaped)."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "bench-waba",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": phone_number_id},
                            "contacts": [{"profile": {"name": "Bench Lead"}, "wa_id": phone}],
                            "messages": [
                                {
                                    "from": phone,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest-rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run_step(
    client: httpx.AsyncClient, *, url: str, secret: str, phone_number_id: str, concurrency: int, seconds: float
) -> Step:
    """`concurrency` senders post distinct messages back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def sender(worker: int) -> None:
        nonlocal errors
        # Spread the load over many leads, as real traffic is, a few messages each.
        while time.perf_counter() < stop_at:
            phone = "5491155" + str(secrets.randbelow(10**6)).zfill(6)
            body = meta_body(
                phone_number_id=phone_number_id,
                phone=phone,
                wamid=f"wamid.bench.{secrets.token_hex(12)}",
                text=f"Hola, consulta {worker} sobre el departamento",
            )
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            try:
                reply = await client.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
                )
                if reply.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(sender(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    return Step(
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        sent=len(latencies) + errors,
        ok=len(latencies),
        errors=errors,
        messages_per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
        p95_ms=round(percentile(latencies, 0.95), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        max_ms=round(max(latencies), 2) if latencies else 0.0,
    )


async def webhook_benchmark(
    *, base_url: str, secret: str, phone_number_id: str, steps: list[int], seconds: float
) -> list[dict[str, object]]:
    """Runs every concurrency step against the gateway and returns the rows."""
    limits = httpx.Limits(max_connections=max(steps) + 8, max_keepalive_connections=max(steps) + 8)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        warm = await run_step(
            client,
            url=f"{base_url}/webhooks/meta",
            secret=secret,
            phone_number_id=phone_number_id,
            concurrency=2,
            seconds=1.0,
        )
        if warm.ok == 0:
            raise RuntimeError(f"warm-up failed: {warm}")
        rows = []
        for concurrency in steps:
            step = await run_step(
                client,
                url=f"{base_url}/webhooks/meta",
                secret=secret,
                phone_number_id=phone_number_id,
                concurrency=concurrency,
                seconds=seconds,
            )
            rows.append(asdict(step))
        return rows

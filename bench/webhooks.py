"""Signed Meta webhooks through the gateway at rising offered load: throughput, latency and CPU per step."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

from bench import cpu, stats
from bench.loadgen import offer, request_bytes

# A step "holds" when it serves what was offered, in time and without errors; the first that doesn't is the break.
HOLDS_SHARE = 0.95
HOLDS_P99_MS = 100.0
WARM_UP_RATE = 300.0


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


def signed_requests(*, url: str, secret: str, phone_number_id: str, phones: list[str], count: int) -> list[bytes]:
    """`count` ready-to-send webhook requests, each a new message (its own wamid) from one of `phones`."""
    requests = []
    for index in range(count):
        body = meta_body(
            phone_number_id=phone_number_id,
            phone=phones[index % len(phones)],
            wamid=f"wamid.bench.{secrets.token_hex(12)}",
            text=f"Hola, consulta {index} sobre el departamento",
        )
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        requests.append(request_bytes(url, body=body, headers=headers))
    return requests


def webhook_benchmark(
    *, base_url: str, data_dir: Path, secret: str, phone_number_id: str, rates: list[float], seconds: float, leads: int
) -> list[dict[str, object]]:
    """Warms up `leads` conversations, then offers each rate for `seconds`; one row per rate.

    Messages come from known leads, as most of a sales team's traffic does (a conversation is many
    messages); the warm-up stores each lead's first message, outside the measurement.
    """
    url = f"{base_url}/webhooks/meta"
    phones = [f"54911{6000_0000 + n:08d}" for n in range(leads)]
    secrets.SystemRandom().shuffle(phones)
    warm = offer(
        url,
        signed_requests(url=url, secret=secret, phone_number_id=phone_number_id, phones=phones, count=leads),
        rate=WARM_UP_RATE,
    )
    if warm.errors:
        raise RuntimeError(f"warm-up: {warm.errors} of {warm.scheduled} webhooks failed ({warm.error_samples})")
    rows = []
    for rate in rates:
        requests = signed_requests(
            url=url, secret=secret, phone_number_id=phone_number_id, phones=phones, count=round(rate * seconds)
        )
        before = cpu.stack_seconds(data_dir)
        result = offer(url, requests, rate=rate)
        used = cpu.since(before, cpu.stack_seconds(data_dir))
        served = stats.rate(result.completed, result.seconds)
        row: dict[str, object] = {
            "offered_per_second": rate,
            "messages_per_second": served,
            "seconds": round(result.seconds, 2),
            "sent": result.scheduled,
            "ok": result.completed,
            "errors": result.errors,
            "error_samples": result.error_samples,
            **stats.latency(result.latencies_ms),
            "cpu_us_per_message": {
                name: round(1e6 * spent / max(result.completed, 1)) for name, spent in sorted(used.items())
            },
            "generator_cpu_us_per_message": round(1e6 * result.generator_cpu_seconds / max(result.completed, 1)),
        }
        row["holds"] = (
            not result.errors and served >= HOLDS_SHARE * rate and float(row["p99_ms"]) < HOLDS_P99_MS  # type: ignore[arg-type]
        )
        rows.append(row)
        print(f"   offered {rate:g}/s: {served}/s, p99 {row['p99_ms']} ms, {result.errors} errors", flush=True)
    return rows


def summary(rows: list[dict[str, object]]) -> dict[str, object]:
    """The highest offered rate that held, and the first that didn't (the break point)."""
    held = [row for row in rows if row["holds"]]
    broke = next((row for row in rows if not row["holds"]), None)
    return {
        "sustained_per_second": max((float(row["messages_per_second"]) for row in held), default=0.0),  # type: ignore[arg-type]
        "breaks_at_offered": broke["offered_per_second"] if broke else None,
        "holds_when": f"0 errors, >= {HOLDS_SHARE:.0%} of the offered rate served, p99 < {HOLDS_P99_MS:g} ms",
    }

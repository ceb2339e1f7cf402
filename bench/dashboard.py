"""Dashboard list and ticket timeline through the gateway over HTTP, at 10k tickets / 200k messages."""

from __future__ import annotations

import random
import statistics
import time

import httpx

from bench.stats import percentile

PREFIX = "/api/demo/vertice360-orquestador"


def _summary(name: str, latencies: list[float], errors: int) -> dict[str, object]:
    return {
        "name": name,
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
    }


def measure(*, base_url: str, token: str, tenant: str, requests: int) -> list[dict[str, object]]:
    """Sequential requests (one dashboard user) for each read path; latency percentiles per path."""
    headers = {"Authorization": f"Bearer {token}"}
    rows = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        first = client.get(f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 50})
        first.raise_for_status()
        tickets = [t["ticket_id"] for t in first.json()["tickets"]]
        cursor = first.json()["next_cursor"]
        deep = client.get(f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 200, "cursor": cursor})
        tickets += [t["ticket_id"] for t in deep.json()["tickets"]]
        paths = {
            "dashboard first page (50)": lambda: client.get(
                f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 50}
            ),
            "dashboard next page (cursor)": lambda: client.get(
                f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 50, "cursor": cursor}
            ),
            "dashboard filtered by stage": lambda: client.get(
                f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 50, "stage": "Visita confirmada"}
            ),
            "dashboard search by name": lambda: client.get(
                f"{PREFIX}/dashboard", params={"cliente": tenant, "limit": 50, "q": f"Lead {random.randint(1, 9999)}"}
            ),
            "ticket timeline (20 messages)": lambda: client.get(f"{PREFIX}/tickets/{random.choice(tickets)}"),
        }
        for name, call in paths.items():
            for _ in range(10):
                call()
            latencies: list[float] = []
            errors = 0
            for _ in range(requests):
                started = time.perf_counter()
                reply = call()
                if reply.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
            rows.append(_summary(name, latencies, errors))
    return rows

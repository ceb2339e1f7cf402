"""The benchmark command: starts a stack, runs the measurements, prints tables and writes JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import time
from pathlib import Path

from bench import dashboard, dataset
from bench.stack import RunningStack, v360_up
from bench.webhooks import webhook_benchmark


def _machine() -> dict[str, object]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    """Parses options, runs the benchmark, prints and saves the results."""
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--steps", default="1,4,16,32", help="webhooks: sender concurrency per step, comma separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="webhooks: duration of each step")
    parser.add_argument("--only", choices=["webhooks", "dashboard"], help="run one part only")
    parser.add_argument("--tickets", type=int, default=10_000, help="dashboard data set: tickets in one tenant")
    parser.add_argument("--messages-per-ticket", type=int, default=20, help="dashboard data set: messages each")
    parser.add_argument("--requests", type=int, default=300, help="dashboard: requests per read path")
    parser.add_argument(
        "--replicas",
        default="",
        help="webhooks once per replica plan, ';' separated, e.g. 'ingest=1;ingest=2' (default: one process each)",
    )
    parser.add_argument("--out", default="bench/results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    result: dict[str, object] = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": _machine()}

    plans = [plan.strip() for plan in args.replicas.split(";") if plan.strip()] or [""]
    for index, plan in enumerate(plans):
        with v360_up(extra_args=("--replicas", plan) if plan else ()) as stack:
            if args.only in (None, "webhooks"):
                print(f"\n== replicas: {plan or 'one process per service'}")
                rows = _webhooks(stack, steps=steps, seconds=args.seconds)
                result.setdefault("webhooks_by_replicas", {})[plan or "default"] = rows  # type: ignore[union-attr]
                result.setdefault("webhooks", rows)
            if args.only in (None, "dashboard") and index == 0:
                result["dashboard"] = _dashboard(
                    stack, tickets=args.tickets, per_ticket=args.messages_per_ticket, requests=args.requests
                )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nresults: {path}")
    return 0


def _webhooks(stack: RunningStack, *, steps: list[int], seconds: float) -> list[dict[str, object]]:
    secret = secrets.token_hex(16)
    phone_number_id = str(900000000000000 + secrets.randbelow(10**12))
    stack.v360(
        "tenant", "add", "bench-webhooks", "--meta-phone-number-id", phone_number_id, "--meta-app-secret", secret
    )
    rows = asyncio.run(
        webhook_benchmark(
            base_url=stack.url, secret=secret, phone_number_id=phone_number_id, steps=steps, seconds=seconds
        )
    )
    print("\nwebhook path (signed Meta text message -> gateway -> ingest -> Postgres -> 200)")
    print(f"{'senders':>8} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for row in rows:
        print(
            f"{row['concurrency']:>8} {row['messages_per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8} {row['max_ms']:>8} {row['errors']:>7}"
        )
    return rows


def _dashboard(stack: RunningStack, *, tickets: int, per_ticket: int, requests: int) -> dict[str, object]:
    tenant = "bench-dashboard"
    stack.v360("tenant", "add", tenant)
    database_url = json.loads((stack.data_dir / "stack.json").read_text())["database_url"]
    print(f"\ngenerating {tickets} tickets x {per_ticket} messages in tenant {tenant} ...")
    seconds = dataset.generate(database_url, tenant=tenant, tickets=tickets, messages_per_ticket=per_ticket)
    print(f"generated in {seconds:.1f} s")
    explained = dataset.plans(database_url, tenant=tenant)
    seq_scans = sorted(name for name, plan in explained.items() if "Seq Scan on messages" in plan)
    token = stack.v360("token", "--tenant", tenant, "--role", "admin")
    rows = dashboard.measure(base_url=stack.url, token=token, tenant=tenant, requests=requests)
    print(f"\ndashboard reads through the gateway ({tickets} tickets, {tickets * per_ticket} messages, one user)")
    print(f"{'read path':<32} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for row in rows:
        print(
            f"{row['name']:<32} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8} "
            f"{row['errors']:>7}"
        )
    print(f"sequential scans of messages in the query plans: {seq_scans or 'none'}")
    return {
        "tickets": tickets,
        "messages": tickets * per_ticket,
        "generate_seconds": round(seconds, 1),
        "reads": rows,
        "plans": explained,
        "seq_scans_of_messages": seq_scans,
    }

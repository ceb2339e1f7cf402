"""The benchmark command: starts a stack, runs the measurements, prints a table and writes JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import secrets
import time
from pathlib import Path

from bench.stack import v360_up
from bench.webhooks import webhook_benchmark


def _machine() -> dict[str, object]:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    """Parses options, runs the benchmark, prints and saves the results."""
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--steps", default="1,4,16,32", help="sender concurrency per step, comma separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each step")
    parser.add_argument("--out", default="bench/results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]

    secret = secrets.token_hex(16)
    phone_number_id = str(900000000000000 + secrets.randbelow(10**12))
    with v360_up() as stack:
        stack.v360(
            "tenant",
            "add",
            "bench-webhooks",
            "--meta-phone-number-id",
            phone_number_id,
            "--meta-app-secret",
            secret,
        )
        rows = asyncio.run(
            webhook_benchmark(
                base_url=stack.url, secret=secret, phone_number_id=phone_number_id, steps=steps, seconds=args.seconds
            )
        )

    print("\nwebhook path (signed Meta text message -> gateway -> ingest -> Postgres -> 200)")
    print(f"{'senders':>8} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for row in rows:
        print(
            f"{row['concurrency']:>8} {row['messages_per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8} {row['max_ms']:>8} {row['errors']:>7}"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": _machine(), "webhooks": rows}
    path = out / f"webhooks-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nresults: {path}")
    return 0

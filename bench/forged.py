"""Forged 1 MiB Meta webhooks: the gateway's CPU to reject one with a few tenants and with many.

The body names the Meta numbers of every tenant (up to the size), the worst a forger can do: the gateway
may only try the secrets that can apply to what a body names, so that count must stay bounded.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from pathlib import Path

import httpx

from bench import cpu
from libs.common.auth import SYSTEM_TENANT, Role, issue_token
from libs.common.clients import channel, metadata_for
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

BODY_BYTES = 1024 * 1024
# Rejecting a forgery may cost at most this much more with many tenants than with a few (issue #12).
MAX_RATIO = 1.5


def forged_body(phone_number_ids: list[str], *, size: int = BODY_BYTES) -> bytes:
    """A Meta envelope of text messages naming each number in turn, padded to about `size` bytes."""
    changes = []
    padding = "x" * 600
    total, n = 0, 0
    while total < size - 1024:
        pnid = phone_number_ids[n % len(phone_number_ids)]
        change = {
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "5491100000000", "phone_number_id": pnid},
                "messages": [
                    {"from": "5491155550000", "id": f"wamid.forged.{n}", "timestamp": "1767225600", "type": "text",
                     "text": {"body": padding}}
                ],
            },
        }  # fmt: skip
        encoded = json.dumps(change)
        changes.append(encoded)
        total += len(encoded) + 1
        n += 1
    entry = '{"id": "1", "changes": [' + ",".join(changes) + "]}"
    return ('{"object": "whatsapp_business_account", "entry": [' + entry + "]}").encode()


async def add_tenants(*, target: str, secret: str, count: int, run: str, start: int) -> list[str]:
    """Creates `count` tenants with their own Meta number and app secret; returns the numbers."""
    chan = channel(target)
    stub = ingest_pb2_grpc.IngestServiceStub(chan)
    metadata = metadata_for(issue_token(secret, tenant=SYSTEM_TENANT, role=Role.SERVICE))
    gate = asyncio.Semaphore(16)

    async def one(index: int) -> str:
        pnid = str(800000000000000 + int(run, 16) * 10_000 + index)
        tenant = ingest_pb2.Tenant(
            slug=f"forged-{run}-{index}",
            name=f"Forged {index}",
            meta_phone_number_id=pnid,
            meta_app_secret=secrets.token_hex(24),
        )
        async with gate:
            await stub.UpsertTenant(ingest_pb2.UpsertTenantRequest(tenant=tenant), metadata=metadata, timeout=30)
        return pnid

    try:
        return list(await asyncio.gather(*(one(start + i) for i in range(count))))
    finally:
        await chan.close()


async def _reject(url: str, body: bytes, count: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(count):
            headers["X-Hub-Signature-256"] = "sha256=" + secrets.token_hex(32)
            statuses[(await client.post("/webhooks/meta", content=body, headers=headers)).status_code] += 1
    return statuses


def forged_benchmark(
    *, base_url: str, data_dir: Path, target: str, secret: str, tenant_counts: list[int], requests: int
) -> dict[str, object]:
    """The gateway's CPU per forged 1 MiB webhook at each tenant count (tenants added between steps)."""
    run = secrets.token_hex(2)
    numbers: list[str] = []
    rows = []
    for count in sorted(tenant_counts):
        if count > len(numbers):
            numbers += asyncio.run(
                add_tenants(target=target, secret=secret, count=count - len(numbers), run=run, start=len(numbers))
            )
        body = forged_body(numbers)
        # The first forgery may find the tenant cache stale and fetch the list; the steps measure the rest.
        asyncio.run(_reject(base_url, body, 2))
        before = cpu.stack_seconds(data_dir)
        statuses = asyncio.run(_reject(base_url, body, requests))
        used = cpu.since(before, cpu.stack_seconds(data_dir))
        rows.append(
            {
                "tenants": count,
                "named_numbers": len(set(numbers)),
                "requests": requests,
                "statuses": {str(code): n for code, n in sorted(statuses.items())},
                "gateway_cpu_ms_per_request": round(1000 * used.get("gateway", 0.0) / requests, 2),
                "ingest_cpu_ms_per_request": round(1000 * used.get("ingest", 0.0) / requests, 2),
            }
        )
    first, last = rows[0]["gateway_cpu_ms_per_request"], rows[-1]["gateway_cpu_ms_per_request"]
    ratio = round(float(last) / float(first), 2) if first else None
    return {
        "body_bytes": len(forged_body(numbers)),
        "rows": rows,
        "ratio": ratio,
        "holds": ratio is not None and ratio <= MAX_RATIO,
    }

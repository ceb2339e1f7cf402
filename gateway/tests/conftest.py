"""Fixtures of the gateway tests: the app in front of in-process fake services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.tests.builders import make_settings
from gateway.tests.fakes import FakeServices


@dataclass
class Stack:
    """The gateway app with its lifespan running, an HTTP client on it, and the fakes behind it."""

    app: FastAPI
    client: httpx.AsyncClient
    services: FakeServices
    settings: GatewaySettings


@pytest.fixture
async def services() -> AsyncIterator[FakeServices]:
    fakes = FakeServices()
    await fakes.start()
    try:
        yield fakes
    finally:
        await fakes.stop()


@pytest.fixture
async def stack(services: FakeServices) -> AsyncIterator[Stack]:
    settings = make_settings(services.target)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Stack(app=app, client=client, services=services, settings=settings)

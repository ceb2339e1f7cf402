"""The console served over real HTTP on loopback in front of the session stack, and Debian's Chromium to drive it."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from console.main import create_app
from console.settings import ConsoleSettings
from devstack.whatsapp import meta_message, signed
from tests.support.gateway import Api
from tests.support.servers import ROOT
from tests.support.stack import Stack, free_port
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

CHROMIUM = os.environ.get("V360_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots for people to look at (ignored by git): `make test` leaves them here.
ARTIFACTS = ROOT / "test-artifacts" / "console"
PASSWORD = "contraseña-de-prueba"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


@dataclass
class Shop:
    """A tenant with a WhatsApp channel, a team with passwords, and projects."""

    slug: str
    phone_number_id: str
    app_secret: str
    users: dict[str, supervisor_pb2.User] = field(default_factory=dict)

    def email(self, role: str) -> str:
        return f"{role}@{self.slug}.test"


@dataclass
class Console:
    url: str
    stack: Stack
    api: Api

    async def webhook(self, shop: Shop, **message: Any) -> bytes:
        """Posts a signed Meta webhook through the real gateway; returns the body sent."""
        body = meta_message(phone_number_id=shop.phone_number_id, **message)
        raw, headers = signed(body, app_secret=shop.app_secret)
        response = await self.api.client.post("/webhooks/meta", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        return raw


async def new_shop(stack: Stack) -> Shop:
    """A tenant with its own Meta number and secret, three users (agent, supervisor, admin), three projects."""
    phone_number_id = str(10**14 + secrets.randbelow(9 * 10**14))
    app_secret = "secret-" + secrets.token_hex(8)
    slug = await stack.new_tenant(
        name="Desarrollos Río", region="AR", meta_phone_number_id=phone_number_id, meta_app_secret=app_secret
    )
    shop = Shop(slug=slug, phone_number_id=phone_number_id, app_secret=app_secret)
    md = stack.md(slug)
    for code, name in (("PALERMO", "Palermo Soho Residences"), ("NUNEZ", "Núñez Río Lofts")):
        await stack.ingest.UpsertProject(
            ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code=code, name=name)), metadata=md
        )
    people = (
        ("agent", "Martín Pereyra", supervisor_pb2.ROLE_AGENT),
        ("supervisor", "Valeria Gómez", supervisor_pb2.ROLE_SUPERVISOR),
        ("admin", "Ana Admin", supervisor_pb2.ROLE_ADMIN),
    )
    for role, name, value in people:
        reply = await stack.supervisor.UpsertUser(
            supervisor_pb2.UpsertUserRequest(
                user=supervisor_pb2.User(name=name, email=shop.email(role), role=value, active=True), password=PASSWORD
            ),
            metadata=md,
        )
        shop.users[role] = reply.user
    return shop


@pytest.fixture(scope="session")
async def console(stack: Stack, api: Api) -> AsyncIterator[Console]:
    """The console app served by uvicorn on a free loopback port."""
    port = free_port()
    settings = ConsoleSettings(
        **{
            "REDIS_URL": stack.env["REDIS_URL"],
            "DATABASE_URL": stack.env["DATABASE_URL"],
            "V360_AUTH_SECRET": stack.secret,
            "INGEST_TARGET": stack.targets["ingest"],
            "VISITS_TARGET": stack.targets["visits"],
            "SUPERVISOR_TARGET": stack.targets["supervisor"],
            "CONSOLE_SECURE_COOKIES": False,
            "CONSOLE_USER_CHECK_SECONDS": 1,
            # Every test logs in from 127.0.0.1; the per-email budget is what the throttle test checks.
            "CONSOLE_LOGIN_ATTEMPTS_PER_IP": 100_000,
        }
    )
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Console(url=f"http://127.0.0.1:{port}", stack=stack, api=api)
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (installed by `make browser`, never downloaded by the test tool)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def shop(stack: Stack) -> Shop:
    """A fresh tenant for one test."""
    return await new_shop(stack)


@dataclass
class Tab:
    """A browser page that records console errors; the test fails if any appear."""

    page: Page
    errors: list[str]
    console: Console

    async def login(self, shop: Shop, role: str = "agent") -> None:
        await self.page.goto(f"{self.console.url}/login")
        await self.page.get_by_label("Empresa").fill(shop.slug)
        await self.page.get_by_label("Email").fill(shop.email(role))
        await self.page.get_by_label("Contraseña").fill(PASSWORD)
        await self.page.get_by_role("button", name="Ingresar").click()
        await self.page.wait_for_url(f"{self.console.url}/inbox")

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=False)
        return path


async def open_tab(browser: Browser, console: Console, *, viewport: dict[str, int] = LAPTOP) -> Tab:
    """A new browser context (own cookies) with one page."""
    context = await browser.new_context(viewport=viewport, locale="es-AR", timezone_id="America/Argentina/Buenos_Aires")
    page = await context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return Tab(page=page, errors=errors, console=console)


@pytest.fixture
async def tab(browser: Browser, console: Console) -> AsyncIterator[Tab]:
    """A logged-out laptop-sized page; no browser console errors allowed."""
    opened = await open_tab(browser, console)
    try:
        yield opened
    finally:
        await opened.page.context.close()
    assert opened.errors == []

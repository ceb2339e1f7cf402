"""The console over HTTP: sessions, CSRF, the login throttle, tenant isolation, the live feed's catch-up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.console.conftest import PASSWORD, Console, Shop, new_shop
from vertice360.supervisor.v1 import supervisor_pb2

pytestmark = pytest.mark.integration
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def signed_in(console: Console, shop: Shop, role: str = "agent") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client holding a session of `role` in `shop`."""
    async with httpx.AsyncClient(base_url=console.url, timeout=15) as client:
        form = await client.get("/login")
        token = CSRF_INPUT.search(form.text)
        assert token
        response = await client.post(
            "/login",
            data={"cliente": shop.slug, "email": shop.email(role), "password": PASSWORD, "csrf": token.group(1)},
        )
        assert response.status_code == 303 and response.headers["location"] == "/inbox", response.text
        yield client


def csrf_of(page: httpx.Response) -> str:
    found = CSRF_INPUT.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def test_the_session_cookie_is_httponly_samesite_and_never_in_a_url(console: Console, shop: Shop) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=15) as client:
        form = await client.get("/login")
        response = await client.post(
            "/login",
            data={"cliente": shop.slug, "email": shop.email("agent"), "password": PASSWORD, "csrf": csrf_of(form)},
        )
        cookie = response.headers["set-cookie"]
        session_id = client.cookies["v360_session"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        inbox = await client.get("/inbox")
        assert inbox.status_code == 200
        assert session_id not in inbox.text and session_id not in response.headers["location"]
        assert inbox.headers["content-security-policy"].startswith("default-src 'self'")
        assert inbox.headers["cache-control"] == "no-store"


async def test_state_changes_without_the_csrf_token_are_refused(console: Console, shop: Shop) -> None:
    await console.webhook(shop, from_phone="5491155550201", name="Pablo", text="hola")
    async with signed_in(console, shop) as client:
        page = await client.get("/inbox")
        ticket_id = re.search(r'id="row-([0-9a-f-]{36})"', page.text).group(1)  # type: ignore[union-attr]
        refused = await client.post(f"/tickets/{ticket_id}/notes", data={"text": "x", "key": "abcdefgh1234"})
        assert refused.status_code == 403
        forged = await client.post(
            f"/tickets/{ticket_id}/notes", data={"text": "x", "key": "abcdefgh1234", "csrf": "forged"}
        )
        assert forged.status_code == 403
        logout = await client.post("/logout")
        assert logout.status_code == 403
        timeline = await client.get(f"/tickets/{ticket_id}/timeline")
        assert "Nota interna" not in timeline.text
        accepted = await client.post(
            f"/tickets/{ticket_id}/notes",
            data={"text": "llamar a la tarde", "key": "abcdefgh1234"},
            headers={"X-CSRF-Token": csrf_of(page), "HX-Request": "true"},
        )
        assert accepted.status_code == 200
        timeline = await client.get(f"/tickets/{ticket_id}/timeline")
        assert "llamar a la tarde" in timeline.text and "Nota interna" in timeline.text


async def test_another_tenants_ticket_is_not_found(console: Console, shop: Shop) -> None:
    other = await new_shop(console.stack)
    await console.webhook(other, from_phone="5491155550202", name="Secreto Ajeno", text="dato privado")
    async with signed_in(console, other) as client:
        page = await client.get("/inbox")
        ticket_id = re.search(r'id="row-([0-9a-f-]{36})"', page.text).group(1)  # type: ignore[union-attr]
    async with signed_in(console, shop) as client:
        inbox = await client.get("/inbox")
        assert "Secreto Ajeno" not in inbox.text
        stolen = await client.get(f"/tickets/{ticket_id}")
        assert stolen.status_code == 404
        assert "Secreto Ajeno" not in stolen.text and "dato privado" not in stolen.text
        fragment = await client.get(f"/tickets/{ticket_id}/timeline")
        assert fragment.status_code == 404 and "dato privado" not in fragment.text


async def test_the_login_form_is_throttled_per_email(console: Console, shop: Shop) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=15) as client:
        statuses = []
        for _ in range(6):
            form = await client.get("/login")
            response = await client.post(
                "/login",
                data={
                    "cliente": shop.slug,
                    "email": shop.email("agent"),
                    "password": "wrong-pass",
                    "csrf": csrf_of(form),
                },
            )
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429]
        assert "Demasiados intentos" in response.text
        form = await client.get("/login")
        correct = await client.post(
            "/login",
            data={"cliente": shop.slug, "email": shop.email("agent"), "password": PASSWORD, "csrf": csrf_of(form)},
        )
        assert correct.status_code == 429
        form = await client.get("/login")
        other = await client.post(
            "/login",
            data={"cliente": shop.slug, "email": shop.email("admin"), "password": PASSWORD, "csrf": csrf_of(form)},
        )
        assert other.status_code == 303


async def test_a_deactivated_user_is_signed_out_of_pages_and_live_feeds(console: Console, shop: Shop) -> None:
    async with signed_in(console, shop) as client:
        assert (await client.get("/inbox")).status_code == 200
        async with client.stream("GET", "/feed") as feed:
            lines = feed.aiter_lines()
            agent = shop.users["agent"]
            await console.stack.supervisor.UpsertUser(
                supervisor_pb2.UpsertUserRequest(
                    user=supervisor_pb2.User(name=agent.name, email=agent.email, role=agent.role, active=False)
                ),
                metadata=console.stack.md(shop.slug),
            )
            # The feed checks the user every CONSOLE_USER_CHECK_SECONDS (1 s here) and says so before closing.
            async with asyncio.timeout(20):
                async for line in lines:
                    if "data-signout" in line:
                        break
        page = await client.get("/inbox")
        assert page.status_code == 303 and page.headers["location"] == "/login"


async def read_events(lines: AsyncIterator[str], *, until: str) -> list[tuple[str, str]]:
    """(id, data) of SSE events read until one whose data contains `until`."""
    events: list[tuple[str, str]] = []
    event_id, data = "", []
    async for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and (event_id or data):
            events.append((event_id, "\n".join(data)))
            if until in events[-1][1]:
                return events
            event_id, data = "", []
    return events


async def test_a_reconnecting_page_gets_what_it_missed_by_last_event_id(console: Console, shop: Shop) -> None:
    async with signed_in(console, shop) as client:
        async with client.stream("GET", "/feed") as feed:
            lines = feed.aiter_lines()
            await console.webhook(shop, from_phone="5491155550301", name="Primera Vez", text="uno")
            async with asyncio.timeout(15):
                seen = await read_events(lines, until="Primera Vez")
        last_id = seen[-1][0]
        assert re.fullmatch(r"[0-9a-f]+\.\d+", last_id)
        # Disconnected: two leads write meanwhile.
        await console.webhook(shop, from_phone="5491155550302", name="Segunda Vez", text="dos")
        await console.webhook(shop, from_phone="5491155550303", name="Tercera Vez", text="tres")
        async with client.stream("GET", "/feed", headers={"Last-Event-ID": last_id}) as feed:
            async with asyncio.timeout(15):
                caught_up = await read_events(feed.aiter_lines(), until="Tercera Vez")
        text = "".join(data for _, data in caught_up)
        assert "Segunda Vez" in text and "Primera Vez" not in text
        assert all(
            int(event_id.partition(".")[2]) > int(last_id.partition(".")[2]) for event_id, _ in caught_up if event_id
        )
        # A position the console can't replay (another process, or lost): the page is told to reload.
        async with client.stream("GET", "/feed", headers={"Last-Event-ID": "deadbeef.3"}) as feed:
            async with asyncio.timeout(15):
                reloaded = await read_events(feed.aiter_lines(), until="data-resync")
        assert "data-resync" in reloaded[-1][1]

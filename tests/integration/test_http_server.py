"""The HTTP server's own limits, against the real gateway process (uvicorn + httptools) in front of the stack."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.gateway_process import GatewayProcess, gateway_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

MAX_CONCURRENCY = 12
PER_ADDRESS = 3
# The one peer whose X-Forwarded-For this server believes; any other loopback address is a plain client.
PROXY = "127.0.0.2"
# A bound for the test to fail on, not a speed expectation: the server's deadlines are 1 s.
GIVE_UP_SECONDS = 30


@pytest.fixture(scope="module")
async def server(stack: Stack) -> AsyncIterator[GatewayProcess]:
    """One gateway process with short read deadlines and a small concurrency cap."""
    async with gateway_process(
        stack,
        HTTP_HEADER_TIMEOUT_SECONDS="1",
        HTTP_BODY_TIMEOUT_SECONDS="1",
        HTTP_MAX_CONCURRENCY=str(MAX_CONCURRENCY),
        TRUSTED_PROXIES=PROXY,
        RATE_LIMIT_PER_IP=str(PER_ADDRESS),
        RATE_LIMIT_WINDOW_SECONDS="3600",
    ) as running:
        yield running


async def _connect(server: GatewayProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def _status_line(reader: asyncio.StreamReader) -> bytes:
    """The response's status line, or b"" when the server closed without answering."""
    return (await reader.readline()).strip()


async def test_a_multi_megabyte_header_gets_431_early_and_others_are_served(server: GatewayProcess) -> None:
    reader, writer = await _connect(server)
    total, sent = 16 * 1024 * 1024, 0
    chunk = b"a" * 65536

    async def flood() -> None:
        nonlocal sent
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Padding: ")
        while sent < total:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)

    flooding = asyncio.create_task(flood())
    async with asyncio.timeout(GIVE_UP_SECONDS):
        status = await _status_line(reader)
        # Another connection is answered meanwhile.
        async with httpx.AsyncClient(base_url=server.url, timeout=GIVE_UP_SECONDS) as client:
            assert (await client.get("/healthz")).status_code == 200
        with contextlib.suppress(ConnectionError, OSError):
            await flooding
    writer.close()
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
    # Refused long before the header ended: the server stopped reading and the flood hit a closed socket.
    assert sent < total


async def test_headers_just_over_the_limit_in_one_read_get_431(server: GatewayProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=GIVE_UP_SECONDS) as client:
        refused = await client.get("/healthz", headers={"X-Padding": "a" * 40_000})
        accepted = await client.get("/healthz", headers={"X-Padding": "a" * 8_000})
    assert refused.status_code == 431
    assert accepted.status_code == 200


async def test_a_connection_trickling_its_headers_is_closed(server: GatewayProcess) -> None:
    reader, writer = await _connect(server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n")
    trickled = 0
    async with asyncio.timeout(GIVE_UP_SECONDS):
        while True:
            writer.write(b"X")
            await writer.drain()
            trickled += 1
            try:
                # Paced by the server's answer: the next byte goes when this one got none.
                status = await asyncio.wait_for(_status_line(reader), timeout=0.2)
                break
            except TimeoutError:
                continue
    writer.close()
    assert status == b"HTTP/1.1 408 Request Timeout"


async def test_a_connection_trickling_its_body_is_closed(server: GatewayProcess) -> None:
    reader, writer = await _connect(server)
    writer.write(
        b"POST /webhooks/meta HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    async with asyncio.timeout(GIVE_UP_SECONDS):
        while True:
            try:
                writer.write(b" ")
                await writer.drain()
            except (ConnectionError, OSError):
                break
            try:
                if await asyncio.wait_for(reader.read(), timeout=0.2) == b"":
                    break
            except TimeoutError:
                continue
    writer.close()
    assert reader.at_eof()


async def test_past_the_concurrency_cap_requests_get_503_and_service_resumes(server: GatewayProcess) -> None:
    idle = [await _connect(server) for _ in range(MAX_CONCURRENCY)]
    async with httpx.AsyncClient(base_url=server.url, timeout=GIVE_UP_SECONDS) as client:
        refused = await client.get("/healthz")
        for _, writer in idle:
            writer.close()
            await writer.wait_closed()
        # The server notices the closed connections on its next loop turn: a few refusals may come first.
        async with asyncio.timeout(GIVE_UP_SECONDS):
            statuses = [(await client.get("/healthz", headers={"Connection": "close"})).status_code]
            while statuses[-1] != 200:
                statuses.append((await client.get("/healthz", headers={"Connection": "close"})).status_code)
        assert set(statuses) <= {503, 200}
    assert refused.status_code == 503


async def test_metrics_are_served_on_their_own_port_not_the_public_one(server: GatewayProcess) -> None:
    async with httpx.AsyncClient(timeout=GIVE_UP_SECONDS) as client:
        public = await client.get(f"{server.url}/metrics")
        private = await client.get(server.metrics_url)
    assert public.status_code == 404
    assert private.status_code == 200
    assert "v360_http_request_duration_seconds_count" in private.text


def _access_statuses(server: GatewayProcess, method: str) -> list[str]:
    return [
        line["status"]
        for line in server.log_lines()
        if line.get("logger") == "gateway.access" and line.get("method") == method
    ]


async def test_a_client_hanging_up_mid_body_is_logged_and_counted_as_499_not_500(server: GatewayProcess) -> None:
    before = _access_statuses(server, "PUT")
    _, writer = await _connect(server)
    writer.write(
        b"PUT /webhooks/meta HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"entry": ['
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    # Counted and logged together once the server saw the hang-up; each look is a scrape.
    async with asyncio.timeout(GIVE_UP_SECONDS):
        while not await server.metric("v360_http_request_duration_seconds_count", method="PUT"):
            pass
    assert await server.metric("v360_http_request_duration_seconds_count", method="PUT", status_code="499") == 1
    assert await server.metric("v360_http_request_duration_seconds_count", method="PUT", status_code="500") == 0
    assert _access_statuses(server, "PUT")[len(before) :] == ["499"]
    assert not [line for line in server.log_lines() if line.get("level") == "error"]


async def _statuses_per_forwarded_address(server: GatewayProcess, *, source: str) -> list[int]:
    """Dashboard calls from `source`, each claiming another client in X-Forwarded-For."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    # Fresh addresses each run: budgets last an hour in a Redis other runs may share.
    network = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=GIVE_UP_SECONDS) as client:
        return [
            (
                await client.get(
                    "/api/demo/vertice360-orquestador/bootstrap",
                    headers={"X-Forwarded-For": f"198.51.100.7, {network}.{i}"},
                )
            ).status_code
            for i in range(PER_ADDRESS + 2)
        ]


async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(server: GatewayProcess) -> None:
    # A direct client, loopback included, can't escape its budget by claiming other addresses (earlier
    # runs sharing this Redis may have spent some of 127.0.0.1's budget already)...
    direct = await _statuses_per_forwarded_address(server, source="127.0.0.1")
    assert direct.count(401) <= PER_ADDRESS
    assert direct[-2:] == [429, 429]
    # ...while behind the trusted proxy each forwarded client has its own.
    proxied = await _statuses_per_forwarded_address(server, source=PROXY)
    assert proxied == [401] * (PER_ADDRESS + 2)

"""The console under load: inbox server time at 10k tickets / 200k messages, and live feeds under webhooks.

Inbox: one signed-in user, sequential requests for each page or fragment the inbox serves; the time is the
client's on loopback (the console's own work plus its calls to ingest and supervisor).

Live: `--live-pages` Server-Sent Events connections (one process of readers, `python -m bench.console
readers`, separate from the console and the sender) on one console process, while signed Meta webhooks go
through the gateway at `--live-rate` messages per second, open loop. Every message carries a marker in its
text; the readers note when each marker reaches each page. Message-to-screen latency runs from the moment the
webhook was sent to the arrival of the event carrying it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.stats import latency
from devstack.whatsapp import meta_message, signed

MARKER = re.compile(rb"bench-m(\d+)-")
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


def login(client: httpx.Client, *, tenant: str, email: str, password: str) -> None:
    """Signs `client` in through the login form."""
    form = client.get("/login")
    token = CSRF_INPUT.search(form.text)
    if token is None:
        raise RuntimeError("no login form")
    response = client.post(
        "/login", data={"cliente": tenant, "email": email, "password": password, "csrf": token.group(1)}
    )
    if response.status_code != 303:
        raise RuntimeError(f"console login failed: {response.status_code}")


def inbox_times(*, console_url: str, tenant: str, email: str, password: str, requests: int) -> list[dict[str, object]]:
    """Sequential requests per inbox page or fragment; latency percentiles per path."""
    with httpx.Client(base_url=console_url, timeout=30, follow_redirects=False) as client:
        login(client, tenant=tenant, email=email, password=password)
        page = client.get("/inbox")
        page.raise_for_status()
        tickets = re.findall(r'id="row-([0-9a-f-]{36})"', page.text)
        cursor = re.search(r'hx-get="/inbox/rows\?cursor=([^"&]+)', page.text)
        next_rows = f"/inbox/rows?cursor={cursor.group(1)}" if cursor else "/inbox/rows"
        paths = {
            "inbox page (50 rows, funnel)": lambda: client.get("/inbox"),
            "inbox, next rows (cursor)": lambda: client.get(next_rows.replace("&amp;", "&")),
            "inbox, stage filter": lambda: client.get("/inbox/list", params={"stage": "Visita confirmada"}),
            "inbox, oldest waiting first": lambda: client.get("/inbox/list", params={"order": "waiting"}),
            "inbox, unread + closed window": lambda: client.get(
                "/inbox/list", params={"unread": "1", "window": "closed"}
            ),
            "inbox, search by name": lambda: client.get(
                "/inbox/list", params={"q": f"Lead {secrets.randbelow(9999) + 1}"}
            ),
            "ticket page (20 messages)": lambda: client.get(f"/tickets/{tickets[secrets.randbelow(len(tickets))]}"),
        }
        rows = []
        for name, call in paths.items():
            for _ in range(5):
                call()
            latencies: list[float] = []
            errors = 0
            for _ in range(requests):
                started = time.perf_counter()
                response = call()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1
            rows.append({"name": name, "requests": len(latencies) + errors, "errors": errors, **latency(latencies)})
        return rows


async def _reader(url: str, cookie: str, arrivals: dict[int, float], ready: asyncio.Event, count: list[int]) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET /feed HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: v360_session={cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"feed refused: {head[:200]!r}")
    count[0] += 1
    if count[0] == count[1]:
        ready.set()
    tail = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        now = time.time()
        data = tail + chunk
        for match in MARKER.finditer(data):
            arrivals.setdefault(int(match.group(1)), now)
        tail = data[-32:]


async def _readers(url: str, cookie: str, pages: int, seconds: float) -> list[dict[str, float]]:
    per_page: list[dict[int, float]] = [{} for _ in range(pages)]
    ready = asyncio.Event()
    count = [0, pages]
    tasks = [asyncio.create_task(_reader(url, cookie, arrivals, ready, count)) for arrivals in per_page]
    await asyncio.wait_for(ready.wait(), 60)
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    return [{str(k): v for k, v in arrivals.items()} for arrivals in per_page]


async def _send(
    *, gateway_url: str, phone_number_id: str, app_secret: str, rate: float, seconds: float, leads: int
) -> dict[int, float]:
    """Open loop: message n leaves at start + n / rate whatever the previous ones do; returns send times."""
    sent: dict[int, float] = {}
    total = int(rate * seconds)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, limits=httpx.Limits(max_connections=64)) as http:

        async def one(n: int) -> None:
            phone = f"54911{40_000_000 + n % leads}"
            body = meta_message(
                phone_number_id=phone_number_id,
                from_phone=phone,
                name=f"Lead {n % leads}",
                text=f"bench-m{n}- consulta por el 2 ambientes",
            )
            raw, headers = signed(body, app_secret=app_secret)
            sent[n] = time.time()
            response = await http.post("/webhooks/meta", content=raw, headers=headers)
            response.raise_for_status()

        started = time.monotonic()
        tasks = []
        for n in range(total):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return sent


def live_latency(
    *,
    console_url: str,
    gateway_url: str,
    tenant: str,
    email: str,
    password: str,
    phone_number_id: str,
    app_secret: str,
    pages: int,
    rate: float,
    seconds: float,
    workdir: Path,
) -> dict[str, object]:
    """`pages` live feeds on one console process while webhooks arrive at `rate`/s; message-to-screen latency."""
    with httpx.Client(base_url=console_url, timeout=30) as client:
        login(client, tenant=tenant, email=email, password=password)
        cookie = client.cookies["v360_session"]
        client.get("/inbox").raise_for_status()
    out = workdir / f"live-{secrets.token_hex(4)}.json"
    readers = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.console",
            "readers",
            "--url",
            console_url,
            "--pages",
            str(pages),
            "--seconds",
            str(seconds + 8),
            "--out",
            str(out),
        ],
        # The session id goes by environment, never on a command line.
        env={**os.environ, "V360_BENCH_SESSION": cookie},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert readers.stdout is not None
        if readers.stdout.readline().strip() != "ready":
            raise RuntimeError("the feed readers did not connect")
        sent = asyncio.run(
            _send(
                gateway_url=gateway_url,
                phone_number_id=phone_number_id,
                app_secret=app_secret,
                rate=rate,
                seconds=seconds,
                leads=500,
            )
        )
        if readers.wait(timeout=seconds + 60) != 0:
            raise RuntimeError("the feed readers failed")
    finally:
        if readers.poll() is None:
            readers.kill()
    arrivals: list[dict[str, float]] = json.loads(out.read_text())
    latencies = [(page[str(n)] - at) * 1000 for page in arrivals for n, at in sent.items() if str(n) in page]
    expected = len(sent) * pages
    return {
        "pages": pages,
        "offered_per_second": rate,
        "seconds": seconds,
        "messages": len(sent),
        "deliveries_expected": expected,
        "deliveries_seen": len(latencies),
        "missing": expected - len(latencies),
        **latency(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.console readers ...`: the live feed readers, a process of their own."""
    parser = argparse.ArgumentParser(prog="python -m bench.console")
    parser.add_argument("command", choices=["readers"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    cookie = os.environ["V360_BENCH_SESSION"]
    arrivals = asyncio.run(_readers(args.url, cookie, args.pages, args.seconds))
    args.out.write_text(json.dumps(arrivals))
    return 0


if __name__ == "__main__":
    sys.exit(main())

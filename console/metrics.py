"""Prometheus series of the console, served on its own `/metrics`."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_LATENCY = Histogram(
    "v360_console_request_duration_seconds",
    "Time to answer one console request (pages, fragments, actions; not the live feed), by route and status.",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
)
LIVE_PAGES = Gauge("v360_console_live_pages", "Open pages listening to the live feed in this process.")
LIVE_EVENTS = Counter(
    "v360_console_feed_changes_total", "Changes received from the services' streams, by source.", ["source"]
)
RESYNCS = Counter("v360_console_feed_resyncs_total", "Pages told to reload because changes may have been missed.")


class LatencyMiddleware:
    """Observes each request's latency by route template (the raw path holds ticket ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ("/feed", "/metrics", "/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "<unmatched>")
            PAGE_LATENCY.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)

"""ASGI middleware: a hard cap on request bodies, and latency metrics plus an access log by route template."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import CLIENT_CLOSED, error_response, route_template
from gateway.metrics import HTTP_LATENCY

access_log = logging.getLogger("gateway.access")


class BodyLimitMiddleware:
    """Reads the whole body up front, refusing it with 413 as soon as it is larger than the limit.

    Both the declared Content-Length and the bytes actually received are checked, so a client
    that lies about (or omits) the length still can't make the gateway buffer more than the limit.
    Downstream, `await request.body()` returns the buffered bytes unchanged (webhook signatures
    are computed over exactly these).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                declared_bytes = int(declared)
            except ValueError:
                await error_response(status=400, message="invalid Content-Length")(scope, receive, send)
                return
            if declared_bytes > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(status=413, message=f"request body larger than {self.max_body_bytes} bytes")
        await response(scope, receive, send)


class MetricsMiddleware:
    """Observes every request's latency by method, route template and status, and writes one access line.

    A client that hangs up before the answer is counted and logged as 499 (nginx's "client closed
    request"), not as a server error.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        disconnected = False

        async def receive_and_watch() -> Message:
            nonlocal disconnected
            message = await receive()
            disconnected = disconnected or message["type"] == "http.disconnect"
            return message

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_and_watch, send_and_record)
        finally:
            # Unanswered: the client left, or the app raised before answering (ServerErrorMiddleware sends 500).
            answered = status if status is not None else CLIENT_CLOSED if disconnected else 500
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            HTTP_LATENCY.labels(scope["method"], route, str(answered)).observe(elapsed)
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                route,
                answered,
                elapsed * 1000,
                extra={"fields": {"method": scope["method"], "route": route, "status": answered}},
            )

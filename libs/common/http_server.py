"""How every HTTP deployable serves: uvicorn on httptools with bounded headers, read timeouts and a concurrency cap."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any, ClassVar

import uvicorn
from pydantic import AliasChoices, Field, field_validator
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from libs.common.metrics import serve_metrics
from libs.common.settings import CommonSettings


class HttpServerSettings(CommonSettings):
    """Limits every HTTP deployable (gateway, console) applies to its clients, read from the same variables."""

    # Request line plus headers; httptools itself has no limit and copies a growing header on every read.
    http_max_header_bytes: int = Field(
        32 * 1024, ge=1024, le=1024 * 1024, validation_alias=AliasChoices("HTTP_MAX_HEADER_BYTES")
    )
    # From the connection (or the request's first byte) to the end of its headers; then 408 and close.
    http_header_timeout_seconds: float = Field(10.0, gt=0, validation_alias=AliasChoices("HTTP_HEADER_TIMEOUT_SECONDS"))
    # From the end of the headers to the end of the body; then the connection is closed.
    http_body_timeout_seconds: float = Field(30.0, gt=0, validation_alias=AliasChoices("HTTP_BODY_TIMEOUT_SECONDS"))
    # An idle keep-alive connection is closed after this long.
    http_keep_alive_seconds: int = Field(5, ge=1, validation_alias=AliasChoices("HTTP_KEEP_ALIVE_SECONDS"))
    # Open connections plus requests in flight; past it new requests get 503 at once.
    http_max_concurrency: int = Field(2000, ge=1, validation_alias=AliasChoices("HTTP_MAX_CONCURRENCY"))
    # Peers (IPs or CIDRs, comma-separated) whose X-Forwarded-For/-Proto are believed; empty trusts nobody.
    trusted_proxies: str = Field("", validation_alias=AliasChoices("TRUSTED_PROXIES"))

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from exc
        return ",".join(entries)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as uvicorn takes them."""
        return [entry for entry in self.trusted_proxies.split(",") if entry]


# How long a refused connection stays half-open so the client can read the refusal.
LINGER_SECONDS = 1.0


def _status(code: int, reason: str) -> bytes:
    body = reason.encode()
    return b"".join(
        [
            f"HTTP/1.1 {code} {reason}\r\n".encode(),
            b"content-type: text/plain; charset=utf-8\r\n",
            f"content-length: {len(body)}\r\n".encode(),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with what it lacks: a header size limit and header/body read deadlines.

    Subclasses made by `guarded_protocol` carry the limits. Header bytes are counted as they arrive,
    so a multi-megabyte header is refused after a few tens of KB instead of being buffered whole.
    """

    max_header_bytes: ClassVar[int] = 32 * 1024
    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Starts the header deadline: a connection that never sends its headers is closed."""
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drops the pending deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feeds the parser, refusing with 431 once the headers in progress pass the limit."""
        if self._refused:
            return
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.max_header_bytes and not self._refused:
            self._refuse(431, "Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        """A new request on a kept-alive connection gets its own header deadline."""
        super().on_message_begin()
        if self._deadline is None:
            self._arm(self.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        """Checks the exact header size (they may have arrived in one read), then starts the body deadline."""
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_header_bytes:
            self._refuse(431, "Request Header Fields Too Large")
            return
        self._reading_head = False
        self._head_bytes = 0
        self._arm(self.body_timeout, self._body_timed_out)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Ignores the body of a refused request."""
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        """The request is read: no deadline while the app answers (keep-alive takes over afterwards)."""
        if self._refused:
            return
        self._disarm()
        self._reading_head = True
        super().on_message_complete()

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self._refuse(408, "Request Timeout")

    def _body_timed_out(self) -> None:
        # The app may be waiting on the body: closing makes its receive() return http.disconnect.
        self._deadline = None
        self._refused = True
        if not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, code: int, reason: str) -> None:
        # Closing with unread input would reset the connection and lose the answer: send it, half-close,
        # stop reading (the sender's writes stall, it costs us nothing), and close a moment later.
        self._refused = True
        self.transport.write(_status(code, reason))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.pause_reading()
        self._arm(LINGER_SECONDS, self.transport.close)


def guarded_protocol(settings: HttpServerSettings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class carrying these settings' limits."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "max_header_bytes": settings.http_max_header_bytes,
            "header_timeout": settings.http_header_timeout_seconds,
            "body_timeout": settings.http_body_timeout_seconds,
        },
    )


def uvicorn_config(
    app: ASGIApp, settings: HttpServerSettings, *, host: str, port: int, grace_seconds: float
) -> uvicorn.Config:
    """The uvicorn configuration every HTTP deployable runs with."""
    trusted = settings.trusted_proxy_list
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(settings),
        # Our JSON logging, not uvicorn's; its access log would print raw paths, which may carry secrets
        # (a Gupshup callback token). The apps log route templates themselves.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(grace_seconds)),
        timeout_keep_alive=settings.http_keep_alive_seconds,
        limit_concurrency=settings.http_max_concurrency,
        # uvicorn would otherwise believe X-Forwarded-For from loopback (its default).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or [],
        lifespan="on",
        server_header=False,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """The HTTP socket, shareable: several processes may listen on one port, the kernel balancing them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve_http(
    app: ASGIApp,
    settings: HttpServerSettings,
    *,
    host: str,
    port: int,
    metrics_port: int,
    grace_seconds: float,
) -> None:
    """Serves `app` until SIGTERM/SIGINT, with /metrics on its own port (0 leaves it off)."""
    stop_metrics = serve_metrics(settings.metrics_host, metrics_port)
    try:
        config = uvicorn_config(app, settings, host=host, port=port, grace_seconds=grace_seconds)
        uvicorn.Server(config).run(sockets=[listening_socket(host, port)])
    finally:
        stop_metrics()

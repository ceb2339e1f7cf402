"""Runs the gateway: `python -m gateway` (uvicorn; SIGTERM drains requests, then closes channels)."""

from __future__ import annotations

import socket
import sys

import uvicorn
from pydantic import ValidationError

from gateway.main import create_app
from gateway.settings import GatewaySettings
from libs.common.logging import configure_logging
from libs.common.telemetry import configure_telemetry


def main() -> int:
    """Loads settings (failing fast on bad values) and serves until SIGTERM/SIGINT."""
    try:
        settings = GatewaySettings()
    except ValidationError as exc:
        print(f"gateway: bad settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging("gateway", level=settings.log_level, fmt=settings.log_format)
    configure_telemetry("gateway", settings)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # Our JSON logging, not uvicorn's; its access log would print raw paths, and a Gupshup
        # callback path carries the tenant's secret token. MetricsMiddleware logs route templates.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        lifespan="on",
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(settings.host, settings.port)])
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """The HTTP socket, shareable: several gateway processes may listen on one port, the kernel balancing them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


if __name__ == "__main__":
    sys.exit(main())

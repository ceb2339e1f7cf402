"""Runs the gateway: `python -m gateway` (uvicorn; SIGTERM drains requests, then closes channels)."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from gateway.main import create_app
from gateway.settings import GatewaySettings
from libs.common.http_server import serve_http
from libs.common.logging import configure_logging
from libs.common.telemetry import configure_telemetry


def main() -> int:
    """Loads settings (failing fast on bad values) and serves until SIGTERM/SIGINT."""
    try:
        settings = GatewaySettings()
        settings.require_auth_secret()
    except (ValidationError, ValueError) as exc:
        print(f"gateway: bad settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging("gateway", level=settings.log_level, fmt=settings.log_format)
    configure_telemetry("gateway", settings)
    serve_http(
        create_app(settings),
        settings,
        host=settings.host,
        port=settings.port,
        metrics_port=settings.metrics_port,
        grace_seconds=settings.shutdown_grace_seconds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

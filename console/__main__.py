"""Runs the console: `python -m console` (uvicorn; SIGTERM drains requests, then closes channels)."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from console.main import create_app
from console.settings import ConsoleSettings
from libs.common.http_server import serve_http
from libs.common.logging import configure_logging
from libs.common.telemetry import configure_telemetry


def main() -> int:
    """Loads settings (failing fast on bad values) and serves until SIGTERM/SIGINT."""
    try:
        settings = ConsoleSettings()
        settings.require_auth_secret()
    except (ValidationError, ValueError) as exc:
        print(f"console: bad settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging("console", level=settings.log_level, fmt=settings.log_format)
    configure_telemetry("console", settings)
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    # The same HTTP server limits as the gateway (libs/common/http_server.py); /metrics stays on its own route.
    serve_http(
        app,
        settings,
        host=settings.host,
        port=settings.port,
        metrics_port=0,
        grace_seconds=settings.shutdown_grace_seconds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs the console: `python -m console` (uvicorn; SIGTERM drains requests, then closes channels)."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from console.main import create_app
from console.settings import ConsoleSettings
from libs.common.logging import configure_logging
from libs.common.telemetry import configure_telemetry


def main() -> int:
    """Loads settings (failing fast on bad values) and serves until SIGTERM/SIGINT."""
    try:
        settings = ConsoleSettings()
    except ValidationError as exc:
        print(f"console: bad settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging("console", level=settings.log_level, fmt=settings.log_format)
    configure_telemetry("console", settings)
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        # Our JSON logging, not uvicorn's access log (paths may carry a ticket id, never a secret, but one format).
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        lifespan="on",
        server_header=False,
        proxy_headers=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

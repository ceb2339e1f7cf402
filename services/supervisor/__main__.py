"""Runs the supervisor service: `python -m services.supervisor [serve|migrate]`."""

import sys
from pathlib import Path

from libs.common.cli import run_service
from services.supervisor.settings import SupervisorSettings

if __name__ == "__main__":
    sys.exit(
        run_service(
            name="supervisor",
            settings_cls=SupervisorSettings,
            server_module="services.supervisor.server",
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

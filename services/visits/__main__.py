"""Runs the visits service: `python -m services.visits [serve|migrate]`."""

import sys
from pathlib import Path

from libs.common.cli import run_service
from services.visits.settings import VisitsSettings

if __name__ == "__main__":
    sys.exit(
        run_service(
            name="visits",
            settings_cls=VisitsSettings,
            server_module="services.visits.server",
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

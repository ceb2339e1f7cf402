"""Runs the ingest service: `python -m services.ingest [serve|migrate]`."""

import sys
from pathlib import Path

from libs.common.cli import run_service
from services.ingest.settings import IngestSettings

if __name__ == "__main__":
    sys.exit(
        run_service(
            name="ingest",
            settings_cls=IngestSettings,
            server_module="services.ingest.server",
            migrations_dir=Path(__file__).parent / "migrations",
        )
    )

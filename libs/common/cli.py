"""The command line every service shares: `python -m services.<name> [serve|migrate]`."""

from __future__ import annotations

import argparse
import importlib
import logging
from pathlib import Path
from typing import TypeVar

import uvloop
from pydantic import ValidationError

from libs.common.logging import configure_logging
from libs.common.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def run_service(
    *,
    name: str,
    settings_cls: type[S],
    server_module: str,
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> int:
    """Parses the command, loads settings (failing fast) and runs it; returns the exit code.

    Each command imports only what it needs (Alembic for `migrate`, gRPC for `serve`), which keeps
    the start of a stack short.
    """
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        settings = settings_cls()
        if args.command == "serve":
            settings.require_auth_secret()
    except (ValidationError, ValueError) as exc:
        print(f"{name}: bad settings:\n{exc}")
        return 2
    configure_logging(name, level=settings.log_level, fmt=settings.log_format)
    if args.command == "migrate":
        from libs.common.migrations import upgrade

        upgrade(migrations_dir, schema=name, database_url=settings.database_url)
        logging.getLogger(name).info("migrations applied")
        return 0
    uvloop.run(importlib.import_module(server_module).serve(settings))
    return 0

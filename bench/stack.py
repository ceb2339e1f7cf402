"""Starts `v360 up` as the README does, on free ports and a scratch data dir, for a benchmark."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

V360 = str(Path(sys.executable).with_name("v360"))


def interrupt_on_sigterm() -> None:
    """SIGTERM ends a run as Ctrl-C does (KeyboardInterrupt), so every `finally` that stops what it started runs.

    Python's default for SIGTERM is to die on the spot, which left the whole stack (`v360 up` runs in a
    session of its own) and the load generator running.
    """
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningStack:
    url: str
    data_dir: Path

    def state(self) -> dict[str, Any]:
        """The stack's stack.json: database_url, redis_url, gRPC targets, ..."""
        return json.loads((self.data_dir / "stack.json").read_text())

    def v360(self, *args: str) -> str:
        """Runs a `v360` subcommand against this stack and returns its output."""
        done = subprocess.run(
            [V360, *args, "--data-dir", str(self.data_dir)], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"v360 {args[0]} exited {done.returncode}: {done.stderr.strip()[-1000:]}")
        return done.stdout.strip()


def _status(data_dir: Path) -> str:
    """stack.json's status ("starting", then "running" once seeded: `v360 tenant add` needs that)."""
    try:
        return str(json.loads((data_dir / "stack.json").read_text()).get("status", ""))
    except (FileNotFoundError, ValueError):
        return ""


@contextmanager
def v360_up(
    *, extra_args: tuple[str, ...] = (), env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> Iterator[RunningStack]:
    """`v360 up` on a free port, with `env` added to ours, until the block ends (SIGTERM, then wait)."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="v360-bench-"))
    data_dir.chmod(0o755)
    log = (data_dir / "up.log").open("w")
    process = subprocess.Popen(
        [V360, "up", "--port", str(port), "--console-port", str(free_port()), "--data-dir", str(data_dir), *extra_args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"v360 up exited: {(data_dir / 'up.log').read_text()[-3000:]}")
            try:
                if (
                    httpx.get(f"{url}/readyz/dashboard", timeout=1).status_code == 200
                    and _status(data_dir) == "running"
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("stack not ready in time")
            time.sleep(0.25)
        yield RunningStack(url=url, data_dir=data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()

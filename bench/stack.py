"""Starts `v360 up` as the README does, on free ports and a scratch data dir, for a benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

V360 = str(Path(sys.executable).with_name("v360"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningStack:
    url: str
    data_dir: Path

    def v360(self, *args: str) -> str:
        """Runs a `v360` subcommand against this stack and returns its output."""
        done = subprocess.run(
            [V360, *args, "--data-dir", str(self.data_dir)], check=True, capture_output=True, text=True, timeout=60
        )
        return done.stdout.strip()


@contextmanager
def v360_up(*, extra_args: tuple[str, ...] = (), timeout: float = 120.0) -> Iterator[RunningStack]:
    """`v360 up` on a free port until the block ends (SIGTERM, then wait)."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="v360-bench-"))
    data_dir.chmod(0o755)
    log = (data_dir / "up.log").open("w")
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [V360, "up", "--port", str(port), "--data-dir", str(data_dir), *extra_args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"v360 up exited: {(data_dir / 'up.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200 and (data_dir / "stack.json").exists():
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

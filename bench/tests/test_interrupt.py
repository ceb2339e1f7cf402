"""`make bench` and `make chaos` stop every process they started when interrupted (SIGTERM, or Ctrl-C's SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.servers import ROOT

pytestmark = pytest.mark.e2e

START_SECONDS = 180.0


def descendants(pid: int) -> set[int]:
    """Every process below `pid` now (children in sessions of their own included: they keep their parent)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("command", "ready", "sig"),
    [
        (["-m", "bench.chaos", "--faults", "provider", "--messages", "4"], "stack ready", signal.SIGINT),
        # Python dies on the spot on SIGTERM unless told otherwise, and `v360 up` runs in a session of its own.
        (["-m", "bench", "--only", "dashboard", "--tickets", "50"], "== stack", signal.SIGTERM),
    ],
    ids=["chaos-sigint", "bench-sigterm"],
)
def test_an_interrupted_run_leaves_no_process_behind(
    command: list[str], ready: str, sig: signal.Signals, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, *command, "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + START_SECONDS
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if ready in line or time.monotonic() > deadline:
                break
        assert any(ready in line for line in seen), "".join(seen[-40:])
        started = descendants(process.pid)
        # Postgres, Redis, three services and the gateway at least, whoever started them.
        assert len(started) >= 6, started
        process.send_signal(sig)
        process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    left = sorted(pid for pid in started if running(pid))
    assert left == [], f"still running after {sig.name}: {left}"

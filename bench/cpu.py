"""CPU seconds each process of a running stack has used, read from /proc (Linux), to cost a step per message."""

from __future__ import annotations

import json
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def stack_seconds(data_dir: Path) -> dict[str, float]:
    """CPU seconds so far per process name in `stack.json` (replicas summed; Postgres with its backends)."""
    if not Path("/proc").is_dir():
        return {}
    used: dict[str, float] = {}
    for process in json.loads((data_dir / "stack.json").read_text())["processes"]:
        pid = int(process["pid"])
        spent = _seconds(pid)
        if process["name"] == "postgres":
            # Backends are short-lived children; the ones alive at both readings carry the step's work.
            spent += sum(_seconds(child) for child in _children(pid))
        used[process["name"]] = used.get(process["name"], 0.0) + spent
    return used


def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds used between two readings, per process name."""
    return {name: max(0.0, spent - before.get(name, 0.0)) for name, spent in after.items()}

"""The result table and the JSON file of a chaos run."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = (
    ("fault", "fault", 20),
    ("sent", "sent", 5),
    ("acknowledged", "acked", 6),
    ("stored", "stored", 6),
    ("duplicates", "dups", 5),
    ("lost", "lost", 5),
    ("sender_retries", "retries", 8),
    ("replies", "replies", 8),
    ("replies_sent_twice", "twice", 6),
    ("replies_lost", "r.lost", 7),
    ("visit_stage_ok", "visit", 6),
    ("taps_confirmed", "taps ok", 8),
    ("intake_ok", "intake up", 10),
    ("observed", "fault seen", 11),
    ("recovery_seconds", "back in s", 10),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ok" if value else "NO"
    return str(value)


def table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per fault: traffic sent and acknowledged, what was stored, duplicated and lost."""
    lines = ["  ".join(f"{title:<{width}}" if key == "fault" else f"{title:>{width}}" for key, title, width in COLUMNS)]
    for row in rows:
        lines.append(
            "  ".join(
                f"{_cell(row[key]):<{width}}" if key == "fault" else f"{_cell(row[key]):>{width}}"
                for key, _, width in COLUMNS
            )
        )
    return "\n".join(lines)


def problems(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every problem of every phase, prefixed by its fault."""
    found = [f"{row['fault']}: {problem}" for row in rows for problem in row["problems"]]
    found += [f"{row['fault']}: the fault was not observed" for row in rows if not row["observed"]]
    found += [f"{row['fault']}: replies and relays did not settle" for row in rows if not row["settled"]]
    found += [
        f"{row['fault']}: webhook intake was turned away ({row['sender_errors_in_fault']} failed tries, "
        f"/readyz {'ok' if row['intake_ready_in_fault'] else 'not ready'}) by a fault it does not depend on"
        for row in rows
        if row["intake_ok"] is False
    ]
    found += [
        f"{row['fault']}: {row['taps_confirmed']} of {row['taps'] // 2} tapped visits confirmed once"
        for row in rows
        if row["taps_confirmed"] != row["taps"] // 2
    ]
    return found


def write_json(out: Path, result: dict[str, Any]) -> Path:
    """Writes `result` to `<out>/chaos-<time>.json` and returns the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"chaos-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path

"""A PNG of the webhook steps: throughput and p99 latency against offered load, with the database ceiling."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def _load(row: Mapping[str, Any]) -> float:
    return float(row["offered_per_second"])


def webhook_series(result: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The webhook rows to draw, one series per replica plan (or the single `webhooks` list)."""
    by_plan = result.get("webhooks_by_replicas")
    if isinstance(by_plan, Mapping) and by_plan:
        return {str(plan): list(rows) for plan, rows in by_plan.items() if rows}
    rows = result.get("webhooks")
    return {"webhooks": list(rows)} if rows else {}


def plot(result: Mapping[str, Any], path: Path) -> Path | None:
    """Draws throughput (top) and p99 latency (bottom) per webhook step into `path`; None without webhook rows."""
    series = webhook_series(result)
    if not series:
        return None
    # The webhook steps send messages of known leads: the ceiling of that same transaction.
    measured = result.get("ceiling") or {}
    ceiling = measured.get("ceiling_known_lead") or measured.get("ceiling")
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 7), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (name, rows) in enumerate(series.items()):
        color = colors[index % len(colors)]
        points: Sequence[tuple[float, Mapping[str, Any]]] = sorted(
            ((_load(row), row) for row in rows), key=lambda point: point[0]
        )
        loads = [load for load, _ in points]
        top.plot(loads, [float(row["messages_per_second"]) for _, row in points], marker="o", color=color, label=name)
        p99 = [float(row["p99_ms"]) for _, row in points]
        p50 = [float(row["p50_ms"]) for _, row in points]
        bottom.plot(loads, p99, marker="o", color=color, label=f"{name} p99")
        bottom.plot(loads, p50, marker=".", linestyle=":", color=color, label=f"{name} p50")
        failed = [(load, float(row["messages_per_second"])) for load, row in points if row.get("errors")]
        if failed:
            top.scatter(*zip(*failed, strict=True), marker="x", color="red", zorder=3, label=f"{name}: errors")
    if ceiling:
        top.axhline(float(ceiling), color="black", linestyle="--", label=f"database ceiling {float(ceiling):.0f}/s")
        served = max(float(row["messages_per_second"]) for rows in series.values() for row in rows)
        if float(ceiling) > 5 * served:
            # On a linear axis the curve would be a flat line at the bottom, under a far-away ceiling.
            top.set_yscale("log")
    offered = [_load(row) for rows in series.values() for row in rows]
    ends = [min(offered), max(offered)]
    top.plot(ends, ends, color="grey", linewidth=0.8, linestyle=":", label="offered = served")
    top.set_ylabel("messages/s acknowledged")
    top.set_title("Signed Meta webhooks through the gateway")
    top.grid(True, alpha=0.3)
    top.legend(fontsize="small")
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("offered load (msg/s)")
    bottom.set_yscale("log")
    bottom.grid(True, which="both", alpha=0.3)
    bottom.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path

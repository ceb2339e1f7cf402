"""Latency percentiles and throughput of one measured step, as plain numbers for the JSON."""

from __future__ import annotations

import statistics


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest-rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def latency(latencies_ms: list[float], *, prefix: str = "") -> dict[str, float]:
    """p50, p95, p99 and max in ms, keys named `{prefix}p50_ms` and so on."""
    return {
        f"{prefix}p50_ms": round(statistics.median(latencies_ms), 2) if latencies_ms else 0.0,
        f"{prefix}p95_ms": round(percentile(latencies_ms, 0.95), 2),
        f"{prefix}p99_ms": round(percentile(latencies_ms, 0.99), 2),
        f"{prefix}max_ms": round(max(latencies_ms), 2) if latencies_ms else 0.0,
    }


def rate(count: int, seconds: float) -> float:
    """Operations per second, one decimal."""
    return round(count / seconds, 1) if seconds > 0 else 0.0

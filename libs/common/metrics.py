"""Prometheus series shared by every process; each process exposes them on its own port."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import AsyncConnectionPool

RPC_LATENCY = Histogram(
    "v360_grpc_server_handling_seconds",
    "Time to serve one RPC, by service, method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_ERRORS = Counter(
    "v360_grpc_server_unhandled_errors_total",
    "RPCs that ended in an unexpected exception (INTERNAL).",
    ["grpc_service", "grpc_method"],
)


class PoolCollector(Collector):
    """Connection pool usage read from psycopg_pool's own stats when Prometheus scrapes."""

    def __init__(self) -> None:
        self._pools: weakref.WeakSet[AsyncConnectionPool] = weakref.WeakSet()

    def track(self, pool: AsyncConnectionPool) -> None:
        """Reports `pool` from now on, while it is open."""
        self._pools.add(pool)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One sample per pool name (summed if a process holds several pools of one name, as tests do)."""
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for pool in list(self._pools):
            if pool.closed:
                continue
            stats = pool.get_stats()
            total = totals[pool.name]
            total["idle"] += stats.get("pool_available", 0)
            total["in_use"] += stats.get("pool_size", 0) - stats.get("pool_available", 0)
            total["max"] += stats.get("pool_max", 0)
            total["waiting"] += stats.get("requests_waiting", 0)
        connections = GaugeMetricFamily(
            "v360_db_pool_connections",
            "Database connections of this process, by pool and state (in_use, idle).",
            labels=["pool", "state"],
        )
        maximum = GaugeMetricFamily(
            "v360_db_pool_max_connections", "Most connections each pool of this process may open.", labels=["pool"]
        )
        waiting = GaugeMetricFamily(
            "v360_db_pool_requests_waiting", "Callers waiting for a free connection, by pool.", labels=["pool"]
        )
        for name, total in sorted(totals.items()):
            connections.add_metric([name, "in_use"], total["in_use"])
            connections.add_metric([name, "idle"], total["idle"])
            maximum.add_metric([name], total["max"])
            waiting.add_metric([name], total["waiting"])
        yield from (connections, maximum, waiting)


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def track_pool(pool: AsyncConnectionPool) -> None:
    """Exposes the pool's usage (in use, idle, max, waiting) on this process's /metrics."""
    POOLS.track(pool)


def serve_metrics(host: str, port: int) -> Callable[[], None]:
    """Starts the /metrics endpoint on `host:port` (port 0 leaves it off); returns what stops it."""
    if not port:
        return lambda: None
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop

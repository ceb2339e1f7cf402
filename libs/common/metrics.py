"""Prometheus series shared by every process; each process exposes them on its own port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

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


def serve_metrics(host: str, port: int) -> None:
    """Starts the /metrics endpoint on `host:port` (port 0 leaves it off)."""
    if port:
        start_http_server(port, addr=host)

"""How every gRPC service starts and stops: health, reflection, interceptors, SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from libs.common.interceptors import ServiceInterceptor
from libs.common.metrics import serve_metrics
from libs.common.settings import ServiceSettings

log = logging.getLogger(__name__)

# The largest request a server takes; gRPC refuses a bigger one with RESOURCE_EXHAUSTED before any handler.
MAX_RECEIVE_BYTES = 4 * 1024 * 1024
SERVER_OPTIONS = [
    # Let clients rebalance over replicas: connections are recycled now and then.
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 30 * 1000),
    ("grpc.keepalive_time_ms", 60 * 1000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10 * 1000),
    ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
]


async def run_server(
    settings: ServiceSettings,
    *,
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    stop: asyncio.Event | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serves until SIGTERM/SIGINT (or until `stop` is set, when given), then drains in-flight RPCs.

    `ready` is called with the bound port once the server is SERVING. Tracing is installed by
    `configure_telemetry` before this runs: the instrumentor adds its server interceptor ahead of ours.
    """
    server = grpc.aio.server(
        interceptors=[
            ServiceInterceptor(
                auth_secret=settings.require_auth_secret(),
                default_deadline_seconds=settings.default_deadline_seconds,
            )
        ],
        options=SERVER_OPTIONS,
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    port = server.add_insecure_port(settings.grpc_listen)
    if port == 0:
        raise RuntimeError(f"could not bind {settings.grpc_listen}")
    await server.start()
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    stop_metrics = serve_metrics(settings.metrics_host, settings.metrics_port)
    # What exists after start-up lives as long as the process: out of the collector's full passes.
    gc.freeze()
    log.info("serving %s on %s", ",".join(service_names), settings.grpc_listen)

    if ready is not None:
        ready(port)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if stop is None else ()
    stop = stop or asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.ensure_future(server.wait_for_termination())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down (grace %.1fs)", settings.shutdown_grace_seconds)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(settings.shutdown_grace_seconds)
    await asyncio.to_thread(stop_metrics)
    for task in (serving, stopping):
        task.cancel()
    for sig in signals:
        loop.remove_signal_handler(sig)

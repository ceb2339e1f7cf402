"""Lifecycle of the ingest process: telemetry, pool, servicer, gRPC server; its message counters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from libs.common.clients import ServiceTokens
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.peers.visits import VisitsClient
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.ingest.repository import Repository
from services.ingest.service import IngestService
from services.ingest.servicer import IngestServicer
from services.ingest.settings import IngestSettings
from services.ingest.writer import InboundWriter
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

SERVICE_NAME = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name


async def serve(
    settings: IngestSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the ingest service until SIGTERM (or `stop`)."""
    configure_telemetry(settings.service_name, settings)
    pool = make_pool(settings, name="ingest")
    track_pool(pool)
    await pool.open(wait=True)
    visits = VisitsClient(
        target=settings.visits_target,
        tokens=ServiceTokens(settings.auth_secret),
        timeout_seconds=settings.visits_timeout_seconds,
    )
    repository = Repository(pool)
    writer = InboundWriter(repository, max_batch=settings.write_batch_max, writers=settings.writers)
    writer.start()
    try:
        service = IngestService(
            repository=repository,
            writer=writer,
            settings=settings,
            visits=visits,
        )
        servicer = IngestServicer(service)
        await run_server(
            settings,
            register=lambda server: ingest_pb2_grpc.add_IngestServiceServicer_to_server(servicer, server),
            service_names=[SERVICE_NAME],
            stop=stop,
            ready=ready,
        )
    finally:
        await writer.stop()
        await visits.close()
        await pool.close()

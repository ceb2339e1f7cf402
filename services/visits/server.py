"""Lifecycle of the visits process: telemetry, pool, channels, outbox relay, gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from libs.common.clients import ServiceTokens, channel
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.visits.relay import OutboxRelay
from services.visits.repository import Repository
from services.visits.service import VisitsService
from services.visits.servicer import VisitsServicer
from services.visits.settings import VisitsSettings
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

SERVICE_NAME = visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name
INGEST = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
SUPERVISOR = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name


async def serve(
    settings: VisitsSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the visits service and its outbox relay until SIGTERM (or `stop`)."""
    configure_telemetry(settings.service_name, settings)
    pool = make_pool(settings, name="visits")
    track_pool(pool)
    await pool.open(wait=True)
    ingest_channel = channel(settings.ingest_target, retry_services=[INGEST])
    supervisor_channel = channel(settings.supervisor_target, retry_services=[SUPERVISOR])
    relay_stop = asyncio.Event()
    try:
        repository = Repository(pool)
        tokens = ServiceTokens(settings.auth_secret)
        ingest = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        relay = OutboxRelay(
            repository=repository,
            ingest=ingest,
            supervisor=supervisor_pb2_grpc.SupervisorServiceStub(supervisor_channel),
            tokens=tokens,
            rpc_timeout=settings.relay_rpc_timeout_seconds,
            poll_seconds=settings.relay_poll_seconds,
        )
        service = VisitsService(repository=repository, settings=settings, relay=relay, ingest=ingest, tokens=tokens)
        servicer = VisitsServicer(service)
        relay_task = asyncio.create_task(relay.run(relay_stop))
        try:
            await run_server(
                settings,
                register=lambda server: visits_pb2_grpc.add_VisitsServiceServicer_to_server(servicer, server),
                service_names=[SERVICE_NAME],
                stop=stop,
                ready=ready,
            )
        finally:
            relay_stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
    finally:
        await ingest_channel.close()
        await supervisor_channel.close()
        await pool.close()

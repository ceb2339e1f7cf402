"""Lifecycle of the visits process: telemetry, pool, peer clients, outbox worker, gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from libs.common.clients import ServiceTokens
from libs.common.clock import Clock
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.outbox import Outbox
from libs.common.peers.ingest import IngestClient
from libs.common.peers.supervisor import SupervisorClient
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.visits.repository import Repository
from services.visits.service import VisitsService
from services.visits.servicer import VisitsServicer
from services.visits.settings import VisitsSettings
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

SERVICE_NAME = visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name


async def serve(
    settings: VisitsSettings,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[int], None] | None = None,
    clock: Clock | None = None,
) -> None:
    """Runs the visits service and its outbox worker until SIGTERM (or `stop`)."""
    configure_telemetry(settings.service_name, settings)
    pool = make_pool(settings, name="visits")
    track_pool(pool)
    await pool.open(wait=True)
    tokens = ServiceTokens(settings.auth_secret)
    timeout = settings.relay_rpc_timeout_seconds
    ingest = IngestClient(target=settings.ingest_target, tokens=tokens, timeout_seconds=timeout)
    supervisor = SupervisorClient(target=settings.supervisor_target, tokens=tokens, timeout_seconds=timeout)
    outbox = Outbox(
        pool,
        schema="visits",
        # A handler makes one call (retried by its channel within the call's deadline): a lease of a few
        # deadlines never runs out under a live worker.
        lease_seconds=3 * timeout,
        poll_seconds=settings.relay_poll_seconds,
        drain_seconds=timeout + 1,
        clock=clock,
    )
    outbox_stop = asyncio.Event()
    try:
        service = VisitsService(
            repository=Repository(pool),
            settings=settings,
            outbox=outbox,
            ingest=ingest,
            supervisor=supervisor,
            clock=clock,
        )
        servicer = VisitsServicer(service)
        outbox_task = asyncio.create_task(outbox.run(outbox_stop))
        try:
            await run_server(
                settings,
                register=lambda server: visits_pb2_grpc.add_VisitsServiceServicer_to_server(servicer, server),
                service_names=[SERVICE_NAME],
                stop=stop,
                ready=ready,
            )
        finally:
            outbox_stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await outbox_task
    finally:
        await ingest.close()
        await supervisor.close()
        await pool.close()

"""Lifecycle of the ingest process: telemetry, pool, inbound writer, outbox worker, servicer, gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from libs.common.changefeed import ChangeFeed
from libs.common.clients import ServiceTokens
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.outbox import Outbox
from libs.common.peers.visits import VisitsClient
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.ingest.models import TicketChange
from services.ingest.repository import Repository
from services.ingest.service import IngestService
from services.ingest.servicer import IngestServicer
from services.ingest.settings import IngestSettings
from services.ingest.writer import InboundWriter
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

SERVICE_NAME = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
# The channel services/ingest/migrations/versions/0005_inbox_and_changes.sql notifies on.
CHANGES_CHANNEL = "v360_ingest_changes"


async def serve(
    settings: IngestSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the ingest service and its outbox worker until SIGTERM (or `stop`)."""
    configure_telemetry(settings.service_name, settings)
    pool = make_pool(settings, name="ingest")
    track_pool(pool)
    await pool.open(wait=True)
    visits = VisitsClient(
        target=settings.visits_target,
        tokens=ServiceTokens(settings.auth_secret),
        timeout_seconds=settings.visits_timeout_seconds,
    )
    outbox = Outbox(
        pool,
        schema="ingest",
        # A hand-off is one call to visits: a lease of a few deadlines never runs out under a live worker.
        lease_seconds=3 * settings.visits_timeout_seconds,
        poll_seconds=settings.outbox_poll_seconds,
        drain_seconds=settings.visits_timeout_seconds + 1,
    )
    repository = Repository(pool, outbox)
    writer = InboundWriter(repository, max_batch=settings.write_batch_max, writers=settings.writers)
    writer.start()
    changes: ChangeFeed[TicketChange] = ChangeFeed(
        database_url=settings.database_url,
        channel=CHANGES_CHANNEL,
        load=lambda notices: service.load_changes(notices),
        name="ingest",
    )
    outbox_stop = asyncio.Event()
    outbox_task: asyncio.Task[None] | None = None
    try:
        service = IngestService(
            repository=repository, writer=writer, settings=settings, visits=visits, outbox=outbox, changes=changes
        )
        changes.start()
        outbox_task = asyncio.create_task(outbox.run(outbox_stop))
        servicer = IngestServicer(service)
        await run_server(
            settings,
            register=lambda server: ingest_pb2_grpc.add_IngestServiceServicer_to_server(servicer, server),
            service_names=[SERVICE_NAME],
            stop=stop,
            ready=ready,
        )
    finally:
        await changes.stop()
        await writer.stop()
        outbox_stop.set()
        if outbox_task is not None:
            await outbox_task
        await visits.close()
        await pool.close()

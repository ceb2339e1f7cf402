"""Lifecycle of the supervisor process: telemetry, pool, ingest client, HTTP client, outbox worker, gRPC server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from libs.common.changefeed import ChangeFeed
from libs.common.clients import ServiceTokens
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.outbox import Outbox
from libs.common.peers.ingest import IngestClient
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.supervisor.delivery import Delivery
from services.supervisor.models import Outbound, StatusUpdate
from services.supervisor.providers import Providers
from services.supervisor.repository import Repository
from services.supervisor.service import SupervisorService
from services.supervisor.servicer import SupervisorServicer
from services.supervisor.settings import SupervisorSettings
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

SERVICE_NAME = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name
# The channel services/supervisor/migrations/versions/0007_delivery_changes.sql notifies on.
DELIVERIES_CHANNEL = "v360_supervisor_deliveries"
log = logging.getLogger(__name__)


async def serve(
    settings: SupervisorSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the supervisor service and its outbox worker (deliveries) until SIGTERM (or `stop`)."""
    configure_telemetry(settings.service_name, settings)
    pool = make_pool(settings, name="supervisor")
    track_pool(pool)
    await pool.open(wait=True)
    repository = Repository(pool)
    ingest = IngestClient(
        target=settings.ingest_target,
        tokens=ServiceTokens(settings.auth_secret),
        timeout_seconds=settings.ingest_timeout_seconds,
    )
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.provider_timeout_seconds),
        limits=httpx.Limits(max_connections=2 * settings.delivery_concurrency),
    )

    async def record(tenant: str, statuses: list[StatusUpdate]) -> int:
        return await repository.record_statuses(tenant=tenant, statuses=statuses)

    providers = Providers(
        client=http,
        meta_base_url=settings.meta_graph_base_url,
        gupshup_base_url=settings.gupshup_base_url,
        record=record,
        sandbox_step_seconds=settings.sandbox_step_seconds,
    )
    outbox = Outbox(
        pool,
        schema="supervisor",
        lease_seconds=settings.delivery_lease_seconds,
        concurrency=settings.delivery_concurrency,
        poll_seconds=settings.delivery_poll_seconds,
        # Every call in flight ends by its own timeout; waiting that long means none is cut off after the
        # provider took the reply but before it was recorded.
        drain_seconds=max(settings.provider_timeout_seconds, settings.ingest_timeout_seconds) + 1,
    )
    delivery = Delivery(repository=repository, outbox=outbox, ingest=ingest, providers=providers, settings=settings)
    outbox_stop = asyncio.Event()
    outbox_task = asyncio.create_task(outbox.run(outbox_stop))
    deliveries: ChangeFeed[Outbound] = ChangeFeed(
        database_url=settings.database_url,
        channel=DELIVERIES_CHANNEL,
        load=lambda notices: service.load_deliveries(notices),
        name="supervisor",
    )
    try:
        service = SupervisorService(
            repository=repository,
            settings=settings,
            ingest=ingest,
            outbox=outbox,
            delivery=delivery,
            deliveries=deliveries,
        )
        deliveries.start()
        servicer = SupervisorServicer(service)
        await run_server(
            settings,
            register=lambda server: supervisor_pb2_grpc.add_SupervisorServiceServicer_to_server(servicer, server),
            service_names=[SERVICE_NAME],
            stop=stop,
            ready=ready,
        )
    finally:
        # RPCs have drained; in-flight sends get the same grace before their leases are left to run out.
        await deliveries.stop()
        outbox_stop.set()
        try:
            await outbox_task
        except Exception:
            log.exception("the outbox worker ended with an error")
        await providers.close()
        await http.aclose()
        await ingest.close()
        await pool.close()

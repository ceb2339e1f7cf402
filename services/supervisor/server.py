"""Lifecycle of the supervisor process: telemetry, pool, ingest channel, HTTP client, delivery worker, gRPC server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from libs.common.clients import ServiceTokens
from libs.common.db import make_pool
from libs.common.metrics import track_pool
from libs.common.server import run_server
from libs.common.telemetry import configure_telemetry
from services.supervisor.delivery import DeliveryWorker
from services.supervisor.ingest import IngestClient
from services.supervisor.models import StatusUpdate
from services.supervisor.providers import Providers
from services.supervisor.repository import Repository
from services.supervisor.service import SupervisorService
from services.supervisor.servicer import SupervisorServicer
from services.supervisor.settings import SupervisorSettings
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

SERVICE_NAME = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name
log = logging.getLogger(__name__)


async def serve(
    settings: SupervisorSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the supervisor service and its delivery worker until SIGTERM (or `stop`)."""
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
    worker = DeliveryWorker(repository=repository, ingest=ingest, providers=providers, settings=settings)
    worker_stop = asyncio.Event()
    worker_task = asyncio.create_task(worker.run(worker_stop))
    try:
        service = SupervisorService(repository=repository, settings=settings, ingest=ingest, wake=worker.wake)
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
        worker_stop.set()
        try:
            await worker_task
        except Exception:
            log.exception("delivery worker ended with an error")
        await providers.close()
        await http.aclose()
        await ingest.close()
        await pool.close()

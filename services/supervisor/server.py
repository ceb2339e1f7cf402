"""Lifecycle of the supervisor process: pool, Redis, servicer, gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from libs.common.db import make_pool
from libs.common.server import run_server
from services.supervisor.repository import Repository
from services.supervisor.service import SupervisorService
from services.supervisor.servicer import SupervisorServicer
from services.supervisor.settings import SupervisorSettings
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

SERVICE_NAME = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name


async def serve(
    settings: SupervisorSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the supervisor service until SIGTERM (or `stop`)."""
    pool = make_pool(settings, name="supervisor")
    await pool.open(wait=True)
    try:
        service = SupervisorService(repository=Repository(pool), settings=settings)
        servicer = SupervisorServicer(service)
        await run_server(
            settings,
            register=lambda server: supervisor_pb2_grpc.add_SupervisorServiceServicer_to_server(servicer, server),
            service_names=[SERVICE_NAME],
            stop=stop,
            ready=ready,
        )
    finally:
        await pool.close()

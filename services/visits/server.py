"""Lifecycle of the visits process: pool, Redis, servicer, gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from libs.common.db import make_pool
from libs.common.server import run_server
from services.visits.repository import Repository
from services.visits.service import VisitsService
from services.visits.servicer import VisitsServicer
from services.visits.settings import VisitsSettings
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

SERVICE_NAME = visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name


async def serve(
    settings: VisitsSettings, *, stop: asyncio.Event | None = None, ready: Callable[[int], None] | None = None
) -> None:
    """Runs the visits service until SIGTERM (or `stop`)."""
    pool = make_pool(settings, name="visits")
    await pool.open(wait=True)
    try:
        service = VisitsService(repository=Repository(pool), settings=settings)
        servicer = VisitsServicer(service)
        await run_server(
            settings,
            register=lambda server: visits_pb2_grpc.add_VisitsServiceServicer_to_server(servicer, server),
            service_names=[SERVICE_NAME],
            stop=stop,
            ready=ready,
        )
    finally:
        await pool.close()

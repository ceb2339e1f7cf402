"""Liveness, readiness (Redis and the three services) and Prometheus metrics of the console."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from console.backends import SERVICES
from console.deps import ConsoleDep

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus exposition of this process's series."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
async def readyz(request: Request, app: ConsoleDep) -> JSONResponse:
    """200 only when Redis (sessions) and every service answer."""
    timeout = app.settings.ready_check_timeout_seconds

    async def redis() -> str:
        return "ok" if await request.app.state.redis.ping() else "PING failed"

    async def service(name: str) -> str:
        reply = await app.backends.health[name].Check(
            health_pb2.HealthCheckRequest(service=SERVICES[name]), timeout=timeout
        )
        return "ok" if reply.status == health_pb2.HealthCheckResponse.SERVING else "NOT_SERVING"

    async def bounded(check: asyncio.Future[str] | object) -> str:
        try:
            async with asyncio.timeout(timeout):
                return await check  # type: ignore[misc]
        except Exception as exc:
            return type(exc).__name__

    names = ["redis", *SERVICES]
    results = await asyncio.gather(bounded(redis()), *(bounded(service(name)) for name in SERVICES))
    checks = dict(zip(names, results, strict=True))
    ready = all(result == "ok" for result in results)
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )

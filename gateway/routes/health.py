"""Liveness and readiness per route group; metrics have a port of their own (GATEWAY_METRICS_PORT).

Readiness is split by what each group of routes needs, so a dependency that only the dashboard uses never
takes webhook intake out of service: `/readyz` (webhooks: Postgres and ingest; the probe load balancers and
Kubernetes use) and `/readyz/dashboard` (the dashboard API: also Redis, visits and supervisor).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.backends import HealthTarget
from gateway.errors import error_body
from gateway.schemas.errors import NotReadyOut
from gateway.schemas.health import Liveness, Readiness

router = APIRouter(tags=["health"])

ReadyCheck = Callable[[], Awaitable[None]]
OK = "ok"
# What each route group needs to serve, by check name (the checks the lifespan builds).
INTAKE = ("postgres", "ingest")
DASHBOARD = ("postgres", "redis", "ingest", "visits", "supervisor")


class NotReady(Exception):
    """A dependency answered, but not with what readiness needs."""


def postgres_check(pool: AsyncConnectionPool, *, timeout: float) -> ReadyCheck:
    """`SELECT 1` through the gateway's small pool."""

    async def check() -> None:
        async with pool.connection(timeout=timeout) as conn:
            await conn.execute("SELECT 1")

    return check


def redis_check(client: Redis) -> ReadyCheck:
    """Redis PING."""

    async def check() -> None:
        if not await client.ping():
            raise NotReady("PING failed")

    return check


def service_check(target: HealthTarget, *, timeout: float) -> ReadyCheck:
    """grpc.health.v1 Check of one service; anything but SERVING fails."""

    async def check() -> None:
        reply = await target.stub.Check(health_pb2.HealthCheckRequest(service=target.service), timeout=timeout)
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise NotReady(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    return check


def _describe(exc: BaseException) -> str:
    # Names the failure without echoing connection strings or hosts.
    if isinstance(exc, NotReady):
        return str(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code().name
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


async def run_checks(checks: Mapping[str, ReadyCheck], *, limit_seconds: float) -> dict[str, str]:
    """Runs every check concurrently, each bounded by `limit_seconds`; `ok` or what went wrong, by name."""

    async def one(check: ReadyCheck) -> str:
        try:
            async with asyncio.timeout(limit_seconds):
                await check()
        except Exception as exc:
            return _describe(exc)
        return OK

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


@router.get("/healthz", operation_id="getLiveness", summary="Liveness probe", response_model=Liveness)
async def healthz() -> dict[str, str]:
    """200 while the process lives."""
    return {"status": "ok"}


async def _readiness(request: Request, names: tuple[str, ...]) -> JSONResponse:
    settings = request.app.state.settings
    checks = {name: request.app.state.ready_checks[name] for name in names}
    results = await run_checks(checks, limit_seconds=settings.ready_check_timeout_seconds)
    failed = {name: outcome for name, outcome in results.items() if outcome != OK}
    if not failed:
        return JSONResponse({"status": "ready", "checks": results})
    body: dict[str, Any] = error_body(
        code="UNAVAILABLE",
        message="not ready: " + ", ".join(failed),
        details=[{"check": name, "reason": outcome} for name, outcome in failed.items()],
    )
    body["checks"] = results
    return JSONResponse(body, status_code=503)


NOT_READY = {503: {"model": NotReadyOut, "description": "A dependency is not ready; `details` names it."}}


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness of webhook intake",
    response_model=Readiness,
    responses=NOT_READY,
)
async def readyz(request: Request) -> JSONResponse:
    """200 when webhooks can be stored: Postgres and the ingest service answer (the readiness probe).

    Redis, visits and supervisor are not asked: a lead's message never waits for them (a tapped visit
    button reaches visits through ingest's outbox), so their outage must not turn webhooks away.
    """
    return await _readiness(request, INTAKE)


@router.get(
    "/readyz/dashboard",
    operation_id="getDashboardReadiness",
    summary="Readiness of the dashboard API",
    response_model=Readiness,
    responses=NOT_READY,
)
async def readyz_dashboard(request: Request) -> JSONResponse:
    """200 when every dashboard route can answer: Postgres, Redis and the ingest, visits and supervisor services."""
    return await _readiness(request, DASHBOARD)

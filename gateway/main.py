"""The FastAPI app: lifespan (channels, Redis, readiness pool), middleware, error handlers, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.backends import Backends
from gateway.errors import install_error_handlers
from gateway.middleware import BodyLimitMiddleware, MetricsMiddleware
from gateway.ratelimit import RateLimitMiddleware
from gateway.routes import DEMO_PREFIX, dashboard, health, ingest, supervisor, visits, webhooks
from gateway.settings import GatewaySettings
from gateway.webhooks.tenants import TenantDirectory
from libs.common.db import libpq_url
from vertice360.ingest.v1 import ingest_pb2


def _readiness_pool(settings: GatewaySettings) -> AsyncConnectionPool:
    # The gateway owns no tables: one lazily opened connection is enough to answer `SELECT 1`.
    kwargs: dict[str, Any] = {
        "application_name": "gateway",
        "connect_timeout": max(1, round(settings.ready_check_timeout_seconds)),
    }
    if not settings.db_prepared_statements:
        kwargs["prepare_threshold"] = None
    return AsyncConnectionPool(
        libpq_url(settings.database_url),
        min_size=0,
        max_size=1,
        kwargs=kwargs,
        open=False,
        name="gateway-readiness",
        timeout=settings.ready_check_timeout_seconds,
    )


def _tenant_directory(settings: GatewaySettings, backends: Backends) -> TenantDirectory:
    async def fetch() -> Iterable[ingest_pb2.Tenant]:
        reply = await backends.ingest.ListTenants(ingest_pb2.ListTenantsRequest(), **backends.as_system())
        return reply.tenants

    return TenantDirectory(fetch=fetch, ttl_seconds=settings.tenant_cache_seconds)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Builds the gateway; connections open when the app starts and close when it stops."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = Backends.connect(settings)
        redis = Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=settings.ready_check_timeout_seconds,
            socket_timeout=settings.ready_check_timeout_seconds,
        )
        pool = _readiness_pool(settings)
        await pool.open(wait=False)
        app.state.backends = backends
        app.state.redis = redis
        app.state.db_pool = pool
        app.state.tenants = _tenant_directory(settings, backends)
        timeout = settings.ready_check_timeout_seconds
        app.state.ready_checks = {
            "postgres": health.postgres_check(pool, timeout=timeout),
            "redis": health.redis_check(redis),
            **{target.name: health.service_check(target, timeout=timeout) for target in backends.health},
        }
        try:
            yield
        finally:
            await backends.close(grace=settings.shutdown_grace_seconds)
            await redis.aclose()
            await pool.close()

    app = FastAPI(
        title="Vertice360 gateway",
        version="1.0.0",
        summary="Channel webhooks and the dashboard API in front of the ingest, visits and supervisor services.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Added last runs first: metrics see every response, including the 413 of the body limit.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        prefix=DEMO_PREFIX,
        secret=settings.auth_secret,
        per_ip=settings.rate_limit_per_ip,
        per_tenant=settings.rate_limit_per_tenant,
        window_seconds=settings.rate_limit_window_seconds,
    )
    app.add_middleware(MetricsMiddleware)
    for module in (health, dashboard, ingest, visits, supervisor, webhooks):
        app.include_router(module.router)
    return app

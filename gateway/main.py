"""The FastAPI app: lifespan (channels, Redis, readiness pool), middleware, error handlers, routes."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry.trace import Span
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.backends import Backends
from gateway.errors import install_error_handlers
from gateway.middleware import BodyLimitMiddleware, MetricsMiddleware
from gateway.ratelimit import Budget, Clock, Limiter, RateLimitMiddleware
from gateway.routes import DEMO_PREFIX, auth, dashboard, health, ingest, lifecycle, supervisor, visits, webhooks
from gateway.settings import GatewaySettings
from gateway.webhooks.tenants import TenantDirectory
from libs.common.db import libpq_url
from libs.common.metrics import track_pool
from libs.common.telemetry import configure_telemetry, instrument_app, untraced
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


def _hide_raw_url(span: Span, scope: dict[str, Any]) -> None:
    # A raw path or query can hold a secret (a Gupshup callback token, Meta's verify token): the server
    # span keeps the route template only, like the access log.
    if not span.is_recording():
        return
    recorded = getattr(span, "attributes", None) or {}
    # Set by the FastAPI instrumentor from the matched route; unmatched paths keep nothing.
    template = str(recorded.get("http.route", ""))
    raw = ("http.target", "http.url", "url.path", "url.full")
    span.set_attributes({key: template for key in raw if key in recorded})
    if "url.query" in recorded:
        span.set_attribute("url.query", "")


def _untraced(check: health.ReadyCheck) -> health.ReadyCheck:
    # Probes come every few seconds and /readyz has no span: its SELECT 1 and PING would each start a trace.
    async def run() -> None:
        with untraced():
            await check()

    return run


def _tenant_directory(settings: GatewaySettings, backends: Backends) -> TenantDirectory:
    async def fetch() -> Iterable[ingest_pb2.Tenant]:
        reply = await backends.ingest.ListTenants(ingest_pb2.ListTenantsRequest(), **backends.as_system())
        return reply.tenants

    return TenantDirectory(fetch=fetch, ttl_seconds=settings.tenant_cache_seconds)


def _limiter(settings: GatewaySettings, clock: Clock) -> Limiter:
    # A client of its own: a rate limit check waits tens of milliseconds for Redis, never a second, and
    # never retries (a slow Redis lets the request through instead).
    timeout = settings.rate_limit_redis_timeout_seconds
    redis = Redis.from_url(
        settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    return Limiter(redis, timeout=timeout, clock=clock)


def create_app(settings: GatewaySettings | None = None, *, clock: Clock = time.time) -> FastAPI:
    """Builds the gateway; connections open when the app starts and close when it stops.

    `clock` is the wall clock of the rate limits (tests pass their own).
    """
    settings = settings or GatewaySettings()
    # Before any channel or pool exists; a no-op when the process already did it at start.
    configure_telemetry("gateway", settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.require_auth_secret()
        backends = Backends.connect(settings)
        redis = Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=settings.ready_check_timeout_seconds,
            socket_timeout=settings.ready_check_timeout_seconds,
        )
        pool = _readiness_pool(settings)
        track_pool(pool)
        await pool.open(wait=False)
        app.state.backends = backends
        app.state.redis = redis
        app.state.limiter = _limiter(settings, clock)
        app.state.db_pool = pool
        app.state.tenants = _tenant_directory(settings, backends)
        timeout = settings.ready_check_timeout_seconds
        checks = {
            "postgres": health.postgres_check(pool, timeout=timeout),
            "redis": health.redis_check(redis),
            **{target.name: health.service_check(target, timeout=timeout) for target in backends.health},
        }
        app.state.ready_checks = {name: _untraced(check) for name, check in checks.items()}
        # What exists after start-up lives as long as the process: out of the collector's full passes.
        gc.freeze()
        try:
            yield
        finally:
            await backends.close(grace=settings.shutdown_grace_seconds)
            await redis.aclose()
            await app.state.limiter.close()
            await pool.close()

    app = FastAPI(
        title="Vertice360 gateway",
        version="1.0.0",
        summary="Channel webhooks and the dashboard API in front of the ingest, visits and supervisor services.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth_failure_budget = Budget(
        settings.webhook_auth_failures_per_ip, settings.webhook_auth_failure_window_seconds
    )
    install_error_handlers(app)
    # Added last runs first: metrics see every response, including the 413 of the body limit.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        prefix=DEMO_PREFIX,
        secret=settings.auth_secret,
        per_ip=Budget(settings.rate_limit_per_ip, settings.rate_limit_window_seconds),
        per_tenant=Budget(settings.rate_limit_per_tenant, settings.rate_limit_window_seconds),
    )
    app.add_middleware(MetricsMiddleware)
    # Routes are matched in order, router by router: the webhooks carry most requests, so they come first.
    for module in (webhooks, health, auth, dashboard, ingest, visits, supervisor, lifecycle):
        app.include_router(module.router)
    app.include_router(visits.reads)
    # Outermost: one server span per request, named by route template; probes are not traced.
    instrument_app(app, excluded_urls="/healthz,/readyz,/readyz/dashboard", server_request_hook=_hide_raw_url)
    return app

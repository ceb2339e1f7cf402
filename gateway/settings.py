"""Settings of the gateway process."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.http_server import HttpServerSettings


class GatewaySettings(HttpServerSettings):
    """Environment of the HTTP gateway: where it listens, where the services are, webhook secrets, limits."""

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("GATEWAY_HOST"))
    port: int = Field(8080, ge=1, le=65535, validation_alias=AliasChoices("GATEWAY_PORT"))
    # Prometheus /metrics on its own port (METRICS_HOST), never on the public one; 0 leaves it off.
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=AliasChoices("GATEWAY_METRICS_PORT"))
    ingest_target: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("INGEST_TARGET"))
    visits_target: str = Field("127.0.0.1:50052", validation_alias=AliasChoices("VISITS_TARGET"))
    supervisor_target: str = Field("127.0.0.1:50053", validation_alias=AliasChoices("SUPERVISOR_TARGET"))
    # Shared Meta app secret/verify token for tenants that have none of their own; empty turns them off.
    meta_app_secret: str = Field("", validation_alias=AliasChoices("META_APP_SECRET"), repr=False)
    meta_verify_token: str = Field("", validation_alias=AliasChoices("META_VERIFY_TOKEN"), repr=False)
    max_body_bytes: int = Field(1_048_576, ge=1, validation_alias=AliasChoices("MAX_BODY_BYTES"))
    rpc_timeout_seconds: float = Field(10.0, gt=0, validation_alias=AliasChoices("RPC_TIMEOUT_SECONDS"))
    tenant_cache_seconds: float = Field(30.0, ge=0, validation_alias=AliasChoices("TENANT_CACHE_SECONDS"))
    # Each readiness probe (Postgres, Redis, each service) gets at most this long.
    ready_check_timeout_seconds: float = Field(1.0, gt=0, validation_alias=AliasChoices("READY_CHECK_TIMEOUT_SECONDS"))
    shutdown_grace_seconds: float = Field(5.0, ge=0, validation_alias=AliasChoices("SHUTDOWN_GRACE_SECONDS"))
    # Dashboard API budgets per window, per client address and per tenant (signed webhooks are never limited).
    rate_limit_per_ip: int = Field(1200, ge=1, validation_alias=AliasChoices("RATE_LIMIT_PER_IP"))
    rate_limit_per_tenant: int = Field(6000, ge=1, validation_alias=AliasChoices("RATE_LIMIT_PER_TENANT"))
    rate_limit_window_seconds: int = Field(60, ge=1, validation_alias=AliasChoices("RATE_LIMIT_WINDOW_SECONDS"))
    # Each rate limit check waits at most this long for Redis, then lets the request through.
    rate_limit_redis_timeout_seconds: float = Field(
        0.05, gt=0, le=5, validation_alias=AliasChoices("RATE_LIMIT_REDIS_TIMEOUT_SECONDS")
    )
    # Failed webhook authentications (401/403) allowed per client address per window; then 429.
    webhook_auth_failures_per_ip: int = Field(20, ge=1, validation_alias=AliasChoices("WEBHOOK_AUTH_FAILURES_PER_IP"))
    webhook_auth_failure_window_seconds: int = Field(
        600, ge=1, validation_alias=AliasChoices("WEBHOOK_AUTH_FAILURE_WINDOW_SECONDS")
    )
    # Lifetime of the bearer tokens the login endpoint issues.
    login_token_ttl_seconds: int = Field(
        12 * 3600, ge=60, le=7 * 24 * 3600, validation_alias=AliasChoices("LOGIN_TOKEN_TTL_SECONDS")
    )

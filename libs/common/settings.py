"""Typed settings shared by every deployable; each deployable subclasses it once."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TRACE_EXPORTERS = ("none", "console", "otlp")
# Published in this repository: accepted only with V360_DEV_MODE=true.
DEV_AUTH_SECRET = "dev-insecure-secret-change-me-0123456789"
GENERATE_SECRET = 'generate one with python -c "import secrets; print(secrets.token_urlsafe(48))"'


class TelemetrySettings(BaseSettings):
    """The standard `OTEL_*` variables this code reads; the SDK reads the rest itself (sampler, headers, batching)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    otel_sdk_disabled: bool = Field(False, validation_alias=AliasChoices("OTEL_SDK_DISABLED"))
    # Comma-separated: none, console, otlp. Empty: otlp when an endpoint is set, else none.
    otel_traces_exporter: str = Field("", validation_alias=AliasChoices("OTEL_TRACES_EXPORTER"))
    otel_exporter_otlp_endpoint: str = Field(
        "", validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    otel_exporter_otlp_protocol: str = Field(
        "grpc", validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    )

    @field_validator("otel_traces_exporter")
    @classmethod
    def _known_exporters(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(TRACE_EXPORTERS))
        if unknown:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {', '.join(unknown)} (none, console, otlp)")
        return ",".join(names)

    @field_validator("otel_exporter_otlp_protocol")
    @classmethod
    def _grpc_only(cls, value: str) -> str:
        # Only the OTLP/gRPC exporter is installed; http/protobuf would silently send nothing.
        if value not in {"", "grpc"}:
            raise ValueError("OTEL_EXPORTER_OTLP_PROTOCOL must be grpc (the only OTLP exporter installed)")
        return value or "grpc"

    @property
    def trace_exporters(self) -> tuple[str, ...]:
        """The span exporters to run: as listed, or otlp when only an endpoint is set; none means none."""
        if self.otel_sdk_disabled:
            return ()
        if self.otel_traces_exporter:
            return tuple(name for name in self.otel_traces_exporter.split(",") if name != "none")
        return ("otlp",) if self.otel_exporter_otlp_endpoint else ()


class CommonSettings(TelemetrySettings):
    """Settings every process reads: database, Redis, the token secret, logging, telemetry."""

    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres", validation_alias=AliasChoices("DATABASE_URL")
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=AliasChoices("REDIS_URL"))
    # Signs and checks every bearer token; the gateway and every service share it. No default: a serving
    # process refuses to start without one (require_auth_secret), except in dev mode.
    auth_secret: str = Field("", validation_alias=AliasChoices("V360_AUTH_SECRET"), repr=False)
    # A development machine: without V360_AUTH_SECRET the public DEV_AUTH_SECRET signs tokens. Never in production.
    dev_mode: bool = Field(False, validation_alias=AliasChoices("V360_DEV_MODE"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    log_format: str = Field("json", validation_alias=AliasChoices("LOG_FORMAT"))
    # Behind PgBouncer in transaction mode server-side prepared statements must be off.
    db_prepared_statements: bool = Field(True, validation_alias=AliasChoices("DB_PREPARED_STATEMENTS"))
    db_pool_min: int = Field(2, ge=1, validation_alias=AliasChoices("DB_POOL_MIN"))
    db_pool_max: int = Field(10, ge=1, validation_alias=AliasChoices("DB_POOL_MAX"))
    # Address each process's Prometheus /metrics listens on (its port is the deployable's own setting).
    metrics_host: str = Field("127.0.0.1", validation_alias=AliasChoices("METRICS_HOST"))

    @model_validator(mode="after")
    def _real_secret(self) -> Self:
        if not self.auth_secret and self.dev_mode:
            # Not through the model's __setattr__: the secret stays "not set" for those who ask (`v360 up`).
            object.__setattr__(self, "auth_secret", DEV_AUTH_SECRET)
        if self.auth_secret == DEV_AUTH_SECRET and not self.dev_mode:
            raise ValueError(f"V360_AUTH_SECRET is the public development secret: {GENERATE_SECRET}")
        if self.auth_secret and len(self.auth_secret) < 32:
            raise ValueError("V360_AUTH_SECRET must be at least 32 characters")
        return self

    def require_auth_secret(self) -> str:
        """The token secret; raises ValueError when none is set (a process that checks tokens can't run so)."""
        if not self.auth_secret:
            raise ValueError(
                f"V360_AUTH_SECRET is not set: {GENERATE_SECRET}, or set V360_DEV_MODE=true on a dev machine"
            )
        return self.auth_secret

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in {"json", "text"}:
            raise ValueError("LOG_FORMAT must be json or text")
        return value


class ServiceSettings(CommonSettings):
    """Settings of a gRPC service process; subclasses set `service_name` and the port aliases."""

    service_name: str = "service"
    grpc_listen: str = "127.0.0.1:50051"
    metrics_port: int = Field(0, ge=0, le=65535)
    shutdown_grace_seconds: float = Field(5.0, ge=0, validation_alias=AliasChoices("SHUTDOWN_GRACE_SECONDS"))
    # Upper bound for one RPC when the caller set no deadline.
    default_deadline_seconds: float = Field(30.0, gt=0, validation_alias=AliasChoices("DEFAULT_DEADLINE_SECONDS"))

"""Settings of the supervisor service."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator, model_validator

from libs.common.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class SupervisorSettings(ServiceSettings):
    """Environment of the supervisor process."""

    service_name: str = "supervisor"
    grpc_listen: str = Field("127.0.0.1:50053", validation_alias=_env("SUPERVISOR_GRPC_LISTEN"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=_env("SUPERVISOR_METRICS_PORT"))

    ingest_target: str = Field("127.0.0.1:50051", validation_alias=_env("INGEST_TARGET"))
    ingest_timeout_seconds: float = Field(5.0, gt=0, validation_alias=_env("INGEST_TIMEOUT_SECONDS"))

    meta_graph_base_url: str = Field("https://graph.facebook.com/v21.0", validation_alias=_env("META_GRAPH_BASE_URL"))
    gupshup_base_url: str = Field("https://api.gupshup.io", validation_alias=_env("GUPSHUP_BASE_URL"))
    # "sandbox" sends every tenant's replies through the built-in sandbox (dev stack); empty: per tenant.
    delivery_provider_override: str = Field("", validation_alias=_env("DELIVERY_PROVIDER_OVERRIDE"))
    # A tenant without a provider account: the sandbox (true, dev) or `failed` with no_provider_account.
    delivery_sandbox_fallback: bool = Field(True, validation_alias=_env("DELIVERY_SANDBOX_FALLBACK"))
    provider_timeout_seconds: float = Field(10.0, gt=0, validation_alias=_env("PROVIDER_TIMEOUT_SECONDS"))

    delivery_max_attempts: int = Field(6, ge=1, le=50, validation_alias=_env("DELIVERY_MAX_ATTEMPTS"))
    delivery_backoff_base_seconds: float = Field(2.0, gt=0, validation_alias=_env("DELIVERY_BACKOFF_BASE_SECONDS"))
    delivery_backoff_max_seconds: float = Field(300.0, gt=0, validation_alias=_env("DELIVERY_BACKOFF_MAX_SECONDS"))
    # How long a worker owns a claimed job; a killed worker's jobs are retried once it runs out.
    delivery_lease_seconds: float = Field(60.0, gt=0, validation_alias=_env("DELIVERY_LEASE_SECONDS"))
    delivery_concurrency: int = Field(8, ge=1, le=256, validation_alias=_env("DELIVERY_CONCURRENCY"))
    # Wake-up interval when idle; a reply written by this process wakes the worker at once.
    delivery_poll_seconds: float = Field(1.0, gt=0, validation_alias=_env("DELIVERY_POLL_SECONDS"))

    breaker_failures: int = Field(5, ge=1, validation_alias=_env("DELIVERY_BREAKER_FAILURES"))
    breaker_open_seconds: float = Field(30.0, gt=0, validation_alias=_env("DELIVERY_BREAKER_OPEN_SECONDS"))

    # The sandbox moves each reply sent -> delivered -> read one step apart.
    sandbox_step_seconds: float = Field(1.0, ge=0, validation_alias=_env("SANDBOX_STEP_SECONDS"))

    @field_validator("delivery_provider_override")
    @classmethod
    def _known_override(cls, value: str) -> str:
        if value not in ("", "sandbox"):
            raise ValueError("DELIVERY_PROVIDER_OVERRIDE must be empty or sandbox")
        return value

    @field_validator("meta_graph_base_url", "gupshup_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("provider base URLs must start with https:// or http://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> SupervisorSettings:
        # A lease shorter than a send would let a second worker send the same reply while the first waits.
        if self.delivery_lease_seconds <= 2 * max(self.provider_timeout_seconds, self.ingest_timeout_seconds):
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be more than twice PROVIDER_TIMEOUT_SECONDS and INGEST_TIMEOUT_SECONDS"
            )
        if self.delivery_backoff_max_seconds < self.delivery_backoff_base_seconds:
            raise ValueError("DELIVERY_BACKOFF_MAX_SECONDS must be at least DELIVERY_BACKOFF_BASE_SECONDS")
        return self

"""Settings of the visits service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.settings import ServiceSettings


class VisitsSettings(ServiceSettings):
    """Environment of the visits process."""

    service_name: str = "visits"
    grpc_listen: str = Field("127.0.0.1:50052", validation_alias=AliasChoices("VISITS_GRPC_LISTEN"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=AliasChoices("VISITS_METRICS_PORT"))
    ingest_target: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("INGEST_TARGET"))
    supervisor_target: str = Field("127.0.0.1:50053", validation_alias=AliasChoices("SUPERVISOR_TARGET"))
    # Short: a slow or absent ingest must not hold up a proposal, the outbox catches up later.
    ingest_check_timeout_seconds: float = Field(
        1.0, gt=0, validation_alias=AliasChoices("VISITS_INGEST_CHECK_TIMEOUT_SECONDS")
    )
    supervisor_check_timeout_seconds: float = Field(
        2.0, gt=0, validation_alias=AliasChoices("VISITS_SUPERVISOR_CHECK_TIMEOUT_SECONDS")
    )
    # How long a lookup of the tenant's users stays fresh; a user supervisor deactivates may still be
    # booked for this long (an unknown id always triggers a lookup).
    agent_sync_seconds: float = Field(60.0, ge=0, validation_alias=AliasChoices("VISITS_AGENT_SYNC_SECONDS"))
    relay_rpc_timeout_seconds: float = Field(
        5.0, gt=0, validation_alias=AliasChoices("VISITS_RELAY_RPC_TIMEOUT_SECONDS")
    )
    relay_poll_seconds: float = Field(0.5, gt=0, validation_alias=AliasChoices("VISITS_RELAY_POLL_SECONDS"))

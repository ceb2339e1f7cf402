"""Settings of the ingest service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    """Environment of the ingest process."""

    service_name: str = "ingest"
    grpc_listen: str = Field("127.0.0.1:50051", validation_alias=AliasChoices("INGEST_GRPC_LISTEN"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=AliasChoices("INGEST_METRICS_PORT"))
    visits_target: str = Field("127.0.0.1:50052", validation_alias=AliasChoices("VISITS_TARGET"))
    # Deadline of one hand-off to visits (a lead's button tap), made by the outbox worker, never by intake.
    visits_timeout_seconds: float = Field(3.0, gt=0, validation_alias=AliasChoices("INGEST_VISITS_TIMEOUT_SECONDS"))
    outbox_poll_seconds: float = Field(1.0, gt=0, validation_alias=AliasChoices("INGEST_OUTBOX_POLL_SECONDS"))
    write_batch_max: int = Field(256, ge=1, le=10_000, validation_alias=AliasChoices("INGEST_WRITE_BATCH_MAX"))
    writers: int = Field(2, ge=1, le=64, validation_alias=AliasChoices("INGEST_WRITERS"))

"""Settings of the visits service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.settings import ServiceSettings


class VisitsSettings(ServiceSettings):
    """Environment of the visits process."""

    service_name: str = "visits"
    grpc_listen: str = Field("127.0.0.1:50052", validation_alias=AliasChoices("VISITS_GRPC_LISTEN"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=AliasChoices("VISITS_METRICS_PORT"))

"""Settings of the supervisor service."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from libs.common.settings import ServiceSettings


class SupervisorSettings(ServiceSettings):
    """Environment of the supervisor process."""

    service_name: str = "supervisor"
    grpc_listen: str = Field("127.0.0.1:50053", validation_alias=AliasChoices("SUPERVISOR_GRPC_LISTEN"))
    metrics_port: int = Field(0, ge=0, le=65535, validation_alias=AliasChoices("SUPERVISOR_METRICS_PORT"))

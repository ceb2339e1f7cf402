"""The gateway's links to the three services: one channel per target, their stubs, call options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from gateway.inbound import MAX_BATCH, MAX_CALLS, InboundBatcher
from gateway.settings import GatewaySettings
from libs.common.auth import SYSTEM_TENANT
from libs.common.clients import ServiceTokens, channel
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

INGEST_SERVICE = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
VISITS_SERVICE = visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name
SUPERVISOR_SERVICE = supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name


@dataclass(frozen=True, slots=True)
class HealthTarget:
    """A service whose grpc.health.v1 status gates readiness."""

    name: str
    service: str
    stub: health_pb2_grpc.HealthStub


@dataclass(slots=True)
class Backends:
    """Stubs over one long-lived channel per service, the tokens the gateway mints for webhooks, the batcher."""

    ingest: ingest_pb2_grpc.IngestServiceStub
    visits: visits_pb2_grpc.VisitsServiceStub
    supervisor: supervisor_pb2_grpc.SupervisorServiceStub
    health: tuple[HealthTarget, ...]
    channels: tuple[grpc.aio.Channel, ...]
    service_tokens: ServiceTokens
    timeout: float
    inbound: InboundBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.inbound = InboundBatcher(self.ingest, options=self.as_service, max_batch=MAX_BATCH, max_calls=MAX_CALLS)

    @classmethod
    def connect(cls, settings: GatewaySettings) -> Backends:
        """Opens the channels (lazily connecting) to the configured targets."""
        ingest = channel(settings.ingest_target, retry_services=[INGEST_SERVICE])
        visits = channel(settings.visits_target, retry_services=[VISITS_SERVICE])
        supervisor = channel(settings.supervisor_target, retry_services=[SUPERVISOR_SERVICE])
        return cls(
            ingest=ingest_pb2_grpc.IngestServiceStub(ingest),
            visits=visits_pb2_grpc.VisitsServiceStub(visits),
            supervisor=supervisor_pb2_grpc.SupervisorServiceStub(supervisor),
            health=(
                HealthTarget("ingest", INGEST_SERVICE, health_pb2_grpc.HealthStub(ingest)),
                HealthTarget("visits", VISITS_SERVICE, health_pb2_grpc.HealthStub(visits)),
                HealthTarget("supervisor", SUPERVISOR_SERVICE, health_pb2_grpc.HealthStub(supervisor)),
            ),
            channels=(ingest, visits, supervisor),
            service_tokens=ServiceTokens(settings.auth_secret),
            timeout=settings.rpc_timeout_seconds,
        )

    async def close(self, *, grace: float | None = None) -> None:
        """Closes every channel, letting in-flight calls finish for `grace` seconds."""
        for open_channel in self.channels:
            await open_channel.close(grace)

    def as_service(self, tenant: str) -> dict[str, Any]:
        """Call options (service token of `tenant`, deadline) for the gateway's own calls, e.g. webhooks."""
        return {"metadata": self.service_tokens.metadata(tenant), "timeout": self.timeout}

    def as_system(self) -> dict[str, Any]:
        """Call options for cross-tenant calls (tenant list, dead letters)."""
        return self.as_service(SYSTEM_TENANT)

"""The console's links to the three services: one channel per target, their stubs, per-caller call options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from console.settings import ConsoleSettings
from libs.common.auth import Role
from libs.common.clients import ServiceTokens, channel, metadata_for
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2, visits_pb2_grpc

SERVICES = {
    "ingest": ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
    "visits": visits_pb2.DESCRIPTOR.services_by_name["VisitsService"].full_name,
    "supervisor": supervisor_pb2.DESCRIPTOR.services_by_name["SupervisorService"].full_name,
}


@dataclass(slots=True)
class Backends:
    """Stubs over one long-lived channel per service and the tokens the console signs its calls with."""

    ingest: ingest_pb2_grpc.IngestServiceStub
    visits: visits_pb2_grpc.VisitsServiceStub
    supervisor: supervisor_pb2_grpc.SupervisorServiceStub
    health: dict[str, health_pb2_grpc.HealthStub]
    channels: tuple[grpc.aio.Channel, ...]
    tokens: ServiceTokens
    timeout: float

    @classmethod
    def connect(cls, settings: ConsoleSettings) -> Backends:
        """Opens the channels (lazily connecting) to the configured targets."""
        targets = {
            "ingest": settings.ingest_target,
            "visits": settings.visits_target,
            "supervisor": settings.supervisor_target,
        }
        channels = {name: channel(target, retry_services=[SERVICES[name]]) for name, target in targets.items()}
        return cls(
            ingest=ingest_pb2_grpc.IngestServiceStub(channels["ingest"]),
            visits=visits_pb2_grpc.VisitsServiceStub(channels["visits"]),
            supervisor=supervisor_pb2_grpc.SupervisorServiceStub(channels["supervisor"]),
            health={name: health_pb2_grpc.HealthStub(chan) for name, chan in channels.items()},
            channels=tuple(channels.values()),
            tokens=ServiceTokens(settings.auth_secret),
            timeout=settings.rpc_timeout_seconds,
        )

    async def close(self, *, grace: float | None = None) -> None:
        """Closes every channel, letting in-flight calls finish for `grace` seconds."""
        for open_channel in self.channels:
            await open_channel.close(grace)

    def as_user(self, *, tenant: str, role: Role, user_id: str) -> dict[str, Any]:
        """Call options for a signed-in user: their own short-lived token, and the deadline."""
        token = self.tokens.token(tenant, role=role, user_id=user_id)
        return {"metadata": metadata_for(token), "timeout": self.timeout}

    def as_service(self, tenant: str) -> dict[str, Any]:
        """Call options for the console's own calls for `tenant` (login, the team list)."""
        return {"metadata": self.tokens.metadata(tenant), "timeout": self.timeout}

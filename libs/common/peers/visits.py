"""The client other processes use to call visits."""

from __future__ import annotations

from libs.common.clients import Peer, ServiceTokens
from vertice360.visits.v1 import visits_pb2 as pb
from vertice360.visits.v1 import visits_pb2_grpc

SERVICE = pb.DESCRIPTOR.services_by_name["VisitsService"].full_name


class VisitsClient(Peer):
    """Visits' RPCs for a tenant's service token; failures raise libs.common.errors domain errors."""

    def __init__(self, *, target: str, tokens: ServiceTokens, timeout_seconds: float) -> None:
        super().__init__(target=target, service=SERVICE, tokens=tokens, timeout_seconds=timeout_seconds)
        self._stub = visits_pb2_grpc.VisitsServiceStub(self.channel)

    async def handle_lead_reply(self, tenant: str, request: pb.HandleLeadReplyRequest) -> pb.HandleLeadReplyResponse:
        """Confirms a visit or asks to move it, from the id of the reply button a lead tapped."""
        return await self.call(self._stub.HandleLeadReply, request, tenant=tenant)

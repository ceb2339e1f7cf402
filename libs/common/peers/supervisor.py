"""The client other processes use to call supervisor."""

from __future__ import annotations

from libs.common.clients import Peer, ServiceTokens
from vertice360.supervisor.v1 import supervisor_pb2 as pb
from vertice360.supervisor.v1 import supervisor_pb2_grpc

SERVICE = pb.DESCRIPTOR.services_by_name["SupervisorService"].full_name


class SupervisorClient(Peer):
    """Supervisor's RPCs for a tenant's service token; failures raise libs.common.errors domain errors."""

    def __init__(self, *, target: str, tokens: ServiceTokens, timeout_seconds: float) -> None:
        super().__init__(target=target, service=SERVICE, tokens=tokens, timeout_seconds=timeout_seconds)
        self._stub = supervisor_pb2_grpc.SupervisorServiceStub(self.channel)

    async def send_reply(self, tenant: str, request: pb.SendReplyRequest) -> pb.SendReplyResponse:
        """Stores a message to the lead and queues its delivery, once per idempotency key."""
        return await self.call(self._stub.SendReply, request, tenant=tenant)

    async def list_users(
        self, tenant: str, *, include_inactive: bool = False, within: float | None = None
    ) -> list[pb.User]:
        """The tenant's users (with the inactive ones when asked)."""
        request = pb.ListUsersRequest(include_inactive=include_inactive)
        reply = await self.call(self._stub.ListUsers, request, tenant=tenant, within=within)
        return list(reply.users)

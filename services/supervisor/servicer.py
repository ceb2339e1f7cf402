"""SupervisorService over gRPC: translates protos to domain values and back, nothing more."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import grpc
from google.protobuf import json_format

from libs.common.context import current_principal
from libs.common.errors import NotImplementedYet
from services.supervisor import models
from services.supervisor.service import SupervisorService
from services.supervisor.service import now_utc as _now
from vertice360.supervisor.v1 import supervisor_pb2 as pb
from vertice360.supervisor.v1 import supervisor_pb2_grpc

ROLE_ENUM = {"agent": pb.ROLE_AGENT, "supervisor": pb.ROLE_SUPERVISOR, "admin": pb.ROLE_ADMIN}
ROLES = {value: name for name, value in ROLE_ENUM.items()}
STATUS_ENUM = {
    "pending": pb.DELIVERY_STATUS_PENDING,
    "sent": pb.DELIVERY_STATUS_SENT,
    "delivered": pb.DELIVERY_STATUS_DELIVERED,
    "read": pb.DELIVERY_STATUS_READ,
    "failed": pb.DELIVERY_STATUS_FAILED,
}
STATUSES = {value: name for name, value in STATUS_ENUM.items()}


def user_pb(user: models.User) -> pb.User:
    """A user row as a proto."""
    return pb.User(id=str(user.id), name=user.name, email=user.email, role=ROLE_ENUM[user.role], active=user.active)


class SupervisorServicer(supervisor_pb2_grpc.SupervisorServiceServicer):
    """Thin gRPC adapter over SupervisorService."""

    def __init__(self, service: SupervisorService) -> None:
        self.service = service

    async def UpsertUser(self, request: pb.UpsertUserRequest, context: grpc.aio.ServicerContext) -> Any:
        u = request.user
        user = await self.service.upsert_user(
            principal=current_principal(), name=u.name, email=u.email, role=ROLES.get(u.role, ""), active=u.active
        )
        return pb.UpsertUserResponse(user=user_pb(user), created=user.created)

    async def ListUsers(self, request: pb.ListUsersRequest, context: grpc.aio.ServicerContext) -> Any:
        users = await self.service.list_users(principal=current_principal(), include_inactive=request.include_inactive)
        return pb.ListUsersResponse(users=[user_pb(u) for u in users])

    async def RecordDeliveryStatuses(
        self, request: pb.RecordDeliveryStatusesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        statuses = [
            models.StatusUpdate(
                provider=s.provider,
                provider_message_id=s.provider_message_id,
                status=STATUSES.get(s.status, ""),
                at=s.at.ToDatetime(tzinfo=UTC) if s.HasField("at") else _now(),
                error_code=s.error_code,
                error_title=s.error_title,
                raw=json_format.MessageToDict(s.raw) if s.HasField("raw") else None,
            )
            for s in request.statuses
        ]
        recorded = await self.service.record_statuses(principal=current_principal(), statuses=statuses)
        return pb.RecordDeliveryStatusesResponse(recorded=recorded)

    async def SendReply(self, request: pb.SendReplyRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #5 (replies delivered to WhatsApp through an outbox).
        raise NotImplementedYet("SendReply", 5)

    async def ListOutboundMessages(
        self, request: pb.ListOutboundMessagesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        # Built by issue #5 (outbound messages and their delivery status).
        raise NotImplementedYet("ListOutboundMessages", 5)

    async def AssignTicket(self, request: pb.AssignTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #5 (assignment of tickets to agents).
        raise NotImplementedYet("AssignTicket", 5)

    async def EscalateTicket(self, request: pb.EscalateTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #5 (escalation to a human supervisor).
        raise NotImplementedYet("EscalateTicket", 5)

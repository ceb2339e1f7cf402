"""SupervisorService over gRPC: translates protos to domain values and back, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from libs.common.context import current_principal
from libs.common.wire import to_datetime, to_dict
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


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def outbound_pb(row: models.Outbound) -> pb.OutboundMessage:
    """A reply row as a proto."""
    return pb.OutboundMessage(
        id=str(row.id),
        ticket_id=str(row.ticket_id),
        message_id=str(row.message_id) if row.message_id else "",
        text=row.text,
        status=STATUS_ENUM[row.status],
        provider_message_id=row.provider_message_id or "",
        error_code=row.error_code,
        error_title=row.error_title,
        attempts=row.attempts,
        created_at=_ts(row.created_at),
        updated_at=_ts(row.updated_at),
        author_user_id=row.author_user_id,
    )


def template_pb(template: models.MessageTemplate) -> pb.MessageTemplate:
    """A template row as a proto."""
    return pb.MessageTemplate(
        name=template.name,
        language=template.language,
        title=template.title,
        body=template.body,
        parameter_count=template.parameter_count,
        active=template.active,
        updated_at=_ts(template.updated_at) if template.updated_at else None,
    )


def user_pb(user: models.User) -> pb.User:
    """A user row as a proto."""
    return pb.User(id=str(user.id), name=user.name, email=user.email, role=ROLE_ENUM[user.role], active=user.active)


def _template(template: pb.Template) -> models.Template:
    return models.Template(name=template.name, language=template.language, parameters=list(template.parameters))


class SupervisorServicer(supervisor_pb2_grpc.SupervisorServiceServicer):
    """Thin gRPC adapter over SupervisorService."""

    def __init__(self, service: SupervisorService) -> None:
        self.service = service

    async def UpsertUser(self, request: pb.UpsertUserRequest, context: grpc.aio.ServicerContext) -> Any:
        u = request.user
        user = await self.service.upsert_user(
            principal=current_principal(),
            name=u.name,
            email=u.email,
            role=ROLES.get(u.role, ""),
            active=u.active,
            password=request.password,
        )
        return pb.UpsertUserResponse(user=user_pb(user), created=user.created)

    async def Authenticate(self, request: pb.AuthenticateRequest, context: grpc.aio.ServicerContext) -> Any:
        user = await self.service.authenticate(
            principal=current_principal(), email=request.email, password=request.password
        )
        return pb.AuthenticateResponse(user=user_pb(user))

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
                at=to_datetime(s.at, field="statuses.at") if s.HasField("at") else _now(),
                error_code=s.error_code,
                error_title=s.error_title,
                raw=to_dict(s.raw, field="statuses.raw") if s.HasField("raw") else None,
                also_message_ids=[message_id for message_id in s.also_message_ids if message_id],
            )
            for s in request.statuses
        ]
        recorded = await self.service.record_statuses(principal=current_principal(), statuses=statuses)
        return pb.RecordDeliveryStatusesResponse(recorded=recorded)

    async def SendReply(self, request: pb.SendReplyRequest, context: grpc.aio.ServicerContext) -> Any:
        template = request.template if request.HasField("template") else None
        outbound, duplicate = await self.service.send_reply(
            principal=current_principal(),
            request=models.ReplyRequest(
                ticket_id=request.ticket_id,
                text=request.text,
                template=_template(template) if template is not None else None,
                buttons=[models.Button(id=b.id, title=b.title) for b in request.buttons],
                idempotency_key=request.idempotency_key,
                list_menu=models.ReplyList(
                    button=request.list.button,
                    section_title=request.list.section_title,
                    rows=[models.ListRow(id=r.id, title=r.title, description=r.description) for r in request.list.rows],
                )
                if request.HasField("list")
                else None,
                template_if_window_closed=_template(request.template_if_window_closed)
                if request.HasField("template_if_window_closed")
                else None,
            ),
        )
        return pb.SendReplyResponse(message=outbound_pb(outbound), duplicate=duplicate)

    async def ListOutboundMessages(
        self, request: pb.ListOutboundMessagesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        rows = await self.service.list_outbound(principal=current_principal(), ticket_id=request.ticket_id)
        return pb.ListOutboundMessagesResponse(messages=[outbound_pb(row) for row in rows])

    async def WatchDeliveries(
        self, request: pb.WatchDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchDeliveriesResponse]:
        async for outbound in self.service.watch_deliveries(principal=current_principal()):
            if outbound is None:
                yield pb.WatchDeliveriesResponse(ready=True)
            else:
                yield pb.WatchDeliveriesResponse(message=outbound_pb(outbound))

    async def UpsertTemplate(self, request: pb.UpsertTemplateRequest, context: grpc.aio.ServicerContext) -> Any:
        t = request.template
        template = await self.service.upsert_template(
            principal=current_principal(),
            template=models.MessageTemplate(
                name=t.name, language=t.language, title=t.title, body=t.body, parameter_count=0, active=t.active
            ),
        )
        return pb.UpsertTemplateResponse(template=template_pb(template), created=template.created)

    async def ListTemplates(self, request: pb.ListTemplatesRequest, context: grpc.aio.ServicerContext) -> Any:
        templates = await self.service.list_templates(
            principal=current_principal(), include_inactive=request.include_inactive
        )
        return pb.ListTemplatesResponse(templates=[template_pb(t) for t in templates])

    async def AssignTicket(self, request: pb.AssignTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        assignee = await self.service.assign_ticket(
            principal=current_principal(), ticket_id=request.ticket_id, user_id=request.user_id
        )
        return pb.AssignTicketResponse(ticket_id=request.ticket_id, assignee_user_id=str(assignee.id))

    async def EscalateTicket(self, request: pb.EscalateTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        supervisor = await self.service.escalate_ticket(
            principal=current_principal(), ticket_id=request.ticket_id, reason=request.reason
        )
        return pb.EscalateTicketResponse(ticket_id=request.ticket_id, assignee_user_id=str(supervisor.id))

    async def UpsertProviderAccount(
        self, request: pb.UpsertProviderAccountRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        a = request.account
        account = await self.service.upsert_provider_account(
            principal=current_principal(),
            account=models.ProviderAccount(
                provider=a.provider,
                sender_id=a.sender_id,
                secret=a.secret,
                app_name=a.app_name,
                base_url=a.base_url,
            ),
        )
        return pb.UpsertProviderAccountResponse(
            account=pb.ProviderAccount(
                provider=account.provider,
                sender_id=account.sender_id,
                app_name=account.app_name,
                base_url=account.base_url,
            )
        )

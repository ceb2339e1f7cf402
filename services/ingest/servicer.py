"""IngestService over gRPC: translates protos to domain values and back, nothing more."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from libs.common.auth import Principal, Role
from libs.common.context import current_principal
from libs.common.errors import DomainError, InvalidArgument, status_for
from libs.common.wire import to_datetime, to_dict
from services.ingest import models
from services.ingest.service import IngestService, encode_cursor, now_utc
from vertice360.ingest.v1 import ingest_pb2 as pb
from vertice360.ingest.v1 import ingest_pb2_grpc

log = logging.getLogger(__name__)

PROVIDERS = {pb.PROVIDER_META: "meta", pb.PROVIDER_GUPSHUP: "gupshup", pb.PROVIDER_MANUAL: "manual"}
PROVIDER_ENUM = {name: value for value, name in PROVIDERS.items()}
ACTOR_ENUM = {
    "lead": pb.ACTOR_LEAD,
    "agent": pb.ACTOR_AGENT,
    "supervisor": pb.ACTOR_SUPERVISOR,
    "system": pb.ACTOR_SYSTEM,
}
ACTORS = {value: name for name, value in ACTOR_ENUM.items()}
DIRECTION_ENUM = {"in": pb.DIRECTION_IN, "out": pb.DIRECTION_OUT}
REFERRAL_FIELDS = frozenset(pb.Referral.DESCRIPTOR.fields_by_name)
WINDOWS = {pb.WINDOW_FILTER_OPEN: True, pb.WINDOW_FILTER_CLOSED: False}
OUTCOME_NAMES = {
    pb.TICKET_OUTCOME_VISIT_DONE: "visit_done",
    pb.TICKET_OUTCOME_WON: "won",
    pb.TICKET_OUTCOME_LOST: "lost",
}


def message_type_name(value: int) -> str:
    """`MESSAGE_TYPE_BUTTON_REPLY` -> `button_reply`; empty for UNSPECIFIED or unknown numbers."""
    if value == pb.MESSAGE_TYPE_UNSPECIFIED or value not in pb.MessageType.values():
        return ""
    return pb.MessageType.Name(value).removeprefix("MESSAGE_TYPE_").lower()


def message_type_enum(name: str) -> int:
    """The enum value of a stored type name (UNSUPPORTED for names this contract doesn't know)."""
    try:
        return pb.MessageType.Value("MESSAGE_TYPE_" + name.upper())
    except ValueError:
        return pb.MESSAGE_TYPE_UNSUPPORTED


def _ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None or value in (datetime.min, datetime.max) or value.year < 1970:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _struct(value: dict[str, Any] | None) -> struct_pb2.Struct | None:
    if value is None:
        return None
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _dict(message: struct_pb2.Struct, present: bool, *, field: str) -> dict[str, Any] | None:
    return to_dict(message, field=field) if present else None


def tenant_pb(tenant: models.Tenant, *, with_secrets: bool) -> pb.Tenant:
    """A tenant as a proto; secrets only for service callers."""
    result = pb.Tenant(
        slug=tenant.slug,
        name=tenant.name,
        region=tenant.region,
        timezone=tenant.timezone,
        meta_phone_number_id=tenant.meta_phone_number_id or "",
        gupshup_app=tenant.gupshup_app or "",
    )
    if with_secrets:
        result.meta_app_secret = tenant.meta_app_secret or ""
        result.meta_verify_token = tenant.meta_verify_token or ""
        result.gupshup_token = tenant.gupshup_token or ""
    return result


def _is_service(principal: Principal) -> bool:
    return principal.role == Role.SERVICE


def ticket_pb(row: models.TicketRow) -> pb.Ticket:
    """A ticket row as a proto."""
    return pb.Ticket(
        id=str(row.id),
        lead_id=str(row.lead_id),
        lead_name=row.lead_name,
        phone_e164=row.phone_e164 or "",
        project_code=row.project_code,
        project_name=row.project_name,
        stage=row.stage,
        last_message_snippet=row.last_message_snippet,
        last_message_at=_ts(row.last_message_at),
        visit_scheduled_at=_ts(row.visit_scheduled_at),
        assignee_user_id=row.assignee_user_id,
        unread_count=row.unread_count,
        last_inbound_at=_ts(row.last_inbound_at),
        conversation_id=str(row.conversation_id),
        created_at=_ts(row.created_at),
        reply_address=row.reply_address,
        lead_user_id=row.lead_user_id,
        lead_username=row.lead_username,
        source=pb.LeadSource(
            asset_code=row.asset_code,
            asset_name=row.asset_name,
            referral=pb.Referral(**{k: str(v) for k, v in (row.referral or {}).items() if k in REFERRAL_FIELDS}),
        )
        if row.asset_code or row.referral
        else None,
        waiting_since=_ts(row.waiting_since),
    )


def message_pb(row: models.MessageRow) -> pb.Message:
    """A message row as a proto."""
    media = row.media or {}
    return pb.Message(
        id=str(row.id),
        direction=DIRECTION_ENUM[row.direction],
        actor=ACTOR_ENUM[row.actor],
        provider=PROVIDER_ENUM[row.provider],
        provider_message_id=row.provider_message_id,
        type=message_type_enum(row.type),
        text=row.text,
        media=pb.Media(**media) if media else None,
        payload=_struct(row.payload),
        sent_at=_ts(row.sent_at),
        created_at=_ts(row.created_at),
        author_user_id=row.author_user_id,
    )


def event_pb(row: models.EventRow) -> pb.Event:
    """An event row as a proto."""
    return pb.Event(
        id=str(row.id),
        type=row.type,
        correlation_id=str(row.correlation_id),
        payload=_struct(row.payload),
        created_at=_ts(row.created_at),
    )


def _ticket_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument("ticket_id must be a UUID", field="ticket_id") from exc


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    """Thin gRPC adapter over IngestService."""

    def __init__(self, service: IngestService) -> None:
        self.service = service

    async def UpsertTenant(self, request: pb.UpsertTenantRequest, context: grpc.aio.ServicerContext) -> Any:
        t = request.tenant
        tenant = await self.service.upsert_tenant(
            principal=current_principal(),
            tenant=models.Tenant(
                slug=t.slug,
                name=t.name,
                region=t.region,
                timezone=t.timezone,
                meta_phone_number_id=t.meta_phone_number_id or None,
                meta_app_secret=t.meta_app_secret or None,
                meta_verify_token=t.meta_verify_token or None,
                gupshup_app=t.gupshup_app or None,
                gupshup_token=t.gupshup_token or None,
            ),
        )
        return pb.UpsertTenantResponse(tenant=tenant_pb(tenant, with_secrets=True), created=tenant.created)

    async def GetTenant(self, request: pb.GetTenantRequest, context: grpc.aio.ServicerContext) -> Any:
        principal = current_principal()
        tenant = await self.service.get_tenant(principal=principal)
        return pb.GetTenantResponse(tenant=tenant_pb(tenant, with_secrets=_is_service(principal)))

    async def ListTenants(self, request: pb.ListTenantsRequest, context: grpc.aio.ServicerContext) -> Any:
        tenants = await self.service.list_tenants(principal=current_principal())
        return pb.ListTenantsResponse(tenants=[tenant_pb(t, with_secrets=True) for t in tenants])

    async def ResolveChannel(self, request: pb.ResolveChannelRequest, context: grpc.aio.ServicerContext) -> Any:
        kind = request.WhichOneof("address")
        if kind is None:
            raise InvalidArgument("one channel address is required", field="address")
        tenant = await self.service.resolve_channel(
            principal=current_principal(), kind=kind, value=getattr(request, kind)
        )
        return pb.ResolveChannelResponse(tenant=tenant_pb(tenant, with_secrets=True))

    async def UpsertProject(self, request: pb.UpsertProjectRequest, context: grpc.aio.ServicerContext) -> Any:
        p = request.project
        project = await self.service.upsert_project(
            principal=current_principal(),
            project=models.Project(id=uuid.uuid4(), code=p.code, name=p.name, location=p.location),
        )
        return pb.UpsertProjectResponse(project=_project_pb(project))

    async def UpsertMarketingAsset(
        self, request: pb.UpsertMarketingAssetRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        a = request.asset
        asset = await self.service.upsert_marketing_asset(
            principal=current_principal(),
            asset=models.MarketingAsset(
                id=uuid.uuid4(),
                code=a.code,
                name=a.name,
                keyword=a.keyword,
                channel=a.channel,
                project_code=a.project_code or None,
                ad_id=a.ad_id or None,
            ),
        )
        return pb.UpsertMarketingAssetResponse(asset=_asset_pb(asset))

    async def GetCatalog(self, request: pb.GetCatalogRequest, context: grpc.aio.ServicerContext) -> Any:
        projects, assets = await self.service.catalog(principal=current_principal())
        return pb.GetCatalogResponse(
            projects=[_project_pb(p) for p in projects], marketing_assets=[_asset_pb(a) for a in assets]
        )

    async def IngestMessage(self, request: pb.IngestMessageRequest, context: grpc.aio.ServicerContext) -> Any:
        stored = await self.service.ingest(principal=current_principal(), message=_inbound(request.message))
        return _stored(stored)

    async def IngestMessages(self, request: pb.IngestMessagesRequest, context: grpc.aio.ServicerContext) -> Any:
        inbound: list[models.Inbound | BaseException] = []
        for message in request.messages:
            try:
                inbound.append(_inbound(message))
            except DomainError as exc:
                inbound.append(exc)
        valid = [item for item in inbound if isinstance(item, models.Inbound)]
        results = iter(await self.service.ingest_many(principal=current_principal(), messages=valid))
        outcomes = []
        for item in inbound:
            result = next(results) if isinstance(item, models.Inbound) else item
            outcomes.append(_outcome(result))
        return pb.IngestMessagesResponse(outcomes=outcomes)

    async def RecordDeadLetter(self, request: pb.RecordDeadLetterRequest, context: grpc.aio.ServicerContext) -> Any:
        dead_letter_id = await self.service.record_dead_letter(
            principal=current_principal(),
            source=request.source,
            reason=request.reason,
            payload=request.payload,
            tenant=request.tenant_slug,
        )
        return pb.RecordDeadLetterResponse(id=str(dead_letter_id))

    async def ListDeadLetters(self, request: pb.ListDeadLettersRequest, context: grpc.aio.ServicerContext) -> Any:
        rows, token = await self.service.list_dead_letters(
            principal=current_principal(), page_size=request.page_size, page_token=request.page_token
        )
        return pb.ListDeadLettersResponse(
            dead_letters=[
                pb.DeadLetter(
                    id=str(r.id),
                    source=r.source,
                    reason=r.reason,
                    payload=r.payload,
                    received_at=_ts(r.received_at),
                    tenant_slug=r.tenant,
                )
                for r in rows
            ],
            next_page_token=token,
        )

    async def ListTickets(self, request: pb.ListTicketsRequest, context: grpc.aio.ServicerContext) -> Any:
        page = await self.service.list_tickets(
            principal=current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            where=models.TicketFilter(
                stage=request.stage or None,
                project_code=request.project_code or None,
                assignee_user_id=request.assignee_user_id or None,
                query=request.query.strip() or None,
                unread_only=request.unread_only,
                window_open=WINDOWS.get(request.window),
            ),
            waiting_first=request.order == pb.TICKET_ORDER_WAITING,
        )
        return pb.ListTicketsResponse(
            tickets=[ticket_pb(t) for t in page.tickets],
            next_page_token=encode_cursor(*page.next_after) if page.next_after else "",
        )

    async def CountTickets(self, request: pb.CountTicketsRequest, context: grpc.aio.ServicerContext) -> Any:
        counts = await self.service.count_tickets(
            principal=current_principal(),
            where=models.TicketFilter(
                project_code=request.project_code or None, assignee_user_id=request.assignee_user_id or None
            ),
        )
        return pb.CountTicketsResponse(
            stages=[pb.StageCount(stage=c.stage, count=c.count) for c in counts],
            waiting=sum(c.waiting for c in counts),
        )

    async def WatchChanges(
        self, request: pb.WatchChangesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchChangesResponse]:
        async for change in self.service.watch_changes(principal=current_principal()):
            if change is None:
                yield pb.WatchChangesResponse(ready=True)
                continue
            yield pb.WatchChangesResponse(
                ticket=ticket_pb(change.ticket),
                event=event_pb(change.event),
                message=message_pb(change.message) if change.message is not None else None,
            )

    async def SetTicketOutcome(self, request: pb.SetTicketOutcomeRequest, context: grpc.aio.ServicerContext) -> Any:
        ticket, applied = await self.service.set_outcome(
            principal=current_principal(),
            ticket_id=request.ticket_id,
            outcome=OUTCOME_NAMES.get(request.outcome, ""),
            lost_reason=request.lost_reason,
            idempotency_key=request.idempotency_key,
        )
        return pb.SetTicketOutcomeResponse(ticket=ticket_pb(ticket), applied=applied)

    async def AddNote(self, request: pb.AddNoteRequest, context: grpc.aio.ServicerContext) -> Any:
        note, duplicate = await self.service.add_note(
            principal=current_principal(),
            ticket_id=request.ticket_id,
            text=request.text,
            idempotency_key=request.idempotency_key,
        )
        return pb.AddNoteResponse(note=event_pb(note), duplicate=duplicate)

    async def ListLostReasons(self, request: pb.ListLostReasonsRequest, context: grpc.aio.ServicerContext) -> Any:
        reasons = await self.service.lost_reasons(principal=current_principal())
        return pb.ListLostReasonsResponse(reasons=[pb.LostReason(code=r.code, label=r.label) for r in reasons])

    async def SetLostReasons(self, request: pb.SetLostReasonsRequest, context: grpc.aio.ServicerContext) -> Any:
        reasons = await self.service.set_lost_reasons(
            principal=current_principal(),
            reasons=[models.LostReason(code=r.code, label=r.label) for r in request.reasons],
        )
        return pb.SetLostReasonsResponse(reasons=[pb.LostReason(code=r.code, label=r.label) for r in reasons])

    async def GetTicket(self, request: pb.GetTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        timeline = await self.service.timeline(principal=current_principal(), ticket_id=request.ticket_id)
        return pb.GetTicketResponse(
            ticket=ticket_pb(timeline.ticket),
            messages=[message_pb(m) for m in timeline.messages],
            events=[event_pb(e) for e in timeline.events],
        )

    async def ApplyTicketUpdate(self, request: pb.ApplyTicketUpdateRequest, context: grpc.aio.ServicerContext) -> Any:
        ticket, applied = await self.service.apply_ticket_update(
            principal=current_principal(),
            update=models.TicketUpdate(
                ticket_id=_ticket_uuid(request.ticket_id),
                dedupe_key=request.dedupe_key,
                event_type=request.event_type,
                event_payload=to_dict(request.event_payload, field="event_payload"),
                stage=request.stage or None,
                visit_scheduled_at=to_datetime(request.visit_scheduled_at, field="visit_scheduled_at")
                if request.HasField("visit_scheduled_at")
                else None,
                clear_visit_scheduled_at=request.clear_visit_scheduled_at,
                assignee_user_id=request.assignee_user_id or None,
            ),
        )
        return pb.ApplyTicketUpdateResponse(ticket=ticket_pb(ticket), applied=applied)

    async def AppendOutboundMessage(
        self, request: pb.AppendOutboundMessageRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        result = await self.service.append_outbound(
            principal=current_principal(),
            outbound=models.Outbound(
                ticket_id=_ticket_uuid(request.ticket_id),
                dedupe_key=request.dedupe_key,
                actor=ACTORS.get(request.actor, ""),
                author_user_id=request.author_user_id,
                text=request.text,
                type=message_type_name(request.type) or "text",
                payload=_dict(request.payload, request.HasField("payload"), field="payload"),
            ),
        )
        return pb.AppendOutboundMessageResponse(
            message=message_pb(result.message),
            ticket=ticket_pb(result.ticket),
            duplicate=result.duplicate,
            phone_e164=result.ticket.phone_e164 or "",
            provider=PROVIDER_ENUM[result.message.provider],
            reply_address=result.ticket.reply_address,
        )


def _project_pb(project: models.Project) -> pb.Project:
    return pb.Project(id=str(project.id), code=project.code, name=project.name, location=project.location)


def _asset_pb(asset: models.MarketingAsset) -> pb.MarketingAsset:
    return pb.MarketingAsset(
        id=str(asset.id),
        code=asset.code,
        name=asset.name,
        keyword=asset.keyword,
        project_code=asset.project_code or "",
        channel=asset.channel,
        ad_id=asset.ad_id or "",
    )


def _inbound(m: pb.InboundMessage) -> models.Inbound:
    sent_at = to_datetime(m.sent_at, field="sent_at") if m.HasField("sent_at") else now_utc()
    return models.Inbound(
        channel=PROVIDERS.get(m.provider, ""),
        provider_message_id=m.provider_message_id,
        from_phone=m.from_phone,
        profile_name=m.profile_name,
        sent_at=sent_at,
        type=message_type_name(m.type),
        text=m.text,
        media=json_format.MessageToDict(m.media, preserving_proto_field_name=True) if m.HasField("media") else None,
        payload=_dict(m.payload, m.HasField("payload"), field="payload"),
        context_message_id=m.context_message_id,
        project_code=m.project_code,
        asset_code=m.asset_code,
        reply_id=m.reply_id,
        from_user_id=m.from_user_id,
        username=m.username,
        referral={name: value for name, value in _fields(m.referral).items() if value} or None
        if m.HasField("referral")
        else None,
        new_from_phone=m.new_from_phone,
        new_from_user_id=m.new_from_user_id,
    )


def _fields(message: Any) -> dict[str, str]:
    return {field.name: getattr(message, field.name) for field in message.DESCRIPTOR.fields}


def _stored(stored: models.Stored) -> pb.IngestMessageResponse:
    return pb.IngestMessageResponse(
        lead_id=str(stored.lead_id),
        conversation_id=str(stored.conversation_id),
        ticket_id=str(stored.ticket_id),
        message_id=str(stored.message_id),
        duplicate=stored.duplicate,
        phone_e164=stored.phone_e164 or "",
        reply_address=stored.reply_address,
    )


def _outcome(result: models.Stored | BaseException) -> pb.IngestOutcome:
    if isinstance(result, models.Stored):
        return pb.IngestOutcome(stored=_stored(result))
    status = status_for(result)
    if status is None:
        # A bug, not a refusal: it fails this message only, and is logged like the interceptor logs one.
        log.error("unhandled error in IngestMessages", exc_info=result)
        status = (grpc.StatusCode.INTERNAL, "internal error", None)
    code, message, field = status
    return pb.IngestOutcome(error=pb.IngestError(code=code.value[0], message=message, field=field or ""))

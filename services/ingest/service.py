"""Rules of the conversation core: tenants, catalog, exactly-once ingest, tickets and timeline."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import re
import time
import uuid
import zoneinfo
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg.errors
from prometheus_client import Counter

from libs.common.auth import SYSTEM_TENANT, Principal, Role
from libs.common.backoff import Backoff
from libs.common.changefeed import ChangeFeed, Notice
from libs.common.errors import Conflict, DomainError, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from libs.common.outbox import Outbox, Outcome, Task
from libs.common.peers.visits import VisitsClient
from libs.common.phones import to_e164, whatsapp_sender
from services.ingest.models import (
    ACTORS,
    CHANNELS,
    DEFAULT_LOST_REASONS,
    LEAD_REPLY,
    MANUAL_CHANNEL,
    OUTCOMES,
    SNIPPET_LENGTH,
    STAGES,
    AppendedOutbound,
    DeadLetter,
    EventRow,
    Inbound,
    InboundRow,
    LeadKey,
    LostReason,
    MarketingAsset,
    Outbound,
    Project,
    StageCount,
    Stored,
    Tenant,
    TicketChange,
    TicketFilter,
    TicketPage,
    TicketRow,
    TicketUpdate,
    Timeline,
)
from services.ingest.repository import Repository
from services.ingest.settings import IngestSettings
from services.ingest.writer import InboundWriter
from vertice360.visits.v1 import visits_pb2

log = logging.getLogger(__name__)
INGESTED = Counter(
    "v360_ingest_messages_total",
    "Inbound messages stored (first deliveries), by provider and type.",
    ["provider", "type"],
)
DUPLICATES = Counter(
    "v360_ingest_duplicates_total", "Redelivered inbound messages dropped as already stored, by provider.", ["provider"]
)
DEAD_LETTERS = Counter("v360_ingest_dead_letters_total", "Payloads kept as dead letters, by source.", ["source"])
# Reply-button ids the visits service mints (see services/visits/models.py).
VISITS_REPLY_PREFIX = "v360v:"
# A tap reaches visits soon after it is back: the lead is waiting for the confirmation.
HAND_OFF_BACKOFF = Backoff(base=0.25, cap=10.0)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# A business-scoped user id: a two-letter country code, an optional ".ENT", a dot, up to 128 alphanumerics.
BSUID = re.compile(r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$")
AD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TEXT = 4096
MAX_PROVIDER_ID = 256
MAX_BATCH = 500
MAX_PAGE = 200
DEFAULT_PAGE = 50
TENANT_CACHE_SECONDS = 10.0
MAX_KEY = 150
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]+$")
REASON_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_LOST_REASONS = 30


def _idempotency_key(value: str) -> str:
    key = value.strip() or uuid.uuid4().hex
    if len(key) > MAX_KEY or not IDEMPOTENCY_KEY.match(key):
        raise InvalidArgument(
            f"idempotency_key must be 1-{MAX_KEY} printable ASCII characters", field="idempotency_key"
        )
    return key


def _require_system(principal: Principal) -> None:
    principal.require(Role.SERVICE)
    if principal.tenant != SYSTEM_TENANT:
        raise PermissionDenied("only system callers may act across tenants")


def _uuid(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field} must be a UUID", field=field) from exc


def lead_key(message: Inbound, *, region: str) -> LeadKey:
    """Who sent `message`: the lead's identity, E.164, reply address and BSUID (docs/architecture.md, "Sender ids").

    A typed phone (manual channel) must be a valid number. A provider's sender id is the reply address
    whatever a numbering library thinks of it; only text that is no WhatsApp id at all is refused.
    """
    if message.channel == MANUAL_CHANNEL:
        e164 = to_e164(message.from_phone, region=region, field="phone")
        return LeadKey(identity=e164, phone_e164=e164, wa_id=None, user_id=None)
    user_id = message.from_user_id.strip() or None
    if user_id is not None and not BSUID.match(user_id):
        raise InvalidArgument(
            "from_user_id is not a business-scoped user id (e.g. AR.1349120865)", field="from_user_id"
        )
    if message.from_phone.strip():
        sender = whatsapp_sender(message.from_phone, field="from_phone")
        identity = sender.e164 or f"wa:{sender.address}"
        return LeadKey(identity=identity, phone_e164=sender.e164, wa_id=sender.address, user_id=user_id)
    if user_id is not None:
        return LeadKey(identity=f"bsuid:{user_id}", phone_e164=None, wa_id=None, user_id=user_id)
    raise InvalidArgument("from_phone or from_user_id is required", field="from_phone")


def new_address(message: Inbound, *, region: str) -> LeadKey | None:
    """Where a number change moves the lead (None for any other message, or one naming no new id)."""
    if not message.new_from_phone.strip() and not message.new_from_user_id.strip():
        return None
    moved = dataclasses.replace(
        message, from_phone=message.new_from_phone, from_user_id=message.new_from_user_id or message.from_user_id
    )
    try:
        return lead_key(moved, region=region)
    except InvalidArgument as exc:
        raise InvalidArgument(exc.message, field=f"new_{exc.field}") from exc


def reply_address(key: LeadKey) -> str:
    """Where replies to this sender go: the WhatsApp id, else the BSUID, else the phone's digits."""
    return key.wa_id or key.user_id or (key.phone_e164 or "").lstrip("+")


def snippet(text: str) -> str:
    """The dashboard's one-line preview of a message."""
    line = " ".join(text.split())
    return line if len(line) <= SNIPPET_LENGTH else line[: SNIPPET_LENGTH - 1] + "…"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    """An opaque page token for the position after (at, id)."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(token: str, *, field: str = "page_token") -> tuple[datetime, uuid.UUID] | None:
    """The position a page token names; None for the first page."""
    if not token:
        return None
    try:
        at, _, row_id = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"{field} is not a valid cursor", field=field) from exc


class IngestService:
    """The ingest service's use cases, each checked against the caller."""

    def __init__(
        self,
        *,
        repository: Repository,
        writer: InboundWriter,
        settings: IngestSettings,
        visits: VisitsClient,
        outbox: Outbox,
        changes: ChangeFeed[TicketChange],
    ) -> None:
        self.changes = changes
        self.repository = repository
        self.writer = writer
        self.settings = settings
        self.visits = visits
        self.outbox = outbox
        outbox.register(LEAD_REPLY, visits_pb2.HandleLeadReplyRequest, self.relay_lead_reply, backoff=HAND_OFF_BACKOFF)
        self._tenants: dict[str, tuple[float, Tenant]] = {}

    async def upsert_tenant(self, *, principal: Principal, tenant: Tenant) -> Tenant:
        """Creates or updates a tenant (system callers only)."""
        _require_system(principal)
        if not SLUG.match(tenant.slug):
            raise InvalidArgument("slug must match ^[a-z0-9][a-z0-9-]{1,62}$", field="slug")
        tenant.region = (tenant.region or "AR").upper()
        if not re.fullmatch(r"[A-Z]{2}", tenant.region):
            raise InvalidArgument("region must be an ISO 3166 two-letter code", field="region")
        tenant.timezone = tenant.timezone or "America/Argentina/Buenos_Aires"
        try:
            zoneinfo.ZoneInfo(tenant.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidArgument(f"unknown time zone {tenant.timezone!r}", field="timezone") from exc
        tenant.name = tenant.name or tenant.slug
        try:
            stored = await self.repository.upsert_tenant(tenant)
        except psycopg.errors.UniqueViolation as exc:
            column = (exc.diag.constraint_name or "").removeprefix("tenants_").removesuffix("_key")
            raise Conflict(f"another tenant already uses this {column}", field=column or None) from exc
        self._tenants.pop(stored.slug, None)
        return stored

    async def tenant(self, slug: str) -> Tenant:
        """The tenant by slug, cached briefly because every ingest needs its region."""
        cached = self._tenants.get(slug)
        now = time.monotonic()
        if cached and now - cached[0] < TENANT_CACHE_SECONDS:
            return cached[1]
        tenant = await self.repository.get_tenant(slug)
        if tenant is None:
            raise NotFound(f"tenant {slug!r} does not exist")
        self._tenants[slug] = (now, tenant)
        return tenant

    async def get_tenant(self, *, principal: Principal) -> Tenant:
        """The caller's tenant."""
        return await self.tenant(principal.tenant)

    async def list_tenants(self, *, principal: Principal) -> list[Tenant]:
        """Every tenant (system callers only)."""
        _require_system(principal)
        return await self.repository.list_tenants()

    async def resolve_channel(self, *, principal: Principal, kind: str, value: str) -> Tenant:
        """The one tenant owning a channel address (system callers only)."""
        _require_system(principal)
        if not value:
            raise InvalidArgument("a channel address is required", field="address")
        tenants = await self.repository.resolve_channel(**{kind: value})
        if not tenants:
            raise NotFound("no tenant owns this channel address")
        if len(tenants) > 1:
            raise Conflict("several tenants share this channel address")
        return tenants[0]

    async def upsert_project(self, *, principal: Principal, project: Project) -> Project:
        """Creates or updates a project of the caller's tenant."""
        principal.require(Role.ADMIN)
        if not CODE.match(project.code):
            raise InvalidArgument("code must be 1-64 letters, digits, '.', '_' or '-'", field="code")
        if not project.name.strip():
            raise InvalidArgument("name is required", field="name")
        await self.tenant(principal.tenant)
        return await self.repository.upsert_project(
            tenant=principal.tenant, code=project.code, name=project.name.strip(), location=project.location
        )

    async def upsert_marketing_asset(self, *, principal: Principal, asset: MarketingAsset) -> MarketingAsset:
        """Creates or updates a marketing asset of the caller's tenant."""
        principal.require(Role.ADMIN)
        if not CODE.match(asset.code):
            raise InvalidArgument("code must be 1-64 letters, digits, '.', '_' or '-'", field="code")
        if not asset.name.strip():
            raise InvalidArgument("name is required", field="name")
        await self.tenant(principal.tenant)
        if asset.ad_id and not AD_ID.match(asset.ad_id):
            raise InvalidArgument("ad_id must be 1-128 letters, digits, '_', '.', ':' or '-'", field="ad_id")
        if asset.project_code and not await self.repository.project_exists(
            tenant=principal.tenant, code=asset.project_code
        ):
            raise NotFound(f"project {asset.project_code!r} does not exist", field="project_code")
        try:
            return await self.repository.upsert_marketing_asset(
                tenant=principal.tenant,
                code=asset.code,
                name=asset.name.strip(),
                keyword=asset.keyword.strip(),
                project_code=asset.project_code or "",
                channel=asset.channel or "whatsapp",
                ad_id=asset.ad_id or None,
            )
        except psycopg.errors.UniqueViolation as exc:
            raise Conflict("another marketing asset already has this ad_id", field="ad_id") from exc

    async def catalog(self, *, principal: Principal) -> tuple[list[Project], list[MarketingAsset]]:
        """The caller's projects and marketing assets."""
        return await self.repository.catalog(principal.tenant)

    async def ingest(self, *, principal: Principal, message: Inbound) -> Stored:
        """Stores a lead's message exactly once as lead + conversation + ticket + message + event."""
        principal.require(Role.AGENT)
        if message.channel not in CHANNELS:
            raise InvalidArgument("provider is required", field="provider")
        if message.channel != MANUAL_CHANNEL and principal.role != Role.SERVICE:
            # A person could claim a provider's message id, and the genuine message would then be dropped as
            # its duplicate: provider traffic comes only from the gateway's service identity.
            raise PermissionDenied("people may only ingest on the manual channel", field="provider")
        if not message.provider_message_id or len(message.provider_message_id) > MAX_PROVIDER_ID:
            raise InvalidArgument(
                f"provider_message_id is required (at most {MAX_PROVIDER_ID} characters)", field="provider_message_id"
            )
        if len(message.text) > MAX_TEXT:
            raise InvalidArgument(f"text is longer than {MAX_TEXT} characters", field="text")
        if not message.type:
            raise InvalidArgument("type is required", field="type")
        tenant = await self.tenant(principal.tenant)
        sender = lead_key(message, region=tenant.region)
        moves_to = new_address(message, region=tenant.region)
        if (
            message.referral is not None
            and message.referral.get("source_id")
            and not AD_ID.match(message.referral["source_id"])
        ):
            raise InvalidArgument("referral.source_id is not an ad id", field="referral.source_id")
        if message.project_code and not await self.repository.project_exists(
            tenant=tenant.slug, code=message.project_code
        ):
            raise NotFound(f"project {message.project_code!r} does not exist", field="project_code")
        message.profile_name = message.profile_name.strip()[:200]
        if message.sent_at.tzinfo is None:
            raise InvalidArgument("sent_at needs a time zone", field="sent_at")
        message.username = message.username.strip()[:100]
        hand_to_visits = message.reply_id.startswith(VISITS_REPLY_PREFIX)
        row = await self.writer.store(
            InboundRow(
                tenant=tenant.slug,
                sender=sender,
                message=message,
                snippet=snippet(message.text),
                moves_to=moves_to,
                hand_to_visits=hand_to_visits,
            )
        )
        stored = Stored(phone_e164=sender.phone_e164, reply_address=reply_address(sender), **row)
        if stored.duplicate:
            DUPLICATES.labels(message.channel).inc()
        else:
            INGESTED.labels(message.channel, message.type).inc()
        if hand_to_visits and not stored.duplicate:
            # The tap was queued with the message; the outbox worker hands it over now, or once visits is back.
            self.outbox.wake()
        return stored

    async def ingest_many(self, *, principal: Principal, messages: list[Inbound]) -> list[Stored | BaseException]:
        """Stores many messages as `ingest` does, committed together; each with its own outcome, in order."""
        principal.require(Role.AGENT)
        if len(messages) > MAX_BATCH:
            raise InvalidArgument(f"at most {MAX_BATCH} messages per call", field="messages")
        # With the tenant cached, each ingest queues its row before it first waits, so the writer picks
        # them all up as one batch.
        await self.tenant(principal.tenant)
        return await asyncio.gather(
            *(self.ingest(principal=principal, message=message) for message in messages), return_exceptions=True
        )

    async def relay_lead_reply(self, task: Task[visits_pb2.HandleLeadReplyRequest]) -> Outcome:
        """Outbox handler: hands a lead's tap on a visits button to visits (which confirms or asks to move it)."""
        try:
            await self.visits.handle_lead_reply(task.tenant, task.payload)
        except DomainError as exc:
            if exc.retryable:
                raise
            # A stale or expired proposal: visits has answered for good, the message stays in the timeline.
            log.warning("visits refused a lead reply: %s", exc.code.name)
        return None

    async def record_dead_letter(
        self, *, principal: Principal, source: str, reason: str, payload: str, tenant: str
    ) -> uuid.UUID:
        """Keeps a payload that could not be routed or read, with the reason (system callers only)."""
        _require_system(principal)
        if not source or not reason:
            raise InvalidArgument("source and reason are required", field="source" if not source else "reason")
        dead_letter_id = await self.repository.record_dead_letter(
            tenant=tenant or None, source=source[:64], reason=reason[:500], payload=payload
        )
        # Sources are the gateway's provider names; anything else is folded so labels stay few.
        DEAD_LETTERS.labels(source if source in CHANNELS else "other").inc()
        return dead_letter_id

    async def list_dead_letters(
        self, *, principal: Principal, page_size: int, page_token: str
    ) -> tuple[list[DeadLetter], str]:
        """Dead letters newest first: every tenant's for system callers, the own tenant's for its admins."""
        principal.require(Role.ADMIN)
        tenant = None if principal.tenant == SYSTEM_TENANT and principal.role == Role.SERVICE else principal.tenant
        limit = min(page_size or DEFAULT_PAGE, MAX_PAGE)
        rows = await self.repository.list_dead_letters(tenant=tenant, limit=limit, before=decode_cursor(page_token))
        token = encode_cursor(rows[-1].received_at, rows[-1].id) if len(rows) == limit else ""
        return rows, token

    async def list_tickets(
        self, *, principal: Principal, page_size: int, page_token: str, where: TicketFilter, waiting_first: bool = False
    ) -> TicketPage:
        """A page of the caller's tickets, newest activity first (or waiting ones, the longest waiting first)."""
        if where.stage is not None and where.stage not in STAGES:
            raise InvalidArgument(f"stage must be one of {', '.join(STAGES)}", field="stage")
        if page_size < 0:
            raise InvalidArgument("page_size must be positive", field="page_size")
        limit = min(page_size or DEFAULT_PAGE, MAX_PAGE)
        rows = await self.repository.list_tickets(
            tenant=principal.tenant,
            limit=limit,
            after=decode_cursor(page_token),
            where=where,
            waiting_first=waiting_first,
        )
        if len(rows) < limit:
            return TicketPage(tickets=rows, next_after=None)
        last = rows[-1]
        position = last.waiting_since if waiting_first else last.last_message_at
        assert position is not None
        return TicketPage(tickets=rows, next_after=(position, last.id))

    async def count_tickets(self, *, principal: Principal, where: TicketFilter) -> list[StageCount]:
        """The caller's tickets per stage (the funnel), narrowed by project and assignee."""
        return await self.repository.count_tickets(tenant=principal.tenant, where=where)

    async def watch_changes(self, *, principal: Principal) -> AsyncIterator[TicketChange | None]:
        """None once the feed listens, then every change of the caller's tenant as it commits (agents and up)."""
        principal.require(Role.AGENT)
        async with self.changes.subscribe(principal.tenant) as subscription:
            yield None
            async for change in subscription:
                yield change

    async def load_changes(self, notices: Sequence[Notice]) -> list[tuple[str, TicketChange]]:
        """The feed's loader: the events named by a batch of notices, each with its ticket as it is now."""
        rows = await self.repository.changes([uuid.UUID(notice.row_id) for notice in notices])
        tickets = {row.id: row for row in await self.repository.tickets({r.event.correlation_id for r in rows})}
        tenants = {notice.row_id: notice.tenant for notice in notices}
        return [
            (tenants[str(row.event.id)], TicketChange(ticket=ticket, event=row.event, message=row.message))
            for row in rows
            if (ticket := tickets.get(row.event.correlation_id)) is not None
        ]

    async def ticket(self, *, principal: Principal, ticket_id: str) -> TicketRow:
        """One ticket of the caller's tenant; another tenant's id is simply not found."""
        row = await self.repository.get_ticket(tenant=principal.tenant, ticket_id=_uuid(ticket_id, field="ticket_id"))
        if row is None:
            raise NotFound("ticket not found", field="ticket_id")
        return row

    async def timeline(self, *, principal: Principal, ticket_id: str) -> Timeline:
        """The ticket with its messages and events in order."""
        ticket = await self.ticket(principal=principal, ticket_id=ticket_id)
        messages, events = await self.repository.timeline(tenant=principal.tenant, ticket_id=ticket.id)
        return Timeline(ticket=ticket, messages=messages, events=events)

    async def apply_ticket_update(self, *, principal: Principal, update: TicketUpdate) -> tuple[TicketRow, bool]:
        """Applies a stage/visit/assignee change with its event, once per dedupe key (services only)."""
        principal.require(Role.SERVICE)
        if not update.dedupe_key or len(update.dedupe_key) > 200:
            raise InvalidArgument("dedupe_key is required (at most 200 characters)", field="dedupe_key")
        if not update.event_type:
            raise InvalidArgument("event_type is required", field="event_type")
        if update.stage is not None and update.stage not in STAGES:
            raise InvalidArgument(f"stage must be one of {', '.join(STAGES)}", field="stage")
        await self.ticket(principal=principal, ticket_id=str(update.ticket_id))
        applied = await self.repository.apply_ticket_update(tenant=principal.tenant, update=update)
        return await self.ticket(principal=principal, ticket_id=str(update.ticket_id)), applied

    async def lost_reasons(self, *, principal: Principal) -> list[LostReason]:
        """The caller's tenant's lost reasons, or the default list while it has none."""
        own = await self.repository.lost_reasons(principal.tenant)
        return own or [LostReason(code=code, label=label) for code, label in DEFAULT_LOST_REASONS]

    async def set_lost_reasons(self, *, principal: Principal, reasons: list[LostReason]) -> list[LostReason]:
        """Replaces the tenant's lost reasons (admins)."""
        principal.require(Role.ADMIN)
        checked = _lost_reason_rules(reasons)
        await self.tenant(principal.tenant)
        await self.repository.set_lost_reasons(principal.tenant, checked)
        return checked

    async def set_outcome(
        self, *, principal: Principal, ticket_id: str, outcome: str, lost_reason: str, idempotency_key: str
    ) -> tuple[TicketRow, bool]:
        """Visita realizada, Ganado or Perdido (with a reason of the tenant's list), once per key (agents and up)."""
        principal.require(Role.AGENT)
        if outcome not in OUTCOMES:
            raise InvalidArgument("outcome must be visit_done, won or lost", field="outcome")
        key = _idempotency_key(idempotency_key)
        payload: dict[str, Any] = {"by_user_id": principal.user_id, "by_role": principal.role.value}
        if outcome == "lost":
            reasons = {r.code: r.label for r in await self.lost_reasons(principal=principal)}
            if lost_reason not in reasons:
                raise InvalidArgument("lost_reason must be a code of the tenant's list", field="lost_reason")
            payload.update(reason_code=lost_reason, reason=reasons[lost_reason])
        elif lost_reason:
            raise InvalidArgument("lost_reason goes with the lost outcome only", field="lost_reason")
        ticket = await self.ticket(principal=principal, ticket_id=ticket_id)
        from_stages, stage, event_type = OUTCOMES[outcome]
        applied = await self.repository.set_outcome(
            tenant=principal.tenant,
            ticket_id=ticket.id,
            from_stages=from_stages,
            stage=stage,
            event_type=event_type,
            payload={**payload, "stage": stage},
            dedupe_key=f"outcome:{key}",
        )
        if (
            not applied
            and await self.repository.event_by_key(
                tenant=principal.tenant, ticket_id=ticket.id, dedupe_key=f"outcome:{key}"
            )
            is None
        ):
            raise FailedPrecondition(
                f"a ticket in {ticket.stage!r} can't become {stage!r}"
                + (" (only a confirmed visit can be marked done)" if outcome == "visit_done" else ""),
                field="outcome",
            )
        return await self.ticket(principal=principal, ticket_id=ticket_id), applied

    async def add_note(
        self, *, principal: Principal, ticket_id: str, text: str, idempotency_key: str
    ) -> tuple[EventRow, bool]:
        """An internal note in the timeline, once per key (agents and up); True when it was a repeat."""
        principal.require(Role.AGENT)
        text = text.strip()
        if not text or len(text) > MAX_TEXT:
            raise InvalidArgument(f"text is required (at most {MAX_TEXT} characters)", field="text")
        key = _idempotency_key(idempotency_key)
        ticket = await self.ticket(principal=principal, ticket_id=ticket_id)
        payload = {"text": text, "by_user_id": principal.user_id, "by_role": principal.role.value}
        event = await self.repository.add_note(
            tenant=principal.tenant, ticket_id=ticket.id, payload=payload, dedupe_key=f"note:{key}"
        )
        if event is not None:
            return event, False
        existing = await self.repository.event_by_key(
            tenant=principal.tenant, ticket_id=ticket.id, dedupe_key=f"note:{key}"
        )
        if existing is None:
            raise NotFound("ticket not found", field="ticket_id")
        return existing, True

    async def append_outbound(self, *, principal: Principal, outbound: Outbound) -> AppendedOutbound:
        """Stores a message to the lead in the ticket's conversation, once per dedupe key (services only)."""
        principal.require(Role.SERVICE)
        if outbound.actor not in ACTORS or outbound.actor == "lead":
            raise InvalidArgument("actor must be agent, supervisor or system", field="actor")
        if not outbound.dedupe_key or len(outbound.dedupe_key) > 200:
            raise InvalidArgument("dedupe_key is required (at most 200 characters)", field="dedupe_key")
        if not outbound.text.strip() or len(outbound.text) > MAX_TEXT:
            raise InvalidArgument(f"text is required (at most {MAX_TEXT} characters)", field="text")
        result = await self.repository.append_outbound(
            tenant=principal.tenant, outbound=outbound, snippet=snippet(outbound.text)
        )
        if result is None:
            raise NotFound("ticket not found", field="ticket_id")
        message_id, duplicate = result
        message = await self.repository.get_message(tenant=principal.tenant, message_id=message_id)
        assert message is not None
        ticket = await self.ticket(principal=principal, ticket_id=str(outbound.ticket_id))
        return AppendedOutbound(message=message, ticket=ticket, duplicate=duplicate)


def _lost_reason_rules(reasons: list[LostReason]) -> list[LostReason]:
    if not 1 <= len(reasons) <= MAX_LOST_REASONS:
        raise InvalidArgument(f"give 1-{MAX_LOST_REASONS} lost reasons", field="reasons")
    checked = []
    for reason in reasons:
        code, label = reason.code.strip(), " ".join(reason.label.split())
        if not REASON_CODE.match(code):
            raise InvalidArgument("each code is 1-64 lowercase letters, digits, '_' or '-'", field="reasons.code")
        if not label or len(label) > 120:
            raise InvalidArgument("each label is 1-120 characters", field="reasons.label")
        checked.append(LostReason(code=code, label=label))
    if len({r.code for r in checked}) != len(checked):
        raise InvalidArgument("codes must differ", field="reasons.code")
    return checked


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)

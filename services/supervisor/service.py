"""Rules of the team and outbound side: users, replies, delivery statuses, assignment and escalation."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from libs.common.auth import Principal, Role, check_password, hash_password
from libs.common.changefeed import ChangeFeed, Notice
from libs.common.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Refused,
    Unauthenticated,
)
from libs.common.outbox import Outbox
from libs.common.peers.ingest import IngestClient
from libs.common.wire import struct
from services.supervisor.delivery import Delivery
from services.supervisor.models import (
    ACCOUNT_PROVIDERS,
    PROVIDERS,
    ROLES,
    STATUSES,
    Draft,
    MessageTemplate,
    Outbound,
    ProviderAccount,
    ReplyRequest,
    StatusUpdate,
    TicketInfo,
    User,
)
from services.supervisor.repository import Repository
from services.supervisor.settings import SupervisorSettings
from vertice360.ingest.v1 import ingest_pb2

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_STATUSES = 1000
MAX_ALSO_IDS = 4
MAX_TEXT = 4096
# WhatsApp's limits for reply-button messages.
MAX_INTERACTIVE_TEXT = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
# WhatsApp's limits for list messages.
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_LIST_SECTION = 24
MAX_ROW_ID = 200
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_TEMPLATE_PARAMETERS = 50
MAX_PARAMETER = 1024
MAX_KEY = 200
MAX_REASON = 500
MAX_LISTED = 500
# Meta template names are lowercase with underscores; Gupshup names templates by a UUID.
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
DEFAULT_TEMPLATE_LANGUAGE = "es_AR"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]+$")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
WINDOW = timedelta(hours=24)
ACTORS = {Role.AGENT: "agent", Role.SUPERVISOR: "supervisor", Role.ADMIN: "supervisor", Role.SERVICE: "system"}
CHANNELS = {
    ingest_pb2.PROVIDER_META: "meta",
    ingest_pb2.PROVIDER_GUPSHUP: "gupshup",
    ingest_pb2.PROVIDER_MANUAL: "manual",
}


def _uuid(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field} must be a UUID", field=field) from exc


def window_open(last_inbound_at: datetime | None, *, now: datetime) -> bool:
    """Whether free text may reach the lead: their last message is less than 24 h old."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


def template_text(name: str, parameters: list[str]) -> str:
    """The timeline's readable form of a template send."""
    return (f"[template {name}] " + " | ".join(parameters)) if parameters else f"[template {name}]"


def _checked_reply(request: ReplyRequest) -> dict[str, Any]:
    """The reply's kind, text, template and buttons once every rule about their shape holds."""
    text = request.text.strip()
    template = request.template
    if template is not None and text:
        raise InvalidArgument("send either text or a template, not both", field="text")
    if template is not None:
        if request.buttons:
            raise InvalidArgument("buttons go with text, not with a template", field="buttons")
        if not TEMPLATE_NAME.match(template.name):
            raise InvalidArgument("template.name must be 1-512 letters, digits, '_' or '-'", field="template.name")
        language = template.language or DEFAULT_TEMPLATE_LANGUAGE
        if not LANGUAGE.match(language):
            raise InvalidArgument("template.language must look like es or es_AR", field="template.language")
        if len(template.parameters) > MAX_TEMPLATE_PARAMETERS or any(
            not p.strip() or len(p) > MAX_PARAMETER for p in template.parameters
        ):
            raise InvalidArgument(
                f"template.parameters: at most {MAX_TEMPLATE_PARAMETERS}, each 1-{MAX_PARAMETER} characters",
                field="template.parameters",
            )
        parameters = list(template.parameters)
        return {
            "kind": "template",
            "text": template_text(template.name, parameters),
            "template": {"name": template.name, "language": language, "parameters": parameters},
            "buttons": None,
        }
    if not text:
        raise InvalidArgument("text or a template is required", field="text")
    if request.list_menu is not None:
        return _checked_list(text, request)
    if not request.buttons:
        if len(text) > MAX_TEXT:
            raise InvalidArgument(f"text is longer than {MAX_TEXT} characters", field="text")
        return {"kind": "text", "text": text, "template": None, "buttons": None}
    if len(text) > MAX_INTERACTIVE_TEXT:
        raise InvalidArgument(f"text with buttons is at most {MAX_INTERACTIVE_TEXT} characters", field="text")
    if len(request.buttons) > MAX_BUTTONS:
        raise InvalidArgument(f"at most {MAX_BUTTONS} buttons", field="buttons")
    buttons = [{"id": b.id.strip(), "title": b.title.strip()} for b in request.buttons]
    if any(not b["id"] or len(b["id"]) > MAX_BUTTON_ID for b in buttons):
        raise InvalidArgument(f"each button needs an id of 1-{MAX_BUTTON_ID} characters", field="buttons")
    if any(not b["title"] or len(b["title"]) > MAX_BUTTON_TITLE for b in buttons):
        raise InvalidArgument(f"each button needs a title of 1-{MAX_BUTTON_TITLE} characters", field="buttons")
    if len({b["id"] for b in buttons}) != len(buttons):
        raise InvalidArgument("button ids must differ", field="buttons")
    return {"kind": "interactive", "text": text, "template": None, "buttons": buttons}


def ticket_info(reply: ingest_pb2.GetTicketResponse) -> TicketInfo:
    """What delivery needs of an ingest ticket: the lead's address, the channel, the last inbound time."""
    ticket = reply.ticket
    # Ticket has no channel field; every message of a conversation carries the conversation's channel.
    channel = next((CHANNELS[m.provider] for m in reply.messages if m.provider in CHANNELS), "manual")
    return TicketInfo(
        id=uuid.UUID(ticket.id),
        phone_e164=ticket.phone_e164,
        channel=channel,
        last_inbound_at=ticket.last_inbound_at.ToDatetime(tzinfo=UTC) if ticket.HasField("last_inbound_at") else None,
        assignee_user_id=ticket.assignee_user_id,
        reply_address=ticket.reply_address,
    )


def _checked_list(text: str, request: ReplyRequest) -> dict[str, Any]:
    """A list message once WhatsApp's limits hold (rows, titles, ids)."""
    menu = request.list_menu
    assert menu is not None
    if request.buttons:
        raise InvalidArgument("send either buttons or a list, not both", field="buttons")
    if len(text) > MAX_INTERACTIVE_TEXT:
        raise InvalidArgument(f"text with a list is at most {MAX_INTERACTIVE_TEXT} characters", field="text")
    button, section = menu.button.strip(), menu.section_title.strip()
    if not button or len(button) > MAX_LIST_BUTTON:
        raise InvalidArgument(f"list.button needs 1-{MAX_LIST_BUTTON} characters", field="list.button")
    if len(section) > MAX_LIST_SECTION:
        raise InvalidArgument(
            f"list.section_title is at most {MAX_LIST_SECTION} characters", field="list.section_title"
        )
    if not 1 <= len(menu.rows) <= MAX_LIST_ROWS:
        raise InvalidArgument(f"a list has 1-{MAX_LIST_ROWS} rows", field="list.rows")
    rows = [{"id": r.id.strip(), "title": r.title.strip(), "description": r.description.strip()} for r in menu.rows]
    for index, row in enumerate(rows):
        if not row["id"] or len(row["id"]) > MAX_ROW_ID:
            raise InvalidArgument(f"each row needs an id of 1-{MAX_ROW_ID} characters", field=f"list.rows[{index}].id")
        if not row["title"] or len(row["title"]) > MAX_ROW_TITLE:
            raise InvalidArgument(
                f"each row needs a title of 1-{MAX_ROW_TITLE} characters", field=f"list.rows[{index}].title"
            )
        if len(row["description"]) > MAX_ROW_DESCRIPTION:
            raise InvalidArgument(
                f"a row description is at most {MAX_ROW_DESCRIPTION} characters",
                field=f"list.rows[{index}].description",
            )
    if len({row["id"] for row in rows}) != len(rows):
        raise InvalidArgument("row ids must differ", field="list.rows")
    return {
        "kind": "list",
        "text": text,
        "template": None,
        "buttons": None,
        "list_menu": {"button": button, "section": section, "rows": rows},
    }


def request_hash(ticket_id: uuid.UUID, reply: dict[str, Any]) -> str:
    """A digest of what was asked, to tell a retry from another reply under the same key."""
    canonical = json.dumps({"ticket_id": str(ticket_id), **reply}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SupervisorService:
    """The supervisor service's use cases, each checked against the caller."""

    def __init__(
        self,
        *,
        repository: Repository,
        settings: SupervisorSettings,
        ingest: IngestClient,
        outbox: Outbox,
        delivery: Delivery,
        deliveries: ChangeFeed[Outbound],
    ) -> None:
        self.deliveries = deliveries
        self.repository = repository
        self.settings = settings
        self.ingest = ingest
        self.outbox = outbox
        self.delivery = delivery

    async def upsert_user(
        self, *, principal: Principal, name: str, email: str, role: str, active: bool, password: str = ""
    ) -> User:
        """Creates or updates a user of the caller's tenant (admins and services)."""
        principal.require(Role.ADMIN)
        if password and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidArgument(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters", field="password")
        if not name.strip():
            raise InvalidArgument("name is required", field="name")
        if not EMAIL.match(email):
            raise InvalidArgument("email is not valid", field="email")
        if role not in ROLES:
            raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", field="role")
        return await self.repository.upsert_user(
            tenant=principal.tenant,
            name=name.strip(),
            email=email.strip().lower(),
            role=role,
            active=active,
            password_hash=hash_password(password) if password else None,
        )

    async def authenticate(self, *, principal: Principal, email: str, password: str) -> User:
        """The active user with this email and password (service callers only); one answer for every miss."""
        principal.require(Role.SERVICE)
        found = await self.repository.login(tenant=principal.tenant, email=email.strip().lower())
        user, stored = found if found else (None, None)
        # check_password runs for unknown emails too, so timing doesn't tell which emails exist.
        if not check_password(password[:MAX_PASSWORD], stored) or user is None or not user.active:
            raise Unauthenticated("email or password is wrong")
        return user

    async def list_users(self, *, principal: Principal, include_inactive: bool) -> list[User]:
        """The caller's team."""
        return await self.repository.list_users(tenant=principal.tenant, include_inactive=include_inactive)

    async def record_statuses(self, *, principal: Principal, statuses: list[StatusUpdate]) -> int:
        """Keeps provider delivery statuses and moves the messages they name forward (services only)."""
        principal.require(Role.SERVICE)
        if len(statuses) > MAX_STATUSES:
            raise InvalidArgument(f"at most {MAX_STATUSES} statuses per call", field="statuses")
        for update in statuses:
            if update.provider not in PROVIDERS:
                raise InvalidArgument(f"provider must be one of {', '.join(PROVIDERS)}", field="provider")
            if not update.provider_message_id:
                raise InvalidArgument("provider_message_id is required", field="provider_message_id")
            if len(update.also_message_ids) > MAX_ALSO_IDS:
                raise InvalidArgument(f"at most {MAX_ALSO_IDS} other ids per status", field="also_message_ids")
            if update.status not in STATUSES:
                raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
        return await self.repository.record_statuses(tenant=principal.tenant, statuses=statuses)

    async def upsert_provider_account(self, *, principal: Principal, account: ProviderAccount) -> ProviderAccount:
        """Sets the caller's tenant's Meta or Gupshup sending account (admins and services)."""
        principal.require(Role.ADMIN)
        if account.provider not in ACCOUNT_PROVIDERS:
            raise InvalidArgument(f"provider must be one of {', '.join(ACCOUNT_PROVIDERS)}", field="provider")
        if not account.sender_id.strip() or not account.secret.strip():
            raise InvalidArgument("sender_id and secret are required", field="sender_id")
        if account.provider == "gupshup" and not account.app_name.strip():
            raise InvalidArgument("a Gupshup account needs its app name", field="app_name")
        if account.base_url and not account.base_url.startswith(("https://", "http://")):
            raise InvalidArgument("base_url must be an http(s) URL", field="base_url")
        return await self.repository.upsert_provider_account(tenant=principal.tenant, account=account)

    async def send_reply(self, *, principal: Principal, request: ReplyRequest) -> tuple[Outbound, bool]:
        """Stores a reply and queues its delivery once per idempotency key; True when it was a repeat."""
        principal.require(Role.AGENT)
        ticket_id = _uuid(request.ticket_id, field="ticket_id")
        reply = _checked_reply(request)
        key = request.idempotency_key.strip() or uuid.uuid4().hex
        if len(key) > MAX_KEY or not IDEMPOTENCY_KEY.match(key):
            raise InvalidArgument(
                f"idempotency_key must be 1-{MAX_KEY} printable ASCII characters", field="idempotency_key"
            )
        fallback = None
        if request.template_if_window_closed is not None:
            fallback = _checked_reply(
                ReplyRequest(
                    ticket_id=request.ticket_id,
                    text="",
                    template=request.template_if_window_closed,
                    buttons=[],
                    idempotency_key=key,
                )
            )
        # The fallback is part of what was asked: the same key with another fallback is another reply.
        digest = request_hash(ticket_id, {**reply, "fallback": fallback} if fallback else reply)
        existing = await self.repository.outbound_by_key(tenant=principal.tenant, idempotency_key=key)
        if existing is not None:
            return await self._repeat(existing, digest=digest), True
        try:
            ticket = ticket_info(await self.ingest.get_ticket(principal.tenant, str(ticket_id)))
        except NotFound as exc:
            raise NotFound("ticket not found", field="ticket_id") from exc
        if reply["kind"] != "template" and fallback and not window_open(ticket.last_inbound_at, now=now_utc()):
            reply = fallback
        if reply["kind"] != "template" and not window_open(ticket.last_inbound_at, now=now_utc()):
            raise Refused(
                "template required: the lead's last message is more than 24 h old (or there is none), "
                "so WhatsApp only delivers an approved template",
                field="text",
            )
        draft = Draft(
            tenant=principal.tenant,
            idempotency_key=key,
            request_hash=digest,
            ticket_id=ticket_id,
            actor=ACTORS[principal.role],
            author_user_id=principal.user_id,
            to_phone=ticket.reply_address or ticket.phone_e164,
            channel=ticket.channel,
            **reply,
        )
        async with self.repository.transaction() as conn:
            stored = await self.repository.insert_outbound(conn, draft=draft)
            append_id = await self.delivery.queue(conn, stored) if stored is not None else None
        if stored is None:
            # Another call with this key committed first; answer with its reply.
            existing = await self.repository.outbound_by_key(tenant=principal.tenant, idempotency_key=key)
            assert existing is not None
            return await self._repeat(existing, digest=digest), True
        # The timeline now, so the next read shows the reply; the provider send is the worker's.
        handled = await self.outbox.flush([append_id])
        self.outbox.wake()
        if append_id not in handled:
            # The poll loop took the row between the commit and the flush: ingest stores it once either way.
            stored.message_id = await self.delivery.append_now(stored)
            return stored, False
        return await self.repository.outbound(tenant=principal.tenant, outbound_id=stored.id) or stored, False

    async def _repeat(self, existing: Outbound, *, digest: str) -> Outbound:
        if existing.request_hash != digest:
            raise Conflict("idempotency_key was already used for a different reply", field="idempotency_key")
        if existing.message_id is None:
            # Same dedupe key at ingest, so this names the first caller's message, never a second one.
            existing.message_id = await self.delivery.append_now(existing)
        return existing

    async def upsert_template(self, *, principal: Principal, template: MessageTemplate) -> MessageTemplate:
        """Records one of the tenant's approved templates (admins)."""
        principal.require(Role.ADMIN)
        template.language = template.language or DEFAULT_TEMPLATE_LANGUAGE
        if not TEMPLATE_NAME.match(template.name):
            raise InvalidArgument("name must be 1-512 letters, digits, '_' or '-'", field="template.name")
        if not LANGUAGE.match(template.language):
            raise InvalidArgument("language must look like es or es_AR", field="template.language")
        template.title = " ".join(template.title.split())[:120]
        template.body = template.body.strip()
        if not template.body or len(template.body) > MAX_TEXT:
            raise InvalidArgument(f"body is required (at most {MAX_TEXT} characters)", field="template.body")
        numbers = [int(n) for n in PLACEHOLDER.findall(template.body)]
        count = max(numbers, default=0)
        if count > MAX_TEMPLATE_PARAMETERS or sorted(set(numbers)) != list(range(1, count + 1)):
            raise InvalidArgument(
                "placeholders must be {{1}}, {{2}}, ... without gaps (at most 50)", field="template.body"
            )
        template.parameter_count = count
        return await self.repository.upsert_template(tenant=principal.tenant, template=template)

    async def list_templates(self, *, principal: Principal, include_inactive: bool) -> list[MessageTemplate]:
        """The tenant's templates (agents see the active ones; admins may ask for all)."""
        principal.require(Role.AGENT)
        if include_inactive:
            principal.require(Role.ADMIN)
        return await self.repository.list_templates(tenant=principal.tenant, include_inactive=include_inactive)

    async def watch_deliveries(self, *, principal: Principal) -> AsyncIterator[Outbound | None]:
        """None once the feed listens, then each reply of the caller's tenant whose delivery moves (agents and up)."""
        principal.require(Role.AGENT)
        async with self.deliveries.subscribe(principal.tenant) as subscription:
            yield None
            async for outbound in subscription:
                yield outbound

    async def load_deliveries(self, notices: Sequence[Notice]) -> list[tuple[str, Outbound]]:
        """The feed's loader: the replies named by a batch of notices, as they are now."""
        rows = await self.repository.outbound_by_ids(list(dict.fromkeys(uuid.UUID(n.row_id) for n in notices)))
        return [(row.tenant, row) for row in rows]

    async def list_outbound(self, *, principal: Principal, ticket_id: str) -> list[Outbound]:
        """A ticket's replies with their delivery status, oldest first."""
        return await self.repository.list_outbound(
            tenant=principal.tenant, ticket_id=_uuid(ticket_id, field="ticket_id"), limit=MAX_LISTED
        )

    async def assign_ticket(self, *, principal: Principal, ticket_id: str, user_id: str) -> User:
        """Gives a ticket to an active user (supervisors; agents only to themselves), with an event."""
        principal.require(Role.AGENT)
        ticket = _uuid(ticket_id, field="ticket_id")
        user = _uuid(user_id, field="user_id")
        if principal.role == Role.AGENT and principal.user_id != str(user):
            raise PermissionDenied("agents may only assign tickets to themselves")
        assignee = await self.repository.active_user(tenant=principal.tenant, user_id=user)
        if assignee is None:
            raise NotFound("no active user with this id in the tenant", field="user_id")
        await self.ingest.apply_ticket_update(
            principal.tenant,
            ingest_pb2.ApplyTicketUpdateRequest(
                ticket_id=str(ticket),
                # Random part: assigning the same user again later is a new event, a retried call is not.
                dedupe_key=f"assign:{ticket}:{user}:{uuid.uuid4().hex}",
                event_type="ticket.assigned",
                event_payload=struct(self._assignment_payload(principal, assignee)),
                assignee_user_id=str(assignee.id),
            ),
        )
        await self.repository.record_assignment(
            tenant=principal.tenant, ticket_id=ticket, user_id=assignee.id, escalated=False, reason=""
        )
        return assignee

    async def escalate_ticket(self, *, principal: Principal, ticket_id: str, reason: str) -> User:
        """Hands a ticket to the least loaded active supervisor, with a `ticket.escalated` event."""
        principal.require(Role.AGENT)
        ticket = _uuid(ticket_id, field="ticket_id")
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidArgument(f"reason is required (at most {MAX_REASON} characters)", field="reason")
        supervisor = await self.repository.least_loaded_supervisor(tenant=principal.tenant)
        if supervisor is None:
            raise FailedPrecondition("the tenant has no active supervisor to escalate to", field="ticket_id")
        await self.ingest.apply_ticket_update(
            principal.tenant,
            ingest_pb2.ApplyTicketUpdateRequest(
                ticket_id=str(ticket),
                dedupe_key=f"escalate:{ticket}:{uuid.uuid4().hex}",
                event_type="ticket.escalated",
                event_payload=struct({**self._assignment_payload(principal, supervisor), "reason": reason}),
                assignee_user_id=str(supervisor.id),
            ),
        )
        await self.repository.record_assignment(
            tenant=principal.tenant, ticket_id=ticket, user_id=supervisor.id, escalated=True, reason=reason
        )
        return supervisor

    @staticmethod
    def _assignment_payload(principal: Principal, assignee: User) -> dict[str, Any]:
        return {
            "assignee_user_id": str(assignee.id),
            "assignee_name": assignee.name,
            "by_user_id": principal.user_id,
            "by_role": principal.role.value,
        }


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)

"""Rules of the visit calendar: propose, confirm, reschedule, cancel; never a double booking."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
import uuid
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg.errors
from psycopg import AsyncConnection

from libs.common.auth import SYSTEM_TENANT, Principal, Role
from libs.common.backoff import Backoff
from libs.common.clock import Clock, SystemClock
from libs.common.errors import (
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Refused,
    Unavailable,
)
from libs.common.outbox import Fail, Outbox, Outcome, Task, describe
from libs.common.peers.ingest import IngestClient
from libs.common.peers.supervisor import SupervisorClient
from libs.common.wire import struct, timestamp
from services.visits import texts
from services.visits.ical import agent_feed
from services.visits.models import (
    ACTIVE,
    DEFAULT_DURATION_MINUTES,
    DEFAULT_SLOT_WINDOW_DAYS,
    FEED_LOOKBACK_DAYS,
    LEAD_MESSAGE,
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MAX_HOURS_BLOCKS,
    MAX_PROJECT_AGENTS,
    MAX_REASON,
    MAX_REMINDERS,
    MAX_SLOT_WINDOW_DAYS,
    MAX_SLOTS,
    MIN_DURATION_MINUTES,
    OFFER_AGAIN,
    OFFER_ROWS,
    OFFER_WINDOW_DAYS,
    OUTCOMES,
    PROJECT_LIMITS,
    REMINDER,
    REMINDER_MINUTES,
    REPLY_CONFIRM,
    REPLY_PREFIX,
    REPLY_RESCHEDULE,
    REPLY_SLOT,
    STAGE_AFTER_CANCEL,
    STAGE_AWAITING,
    STAGE_CONFIRMED,
    STAGE_DONE,
    TICKET_UPDATE,
    Agent,
    AgentUser,
    Change,
    Confirmation,
    FreeSlot,
    HoursRow,
    Offer,
    OfferedSlot,
    ProjectSettings,
    Proposal,
    StepResult,
    TimeOffRow,
    VisitSettings,
)
from services.visits.repository import Repository
from services.visits.settings import VisitsSettings
from services.visits.slots import (
    BookingRules,
    Intervals,
    WeeklyHours,
    free_starts,
    hours_problem,
    parse_hhmm,
    within_hours,
)
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "America/Argentina/Buenos_Aires"
TIMEZONE_CACHE_SECONDS = 60.0
# Relayed changes are retried quickly at first: the dashboard shows the stage once ingest has it.
RELAY_BACKOFF = Backoff(base=0.25, cap=5.0)
# WhatsApp delivers free-form messages (lists included) only this long after the lead's last message.
REPLY_WINDOW = timedelta(hours=24)
# Meta template names are lowercase with underscores; Gupshup names templates by a UUID.
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,512}$")
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
ROLE_NAMES = {
    supervisor_pb2.ROLE_AGENT: "agent",
    supervisor_pb2.ROLE_SUPERVISOR: "supervisor",
    supervisor_pb2.ROLE_ADMIN: "admin",
}


def _uuid(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field} must be a UUID", field=field) from exc


def reply_id(action: str, token: str) -> str:
    """The id of a reply button: opaque, and valid only for the proposal that owns `token`."""
    return f"{REPLY_PREFIX}:{action}:{token}"


def parse_reply_id(value: str) -> tuple[str, str] | None:
    """(action, token) of one of our button ids; None for anything else."""
    prefix, _, rest = value.partition(":")
    action, _, token = rest.partition(":")
    if prefix != REPLY_PREFIX or action not in (REPLY_CONFIRM, REPLY_RESCHEDULE, REPLY_SLOT) or not token:
        return None
    return action, token


def ticket_update(
    ticket_id: uuid.UUID,
    *,
    dedupe_key: str,
    event: str,
    event_payload: dict[str, Any],
    stage: str = "",
    visit_scheduled_at: datetime | None = None,
    clear_visit_scheduled_at: bool = False,
) -> Change:
    """A change of the ticket at ingest (stage, visit time) with its timeline event."""
    request = ingest_pb2.ApplyTicketUpdateRequest(
        ticket_id=str(ticket_id),
        dedupe_key=dedupe_key,
        event_type=event,
        event_payload=struct(event_payload),
        stage=stage,
        clear_visit_scheduled_at=clear_visit_scheduled_at,
    )
    if visit_scheduled_at is not None:
        request.visit_scheduled_at.CopyFrom(timestamp(visit_scheduled_at))
    return Change(kind=TICKET_UPDATE, dedupe_key=dedupe_key, payload=request)


def lead_message(
    ticket_id: uuid.UUID,
    *,
    dedupe_key: str,
    text: str,
    buttons: Sequence[tuple[str, str]] = (),
    menu: supervisor_pb2.ReplyList | None = None,
) -> Change:
    """A message to the lead through supervisor, with optional reply buttons (id, title) or a list to pick from."""
    request = supervisor_pb2.SendReplyRequest(
        ticket_id=str(ticket_id),
        text=text,
        idempotency_key=dedupe_key,
        buttons=[supervisor_pb2.ReplyButton(id=button_id, title=title) for button_id, title in buttons],
    )
    if menu is not None:
        request.list.CopyFrom(menu)
    return Change(kind=LEAD_MESSAGE, dedupe_key=dedupe_key, payload=request)


def _slot(starts_at: datetime, duration_minutes: int, *, now: datetime) -> tuple[datetime, datetime]:
    if starts_at.tzinfo is None:
        raise InvalidArgument("starts_at needs a time zone", field="starts_at")
    duration = duration_minutes or DEFAULT_DURATION_MINUTES
    if not MIN_DURATION_MINUTES <= duration <= MAX_DURATION_MINUTES:
        raise InvalidArgument(
            f"duration_minutes must be between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES}",
            field="duration_minutes",
        )
    if starts_at <= now:
        raise InvalidArgument("starts_at is in the past", field="starts_at")
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidArgument(f"starts_at is more than {MAX_DAYS_AHEAD} days ahead", field="starts_at")
    return starts_at, starts_at + timedelta(minutes=duration)


class VisitsService:
    """The visits service's use cases, each checked against the caller."""

    def __init__(
        self,
        *,
        repository: Repository,
        settings: VisitsSettings,
        outbox: Outbox,
        ingest: IngestClient,
        supervisor: SupervisorClient,
        clock: Clock | None = None,
    ) -> None:
        self.repository = repository
        self.clock: Clock = clock or SystemClock()
        self.settings = settings
        self.outbox = outbox
        self.ingest = ingest
        self.supervisor = supervisor
        self._timezones: dict[str, tuple[float, str]] = {}
        self._syncing: dict[str, asyncio.Task[bool]] = {}
        # When each tenant's users were last looked up, by this process.
        self._synced: dict[str, float] = {}
        outbox.register(
            TICKET_UPDATE, ingest_pb2.ApplyTicketUpdateRequest, self.relay_ticket_update, backoff=RELAY_BACKOFF
        )
        outbox.register(LEAD_MESSAGE, supervisor_pb2.SendReplyRequest, self.relay_lead_message, backoff=RELAY_BACKOFF)
        outbox.register(OFFER_AGAIN, visits_pb2.OfferTask, self.offer_again, backoff=RELAY_BACKOFF)
        outbox.register(REMINDER, visits_pb2.ReminderTask, self.send_reminder, backoff=RELAY_BACKOFF)

    async def propose(
        self,
        *,
        principal: Principal,
        ticket_id: str,
        agent_user_id: str,
        starts_at: datetime,
        duration_minutes: int,
        message_to_lead: str,
        project_code: str,
    ) -> StepResult:
        """Proposes a visit; the ticket waits for the lead's confirmation."""
        principal.require(Role.AGENT)
        ticket = _uuid(ticket_id, field="ticket_id")
        if starts_at.tzinfo is None:
            raise InvalidArgument("starts_at needs a time zone", field="starts_at")
        # Always asked (not only for the project): a ticket of another tenant is simply not found.
        ticket_project, lead_id = await self._ticket_project(principal, ticket)
        project = project_code or ticket_project
        rules = await self._project_rules(principal.tenant, project)
        start, end = _slot(starts_at, duration_minutes or rules.visit_minutes, now=datetime.now(UTC))
        agent = await self._active_agent(principal.tenant, agent_user_id or principal.user_id)
        tz = await self._timezone(principal.tenant)
        await self._check_available(principal.tenant, agent, start, end, tz)
        blocked_from, blocked_until = _blocked(rules, start, end)
        token = secrets.token_urlsafe(18)
        try:
            async with self.repository.transaction() as conn:
                proposal = await self.repository.insert_proposal(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=ticket,
                    agent_key=agent.key,
                    agent_user_id=agent.user_id,
                    project_code=project,
                    starts_at=start,
                    ends_at=end,
                    blocked_from=blocked_from,
                    blocked_until=blocked_until,
                    replaces_proposal_id=None,
                    message_to_lead=message_to_lead.strip(),
                    reply_token=token,
                    created_by=principal.user_id,
                    lead_id=lead_id,
                )
                ids = await self._add_changes(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=ticket,
                    changes=self._proposed(proposal, tz, "visit.proposed"),
                )
        except psycopg.errors.ExclusionViolation as exc:
            raise await self._clash(
                principal.tenant, agent.key, agent.user_id, blocked_from, blocked_until, start, tz
            ) from exc
        except psycopg.errors.UniqueViolation as exc:
            raise Conflict(
                "the ticket already has an active visit; reschedule or cancel it first", field="ticket_id"
            ) from exc
        await self.outbox.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING)

    async def confirm(
        self, *, principal: Principal, proposal_id: str, ticket_id: str, channel: str, confirmed_by: str = ""
    ) -> StepResult:
        """Confirms a proposal (or the ticket's active one); stage `Visita confirmada`."""
        principal.require(Role.AGENT)
        if proposal_id:
            current = await self.repository.proposal(
                tenant=principal.tenant, proposal_id=_uuid(proposal_id, field="proposal_id")
            )
        elif ticket_id:
            current = await self.repository.active_proposal(
                tenant=principal.tenant, ticket_id=_uuid(ticket_id, field="ticket_id")
            )
        else:
            raise InvalidArgument("proposal_id or ticket_id is required", field="proposal_id")
        if current is None:
            raise NotFound("no such visit proposal", field="proposal_id" if proposal_id else "ticket_id")
        if current.starts_at <= datetime.now(UTC):
            raise FailedPrecondition("the visit time has already passed; propose a new one")
        tz = await self._timezone(principal.tenant)
        settings = await self._visit_settings(principal.tenant)
        async with self.repository.transaction() as conn:
            proposal = await self.repository.transition(
                conn,
                tenant=principal.tenant,
                proposal_id=current.id,
                from_statuses=("proposed",),
                to_status="confirmed",
            )
            if proposal is None:
                raise await self._not_confirmable(principal.tenant, current.id)
            confirmation = await self.repository.insert_confirmation(
                conn,
                tenant=principal.tenant,
                proposal_id=proposal.id,
                confirmed_by=confirmed_by or principal.user_id or principal.role.value,
                channel=channel or "dashboard",
            )
            ids = await self._add_changes(
                conn, tenant=principal.tenant, ticket_id=proposal.ticket_id, changes=self._confirmed(proposal, tz)
            )
            await self._schedule_reminders(conn, principal.tenant, proposal, settings)
        await self.outbox.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_CONFIRMED, confirmation=confirmation)

    async def reschedule(
        self,
        *,
        principal: Principal,
        proposal_id: str,
        starts_at: datetime,
        duration_minutes: int,
        message_to_lead: str,
    ) -> StepResult:
        """Replaces a proposed or confirmed visit by a new proposal at another time."""
        principal.require(Role.AGENT)
        old = await self.repository.proposal(
            tenant=principal.tenant, proposal_id=_uuid(proposal_id, field="proposal_id")
        )
        if old is None:
            raise NotFound("no such visit proposal", field="proposal_id")
        start, end = _slot(starts_at, duration_minutes or old.duration_minutes, now=datetime.now(UTC))
        agent = await self._active_agent(principal.tenant, old.agent_user_id)
        rules = await self._project_rules(principal.tenant, old.project_code)
        tz = await self._timezone(principal.tenant)
        await self._check_available(principal.tenant, agent, start, end, tz)
        blocked_from, blocked_until = _blocked(rules, start, end)
        try:
            async with self.repository.transaction() as conn:
                replaced = await self.repository.transition(
                    conn, tenant=principal.tenant, proposal_id=old.id, from_statuses=ACTIVE, to_status="rescheduled"
                )
                if replaced is None:
                    raise await self._not_active(principal.tenant, old.id)
                await self._cancel_reminders(conn, old.id)
                proposal = await self.repository.insert_proposal(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=old.ticket_id,
                    agent_key=old.agent_key,
                    agent_user_id=old.agent_user_id,
                    project_code=old.project_code,
                    starts_at=start,
                    ends_at=end,
                    blocked_from=blocked_from,
                    blocked_until=blocked_until,
                    replaces_proposal_id=old.id,
                    message_to_lead=message_to_lead.strip(),
                    reply_token=secrets.token_urlsafe(18),
                    created_by=principal.user_id,
                    lead_id=old.lead_id,
                )
                ids = await self._add_changes(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=old.ticket_id,
                    changes=self._proposed(proposal, tz, "visit.rescheduled"),
                )
        except psycopg.errors.ExclusionViolation as exc:
            raise await self._clash(
                principal.tenant, old.agent_key, old.agent_user_id, blocked_from, blocked_until, start, tz
            ) from exc
        await self.outbox.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING, replaced=replaced)

    async def cancel(self, *, principal: Principal, proposal_id: str, reason: str) -> StepResult:
        """Cancels a proposed or confirmed visit; the ticket goes back to the conversation."""
        principal.require(Role.AGENT)
        pid = _uuid(proposal_id, field="proposal_id")
        tz = await self._timezone(principal.tenant)
        async with self.repository.transaction() as conn:
            proposal = await self.repository.transition(
                conn, tenant=principal.tenant, proposal_id=pid, from_statuses=ACTIVE, to_status="cancelled"
            )
            if proposal is None:
                raise await self._not_active(principal.tenant, pid)
            await self._cancel_reminders(conn, proposal.id)
            when = _local(proposal.starts_at, tz)
            changes = [
                ticket_update(
                    proposal.ticket_id,
                    dedupe_key=f"visit.cancelled:{proposal.id}",
                    event="visit.cancelled",
                    event_payload={"proposal_id": str(proposal.id), "reason": reason[:500]},
                    stage=STAGE_AFTER_CANCEL,
                    clear_visit_scheduled_at=True,
                ),
                lead_message(
                    proposal.ticket_id,
                    dedupe_key=f"lead:visit.cancelled:{proposal.id}",
                    text=f"La visita del {when} quedó cancelada. Escribinos para coordinar otra.",
                ),
            ]
            ids = await self._add_changes(conn, tenant=principal.tenant, ticket_id=proposal.ticket_id, changes=changes)
        await self.outbox.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AFTER_CANCEL)

    async def visits(self, *, principal: Principal, ticket_id: str) -> tuple[list[Proposal], list[Confirmation], int]:
        """The ticket's proposals and confirmations, and how many visits its lead missed."""
        ticket = _uuid(ticket_id, field="ticket_id")
        proposals, confirmations = await self.repository.visits_of_ticket(tenant=principal.tenant, ticket_id=ticket)
        return proposals, confirmations, await self.repository.lead_no_shows(tenant=principal.tenant, ticket_id=ticket)

    async def handle_lead_reply(
        self, *, principal: Principal, ticket_id: str, reply: str, message_id: str = ""
    ) -> StepResult | None:
        """Acts on a button or list row the lead tapped; None when the id is not one this ticket was sent."""
        principal.require(Role.SERVICE)
        parsed = parse_reply_id(reply)
        if parsed is None:
            return None
        action, token = parsed
        ticket = _uuid(ticket_id, field="ticket_id")
        # A provider may deliver the same tap twice: what it starts is keyed by the lead's message.
        source = f"reply:{message_id}" if message_id else None
        if action == REPLY_SLOT:
            offered = await self.repository.offered_slot(tenant=principal.tenant, ticket_id=ticket, token=token)
            if offered is None:
                return None
            return await self._book(principal.tenant, ticket, offered, source=source)
        proposal = await self.repository.proposal_by_reply_token(tenant=principal.tenant, ticket_id=ticket, token=token)
        if proposal is None:
            return None
        if action == REPLY_CONFIRM:
            if proposal.status == "confirmed":
                return StepResult(proposal=proposal, stage=STAGE_CONFIRMED, outcome="confirmed")
            result = await self.confirm(
                principal=principal, proposal_id=str(proposal.id), ticket_id="", channel="whatsapp", confirmed_by="lead"
            )
            result.outcome = "confirmed"
            return result
        await self._hand_over(
            principal.tenant,
            proposal.ticket_id,
            [
                ticket_update(
                    proposal.ticket_id,
                    dedupe_key=f"visit.reschedule_requested:{proposal.id}",
                    event="visit.reschedule_requested",
                    event_payload={"proposal_id": str(proposal.id)},
                )
            ],
            now=True,
        )
        # In one step: the lead gets free times to pick from, or a word that an agent will write.
        await self._offer_to_lead(
            principal.tenant, ticket, proposal.project_code, intro="offer_reschedule", source=source
        )
        return StepResult(proposal=proposal, stage=STAGE_AWAITING, outcome="reschedule_offered")

    async def offer_slots(
        self, *, principal: Principal, ticket_id: str, agent_user_id: str, project_code: str
    ) -> Offer:
        """Sends the lead a WhatsApp list of up to 10 free times (one agent's, or any agent of the project)."""
        principal.require(Role.AGENT)
        ticket = _uuid(ticket_id, field="ticket_id")
        try:
            found = await self.ingest.get_ticket(
                principal.tenant, str(ticket), within=self.settings.ingest_check_timeout_seconds
            )
        except NotFound as exc:
            raise NotFound("ticket not found", field="ticket_id") from exc
        last_inbound = (
            found.ticket.last_inbound_at.ToDatetime(tzinfo=UTC) if found.ticket.HasField("last_inbound_at") else None
        )
        if last_inbound is None or datetime.now(UTC) - last_inbound >= REPLY_WINDOW:
            raise Refused(
                "the lead's last message is more than 24 h old: WhatsApp only delivers templates, not a list of times",
                field="ticket_id",
            )
        project = project_code or found.ticket.project_code
        if not project:
            raise InvalidArgument("the ticket has no project: name project_code", field="project_code")
        offer = await self._offer(
            principal.tenant,
            ticket,
            project,
            agent_user_id=agent_user_id,
            intro="offer",
            created_by=principal.user_id or principal.role.value,
            source=None,
        )
        if offer is None:
            raise FailedPrecondition(
                f"no free times to offer for project {project} in the next {OFFER_WINDOW_DAYS} days",
                field="project_code",
            )
        return offer

    async def _offer_to_lead(
        self, tenant: str, ticket: uuid.UUID, project: str, *, intro: str, source: str | None
    ) -> Offer | None:
        """A list of free times for a lead's own step (reschedule, a time taken meanwhile), or a holding message."""
        try:
            offer = (
                await self._offer(
                    tenant, ticket, project, agent_user_id="", intro=intro, created_by="lead", source=source
                )
                if project
                else None
            )
        except (FailedPrecondition, InvalidArgument, NotFound):
            offer = None
        if offer is None:
            language = await self._language(tenant)
            await self._hand_over(
                tenant,
                ticket,
                [
                    lead_message(
                        ticket,
                        dedupe_key=f"lead:visit.no_slots:{source or uuid.uuid4()}",
                        text=texts.text(language, "none"),
                    )
                ],
                now=True,
            )
        return offer

    async def _offer(
        self,
        tenant: str,
        ticket: uuid.UUID,
        project: str,
        *,
        agent_user_id: str,
        intro: str,
        created_by: str,
        source: str | None,
    ) -> Offer | None:
        """Stores and sends an offer of the first free times; None when there are none (or `source` offered)."""
        settings = await self._project_rules(tenant, project)
        if agent_user_id:
            agents = [await self._active_agent(tenant, agent_user_id)]
        else:
            agents = await self.repository.project_agents(tenant=tenant, project_code=project)
            if not agents:
                raise FailedPrecondition(
                    f"project {project} has no agents: name one, or set the project's agents", field="agent_user_id"
                )
        zone = await self._timezone(tenant)
        language = await self._language(tenant)
        now = datetime.now(UTC)
        rules = _rules(settings)
        window = min(rules.horizon, timedelta(days=OFFER_WINDOW_DAYS))
        free = await self._free(
            tenant=tenant, agents=agents, rules=rules, zone=zone, start=now, end=now + window, now=now
        )
        free = free[:OFFER_ROWS]
        if not free:
            return None
        tokens = [secrets.token_urlsafe(12) for _ in free]
        row_ids = [reply_id(REPLY_SLOT, token) for token in tokens]
        rows = [
            {
                "id": row_id,
                "title": texts.row_title(language, slot.starts_at, zone),
                "description": texts.text(language, "row", minutes=settings.visit_minutes),
            }
            for row_id, slot in zip(row_ids, free, strict=True)
        ]
        async with self.repository.transaction() as conn:
            offer_id = await self.repository.store_offer(
                conn,
                tenant=tenant,
                ticket_id=ticket,
                project_code=project,
                created_by=created_by,
                source_key=source,
                rows=[(t, s.agent.key, s.starts_at, s.ends_at) for t, s in zip(tokens, free, strict=True)],
            )
            if offer_id is None:
                return None
            ids = await self._add_changes(
                conn,
                tenant=tenant,
                ticket_id=ticket,
                changes=[
                    ticket_update(
                        ticket,
                        dedupe_key=f"visit.slots_offered:{offer_id}",
                        event="visit.slots_offered",
                        event_payload={
                            "offer_id": str(offer_id),
                            "project_code": project,
                            "starts_at": [slot.starts_at.isoformat() for slot in free],
                        },
                    ),
                    lead_message(
                        ticket,
                        dedupe_key=f"lead:visit.slots_offered:{offer_id}",
                        text=texts.text(language, intro, project=project),
                        menu=supervisor_pb2.ReplyList(
                            button=texts.text(language, "button"),
                            section_title=texts.text(language, "section"),
                            rows=[supervisor_pb2.ListRow(**row) for row in rows],
                        ),
                    ),
                ],
            )
        await self.outbox.flush(ids)
        return Offer(id=offer_id, ticket_id=ticket, project_code=project, slots=free, row_ids=row_ids)

    async def _book(self, tenant: str, ticket: uuid.UUID, offered: OfferedSlot, *, source: str | None) -> StepResult:
        """Books and confirms the tapped time; a time taken meanwhile (or no longer bookable) gets a fresh list."""
        zone = await self._timezone(tenant)
        settings_of_tenant = await self._visit_settings(tenant)
        language = settings_of_tenant.language
        settings = await self._project_rules(tenant, offered.project_code)
        if offered.booked_proposal_id is None and not await self._still_bookable(tenant, offered, settings, zone):
            return await self._offer_again(tenant, ticket, offered, source=source)
        blocked_from, blocked_until = _blocked(settings, offered.starts_at, offered.ends_at)
        try:
            async with self.repository.transaction() as conn:
                booked = await self.repository.lock_offer(conn, offer_id=offered.offer_id)
                if booked is None:
                    replaced = await self.repository.replace_active(conn, tenant=tenant, ticket_id=ticket)
                    if replaced is not None:
                        await self._cancel_reminders(conn, replaced.id)
                    proposal = await self.repository.insert_proposal(
                        conn,
                        status="confirmed",
                        tenant=tenant,
                        ticket_id=ticket,
                        agent_key=offered.agent_key,
                        agent_user_id=offered.agent_user_id,
                        project_code=offered.project_code,
                        starts_at=offered.starts_at,
                        ends_at=offered.ends_at,
                        blocked_from=blocked_from,
                        blocked_until=blocked_until,
                        replaces_proposal_id=replaced.id if replaced else None,
                        message_to_lead="",
                        reply_token=secrets.token_urlsafe(18),
                        created_by="lead",
                        lead_id=replaced.lead_id if replaced else None,
                    )
                    confirmation = await self.repository.insert_confirmation(
                        conn, tenant=tenant, proposal_id=proposal.id, confirmed_by="lead", channel="whatsapp"
                    )
                    await self.repository.mark_offer_booked(conn, offer_id=offered.offer_id, proposal_id=proposal.id)
                    await self._schedule_reminders(conn, tenant, proposal, settings_of_tenant)
                    ids = await self._add_changes(
                        conn, tenant=tenant, ticket_id=ticket, changes=self._booked(proposal, replaced, zone, language)
                    )
        except psycopg.errors.ExclusionViolation:
            return await self._offer_again(tenant, ticket, offered, source=source)
        if booked is not None:
            return await self._already_booked(tenant, ticket, booked, offered, zone, language, source=source)
        await self.outbox.flush(ids)
        return StepResult(
            proposal=proposal,
            stage=STAGE_CONFIRMED,
            replaced=replaced,
            confirmation=confirmation,
            outcome="booked",
        )

    async def _still_bookable(self, tenant: str, offered: OfferedSlot, settings: ProjectSettings, zone: str) -> bool:
        """Whether the offered time still meets the rules now: notice, horizon, an active agent, hours, time off."""
        now = datetime.now(UTC)
        rules = _rules(settings)
        if not now + rules.notice <= offered.starts_at <= now + rules.horizon:
            return False
        agent = await self.repository.agent(tenant=tenant, user_id=offered.agent_user_id)
        if agent is None or not agent.active:
            return False
        try:
            await self._check_available(tenant, agent, offered.starts_at, offered.ends_at, zone)
        except InvalidArgument:
            return False
        return True

    async def _offer_again(
        self, tenant: str, ticket: uuid.UUID, offered: OfferedSlot, *, source: str | None
    ) -> StepResult:
        """Answers a tap on a time that is gone with a fresh list, sent by the outbox worker.

        Many leads may lose the same time at once: the tap is answered right away, and the lists are
        worked out and sent from the outbox, not while the lead's webhook waits."""
        task = visits_pb2.OfferTask(
            ticket_id=str(ticket),
            project_code=offered.project_code,
            intro="offer_again",
            source_key=source or f"lost:{offered.token}:{uuid.uuid4()}",
        )
        async with self.repository.transaction() as conn:
            await self.outbox.enqueue(
                conn, kind=OFFER_AGAIN, payload=task, tenant=tenant, dedupe_key=f"{OFFER_AGAIN}:{task.source_key}"
            )
        self.outbox.wake()
        return StepResult(proposal=None, stage="", outcome="offered_again")

    async def offer_again(self, task: Task[visits_pb2.OfferTask]) -> Outcome:
        """Outbox handler: works out and sends a lead a fresh list of free times (once per source key)."""
        request = task.payload
        await self._offer_to_lead(
            task.tenant,
            uuid.UUID(request.ticket_id),
            request.project_code,
            intro=request.intro,
            source=request.source_key,
        )
        return None

    async def _already_booked(
        self,
        tenant: str,
        ticket: uuid.UUID,
        booked: uuid.UUID,
        offered: OfferedSlot,
        zone: str,
        language: str,
        *,
        source: str | None,
    ) -> StepResult:
        """A tap on a list that already booked: the same row is a repeat; another row is told the visit stands."""
        proposal = await self.repository.proposal(tenant=tenant, proposal_id=booked)
        assert proposal is not None
        same_time = proposal.starts_at == offered.starts_at and proposal.agent_key == offered.agent_key
        if not same_time and proposal.status in ACTIVE and source is not None:
            await self._hand_over(
                tenant,
                ticket,
                [
                    lead_message(
                        ticket,
                        dedupe_key=f"lead:visit.already_booked:{source}",
                        text=texts.text(language, "already", when=texts.when(language, proposal.starts_at, zone)),
                        buttons=[
                            (reply_id(REPLY_RESCHEDULE, proposal.reply_token), texts.text(language, "reschedule"))
                        ],
                    )
                ],
                now=False,
            )
        return StepResult(proposal=proposal, stage=STAGE_CONFIRMED, outcome="already_booked")

    def _booked(self, proposal: Proposal, replaced: Proposal | None, zone: str, language: str) -> list[Change]:
        return [
            ticket_update(
                proposal.ticket_id,
                dedupe_key=f"visit.booked:{proposal.id}",
                event="visit.booked",
                event_payload={
                    "proposal_id": str(proposal.id),
                    "replaces_proposal_id": str(replaced.id) if replaced else "",
                    "starts_at": proposal.starts_at.isoformat(),
                    "duration_minutes": proposal.duration_minutes,
                    "agent_user_id": proposal.agent_user_id,
                    "by": "lead",
                },
                stage=STAGE_CONFIRMED,
                visit_scheduled_at=proposal.starts_at,
            ),
            lead_message(
                proposal.ticket_id,
                dedupe_key=f"lead:visit.booked:{proposal.id}",
                text=texts.text(language, "booked", when=texts.when(language, proposal.starts_at, zone)),
                buttons=[(reply_id(REPLY_RESCHEDULE, proposal.reply_token), texts.text(language, "reschedule"))],
            ),
        ]

    async def _language(self, tenant: str) -> str:
        return (await self._visit_settings(tenant)).language

    async def _visit_settings(self, tenant: str) -> VisitSettings:
        return await self.repository.visit_settings(tenant=tenant) or VisitSettings()

    async def visit_settings(self, *, principal: Principal) -> VisitSettings:
        """The tenant's language for leads and reminder settings (the defaults until set)."""
        principal.require(Role.AGENT)
        return await self._visit_settings(principal.tenant)

    async def set_visit_settings(self, *, principal: Principal, settings: VisitSettings) -> VisitSettings:
        """Sets the tenant's language for leads, reminder times and reminder template (supervisors)."""
        principal.require(Role.SUPERVISOR)
        if settings.language not in texts.LANGUAGES:
            raise InvalidArgument(f"language must be one of {', '.join(texts.LANGUAGES)}", field="language")
        offsets = sorted(set(settings.reminder_offsets_minutes), reverse=True)
        low, high = REMINDER_MINUTES
        if len(offsets) > MAX_REMINDERS or any(not low <= m <= high for m in offsets):
            raise InvalidArgument(
                f"reminder_offsets_minutes: at most {MAX_REMINDERS}, each {low}-{high} minutes",
                field="reminder_offsets_minutes",
            )
        if settings.reminder_template and not TEMPLATE_NAME.match(settings.reminder_template):
            raise InvalidArgument(
                "reminder_template must be 1-512 letters, digits, '_' or '-'", field="reminder_template"
            )
        language = settings.reminder_template_language or "es_AR"
        if not TEMPLATE_LANGUAGE.match(language):
            raise InvalidArgument(
                "reminder_template_language must look like es or es_AR", field="reminder_template_language"
            )
        stored = VisitSettings(
            language=settings.language,
            reminder_offsets_minutes=offsets,
            reminder_template=settings.reminder_template,
            reminder_template_language=language,
        )
        await self.repository.store_visit_settings(tenant=principal.tenant, settings=stored)
        return stored

    async def _schedule_reminders(
        self, conn: AsyncConnection[Any], tenant: str, proposal: Proposal, settings: VisitSettings
    ) -> None:
        """Writes the confirmed visit's reminders as delayed outbox rows, grouped so a move or cancel drops them."""
        now = self.clock.now()
        for minutes in settings.reminder_offsets_minutes:
            at = proposal.starts_at - timedelta(minutes=minutes)
            if at <= now:
                continue
            await self.outbox.enqueue(
                conn,
                kind=REMINDER,
                payload=visits_pb2.ReminderTask(
                    proposal_id=str(proposal.id), minutes_before=minutes, starts_at=timestamp(proposal.starts_at)
                ),
                tenant=tenant,
                dedupe_key=f"reminder:{proposal.id}:{minutes}",
                group_key=f"reminders:{proposal.id}",
                not_before=at,
            )

    async def _cancel_reminders(self, conn: AsyncConnection[Any], proposal_id: uuid.UUID) -> None:
        await self.outbox.cancel(conn, group_key=f"reminders:{proposal_id}")

    async def send_reminder(self, task: Task[visits_pb2.ReminderTask]) -> Outcome:
        """Outbox handler: reminds the lead (a template when the 24 h window is closed) and the agent (a timeline
        event the console shows) of a visit that is still confirmed at the time it was scheduled for."""
        reminder = task.payload
        proposal = await self.repository.proposal(tenant=task.tenant, proposal_id=uuid.UUID(reminder.proposal_id))
        if (
            proposal is None
            or proposal.status != "confirmed"
            or proposal.starts_at != reminder.starts_at.ToDatetime(tzinfo=UTC)
        ):
            return None
        settings = await self._visit_settings(task.tenant)
        zone = await self._timezone(task.tenant)
        key = f"reminder:{proposal.id}:{reminder.minutes_before}"
        when = texts.when(settings.language, proposal.starts_at, zone)
        project = proposal.project_code or "-"
        await self.ingest.apply_ticket_update(
            task.tenant,
            ticket_update(
                proposal.ticket_id,
                dedupe_key=f"visit.{key}",
                event="visit.reminder",
                event_payload={
                    "proposal_id": str(proposal.id),
                    "agent_user_id": proposal.agent_user_id,
                    "starts_at": proposal.starts_at.isoformat(),
                    "minutes_before": reminder.minutes_before,
                },
            ).payload,
        )
        request = lead_message(
            proposal.ticket_id,
            dedupe_key=key,
            text=texts.text(settings.language, "reminder", project=project, when=when),
        ).payload
        if settings.reminder_template:
            request.template_if_window_closed.CopyFrom(
                supervisor_pb2.Template(
                    name=settings.reminder_template,
                    language=settings.reminder_template_language,
                    parameters=[when, project],
                )
            )
        try:
            await self.supervisor.send_reply(task.tenant, request)
        except Refused as exc:
            return Fail(describe(exc))
        return None

    async def record_outcome(
        self, *, principal: Principal, proposal_id: str, outcome: str, offer_slots: bool
    ) -> tuple[StepResult, int, Offer | None, str]:
        """Marks a confirmed visit whose time has come attended (stage `Visita realizada`) or no-show (counted
        per lead); after a no-show, offers the lead new times in the same step when asked."""
        principal.require(Role.AGENT)
        if outcome not in OUTCOMES:
            raise InvalidArgument(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
        current = await self.repository.proposal(
            tenant=principal.tenant, proposal_id=_uuid(proposal_id, field="proposal_id")
        )
        if current is None:
            raise NotFound("no such visit proposal", field="proposal_id")
        if current.starts_at > self.clock.now():
            raise FailedPrecondition("the visit has not started yet", field="proposal_id")
        _, lead_id = await self._ticket_project(principal, current.ticket_id)
        async with self.repository.transaction() as conn:
            proposal = await self.repository.transition(
                conn, tenant=principal.tenant, proposal_id=current.id, from_statuses=("confirmed",), to_status=outcome
            )
            if proposal is None:
                raise Conflict(
                    f"the visit is {current.status}; only a confirmed visit gets an outcome", field="proposal_id"
                )
            if lead_id is not None:
                await self.repository.set_lead(conn, tenant=principal.tenant, proposal_id=proposal.id, lead_id=lead_id)
            await self._cancel_reminders(conn, proposal.id)
            no_shows = await self.repository.lead_no_shows(
                tenant=principal.tenant, ticket_id=proposal.ticket_id, conn=conn
            )
            stage = STAGE_DONE if outcome == "attended" else STAGE_AFTER_CANCEL
            ids = await self._add_changes(
                conn,
                tenant=principal.tenant,
                ticket_id=proposal.ticket_id,
                changes=[
                    ticket_update(
                        proposal.ticket_id,
                        dedupe_key=f"visit.{outcome}:{proposal.id}",
                        event=f"visit.{outcome}",
                        event_payload={"proposal_id": str(proposal.id), "lead_no_shows": no_shows},
                        stage=stage,
                        clear_visit_scheduled_at=True,
                    )
                ],
            )
        await self.outbox.flush(ids)
        offer, offer_error = None, ""
        if outcome == "no_show" and offer_slots:
            try:
                offer = await self.offer_slots(
                    principal=principal, ticket_id=str(proposal.ticket_id), agent_user_id="", project_code=""
                )
            except DomainError as exc:
                offer_error = exc.message
        return StepResult(proposal=proposal, stage=stage), no_shows, offer, offer_error

    async def set_working_hours(
        self, *, principal: Principal, agent_user_id: str, hours: Sequence[tuple[int, str, str]]
    ) -> list[WeeklyHours]:
        """Replaces an agent's weekly hours; blocks that overlap or end before they start are a 400."""
        agent = await self._managed_agent(principal, agent_user_id)
        if len(hours) > MAX_HOURS_BLOCKS:
            raise InvalidArgument(f"at most {MAX_HOURS_BLOCKS} blocks a week", field="hours")
        blocks = []
        for index, (weekday, start, end) in enumerate(hours):
            blocks.append(
                WeeklyHours(
                    weekday=weekday,
                    start_minute=_minutes(start, field=f"hours[{index}].start", end=False),
                    end_minute=_minutes(end, field=f"hours[{index}].end", end=True),
                )
            )
        problem = hours_problem(blocks)
        if problem is not None:
            index, attribute, message = problem
            raise InvalidArgument(f"hours[{index}]: {message}", field=f"hours[{index}].{attribute}")
        await self.repository.replace_hours(tenant=principal.tenant, agent_key=agent.key, hours=blocks)
        return sorted(blocks, key=lambda b: (b.weekday, b.start_minute))

    async def availability(
        self, *, principal: Principal, agent_user_id: str
    ) -> tuple[list[WeeklyHours], list[TimeOffRow], str]:
        """An agent's weekly hours, the time off ahead that applies to them, and the tenant's time zone."""
        principal.require(Role.AGENT)
        agent = await self._active_agent(principal.tenant, agent_user_id or principal.user_id)
        now = datetime.now(UTC)
        hours = await self.repository.hours(tenant=principal.tenant, agent_keys=[agent.key])
        off = await self.repository.time_off(
            tenant=principal.tenant, agent_keys=[agent.key], start=now, end=now + timedelta(days=MAX_DAYS_AHEAD * 2)
        )
        return [_weekly(h) for h in hours], off, await self._timezone(principal.tenant)

    async def add_time_off(
        self, *, principal: Principal, agent_user_id: str, starts_at: datetime, ends_at: datetime, reason: str
    ) -> TimeOffRow:
        """Adds time off for an agent, or for the whole tenant when no agent is named (supervisors)."""
        if agent_user_id:
            agent: Agent | None = await self._managed_agent(principal, agent_user_id)
        else:
            principal.require(Role.SUPERVISOR)
            agent = None
        if ends_at <= starts_at:
            raise InvalidArgument("ends_at must be after starts_at", field="ends_at")
        if ends_at <= datetime.now(UTC):
            raise InvalidArgument("ends_at is in the past", field="ends_at")
        if ends_at - starts_at > timedelta(days=MAX_DAYS_AHEAD):
            raise InvalidArgument(f"time off lasts at most {MAX_DAYS_AHEAD} days", field="ends_at")
        reason = reason.strip()
        if len(reason) > MAX_REASON or "\x00" in reason:
            raise InvalidArgument(f"reason is at most {MAX_REASON} characters", field="reason")
        return await self.repository.add_time_off(
            tenant=principal.tenant,
            agent_key=agent.key if agent else None,
            agent_user_id=agent.user_id if agent else "",
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            created_by=principal.user_id,
        )

    async def delete_time_off(self, *, principal: Principal, time_off_id: str) -> None:
        """Removes time off: agents their own, supervisors any of the tenant's."""
        principal.require(Role.AGENT)
        key = None
        if principal.role == Role.AGENT:
            key = (await self._active_agent(principal.tenant, principal.user_id)).key
        deleted = await self.repository.delete_time_off(
            tenant=principal.tenant, time_off_id=_uuid(time_off_id, field="id"), agent_key=key
        )
        if not deleted:
            raise NotFound("no such time off", field="id")

    async def set_project_settings(self, *, principal: Principal, settings: ProjectSettings) -> ProjectSettings:
        """Stores a project's booking rules and its agents (supervisors); every value is range-checked."""
        principal.require(Role.SUPERVISOR)
        for name, (low, high) in PROJECT_LIMITS.items():
            value = getattr(settings, name)
            if not low <= value <= high and not (name == "slot_step_minutes" and value == 0):
                raise InvalidArgument(f"{name} must be between {low} and {high}", field=name)
        if len(settings.agent_user_ids) > MAX_PROJECT_AGENTS:
            raise InvalidArgument(f"at most {MAX_PROJECT_AGENTS} agents a project", field="agent_user_ids")
        await self._require_project(principal.tenant, settings.project_code)
        keys = []
        for user_id in dict.fromkeys(settings.agent_user_ids):
            try:
                keys.append((await self._active_agent(principal.tenant, user_id)).key)
            except InvalidArgument as exc:
                raise InvalidArgument(f"{user_id!r}: {exc.message}", field="agent_user_ids") from exc
        await self.repository.store_project_settings(tenant=principal.tenant, settings=settings, agent_keys=keys)
        return await self._project_rules(principal.tenant, settings.project_code)

    async def project_settings(self, *, principal: Principal, project_code: str) -> ProjectSettings:
        """A project's booking rules and agents (the defaults until set)."""
        principal.require(Role.AGENT)
        stored = await self.repository.project_settings(tenant=principal.tenant, project_code=project_code)
        if stored is None:
            await self._require_project(principal.tenant, project_code)
            return ProjectSettings(project_code=project_code)
        return stored

    async def slots(
        self,
        *,
        principal: Principal,
        project_code: str,
        agent_user_id: str,
        window_from: datetime | None,
        window_to: datetime | None,
        limit: int,
    ) -> tuple[list[FreeSlot], str]:
        """Free starts of one agent, or of any agent of the project (each start to the least loaded free agent)."""
        principal.require(Role.AGENT)
        now = datetime.now(UTC)
        start = window_from or now
        end = window_to or start + timedelta(days=DEFAULT_SLOT_WINDOW_DAYS)
        if end <= start:
            raise InvalidArgument("to must be after from", field="to")
        if end - start > timedelta(days=MAX_SLOT_WINDOW_DAYS):
            raise InvalidArgument(f"from and to are at most {MAX_SLOT_WINDOW_DAYS} days apart", field="to")
        if not 0 <= limit <= MAX_SLOTS:
            raise InvalidArgument(f"limit must be between 1 and {MAX_SLOTS}", field="limit")
        settings = await self.project_settings(principal=principal, project_code=project_code)
        if agent_user_id:
            agents = [await self._active_agent(principal.tenant, agent_user_id)]
        else:
            agents = await self.repository.project_agents(tenant=principal.tenant, project_code=project_code)
            if not agents:
                raise FailedPrecondition(
                    f"project {project_code} has no agents: name one, or set the project's agents", field="agent"
                )
        zone = await self._timezone(principal.tenant)
        found = await self._free(
            tenant=principal.tenant, agents=agents, rules=_rules(settings), zone=zone, start=start, end=end, now=now
        )
        return found[: limit or MAX_SLOTS], zone

    async def _free(
        self,
        *,
        tenant: str,
        agents: Sequence[Agent],
        rules: BookingRules,
        zone: str,
        start: datetime,
        end: datetime,
        now: datetime,
    ) -> list[FreeSlot]:
        keys = [agent.key for agent in agents]
        calendar = await self.repository.calendar(
            tenant=tenant,
            agent_keys=keys,
            off_window=(start, end + rules.visit),
            busy_window=(start - rules.visit - rules.buffer_after, end + rules.visit + rules.buffer_before),
            loads_at=now if len(agents) > 1 else None,
        )
        hours, off, busy, loads = calendar.hours, calendar.time_off, calendar.busy, calendar.loads
        tz = zoneinfo.ZoneInfo(zone)
        best: dict[datetime, tuple[int, str, Agent]] = {}
        for agent in agents:
            starts = free_starts(
                hours=[_weekly(h) for h in hours if h.agent_key == agent.key],
                time_off=Intervals((t.starts_at, t.ends_at) for t in off if t.agent_key in (None, agent.key)),
                busy=Intervals((b.blocked_from, b.blocked_until) for b in busy if b.agent_key == agent.key),
                rules=rules,
                tz=tz,
                window_from=start,
                window_to=end,
                now=now,
            )
            rank = (loads.get(agent.key, 0), agent.user_id)
            for at in starts:
                if at not in best or rank < best[at][:2]:
                    best[at] = (*rank, agent)
        return [FreeSlot(starts_at=at, ends_at=at + rules.visit, agent=best[at][2]) for at in sorted(best)]

    async def issue_calendar_token(self, *, principal: Principal, agent_user_id: str) -> str:
        """A new secret feed token for the agent (the previous one stops working); only its digest is kept."""
        agent = await self._managed_agent(principal, agent_user_id)
        token = secrets.token_urlsafe(32)
        await self.repository.replace_calendar_token(
            tenant=principal.tenant, agent_key=agent.key, token_sha256=_digest(token)
        )
        return token

    async def revoke_calendar_token(self, *, principal: Principal, agent_user_id: str) -> None:
        """Stops the agent's feed URL from working."""
        agent = await self._managed_agent(principal, agent_user_id)
        if not await self.repository.revoke_calendar_token(tenant=principal.tenant, agent_key=agent.key):
            raise NotFound("the agent has no calendar feed", field="agent_user_id")

    async def calendar_feed(self, *, principal: Principal, token: str) -> bytes:
        """The iCalendar feed a token opens: the agent's active visits (system callers: the public feed URL)."""
        principal.require(Role.SERVICE)
        if principal.tenant != SYSTEM_TENANT:
            raise PermissionDenied("only system callers read feeds by token")
        owner = await self.repository.calendar_owner(token_sha256=_digest(token)) if token else None
        if owner is None or not owner.active:
            raise NotFound("no such calendar feed", field="token")
        now = datetime.now(UTC)
        visits = await self.repository.agent_visits(
            tenant=owner.tenant, agent_key=owner.key, since=now - timedelta(days=FEED_LOOKBACK_DAYS)
        )
        return agent_feed(agent=owner, visits=visits, timezone=await self._timezone(owner.tenant), now=now)

    def _proposed(self, proposal: Proposal, tz: str, event: str) -> list[Change]:
        when = _local(proposal.starts_at, tz)
        text = proposal.message_to_lead or f"¡Hola! Te proponemos visitar el proyecto el {when}. ¿Te queda bien?"
        return [
            ticket_update(
                proposal.ticket_id,
                dedupe_key=f"{event}:{proposal.id}",
                event=event,
                event_payload={
                    "proposal_id": str(proposal.id),
                    "replaces_proposal_id": str(proposal.replaces_proposal_id or ""),
                    "starts_at": proposal.starts_at.isoformat(),
                    "duration_minutes": proposal.duration_minutes,
                    "agent_user_id": proposal.agent_user_id,
                },
                stage=STAGE_AWAITING,
                visit_scheduled_at=proposal.starts_at if proposal.replaces_proposal_id else None,
            ),
            lead_message(
                proposal.ticket_id,
                dedupe_key=f"lead:{event}:{proposal.id}",
                text=text,
                buttons=[
                    (reply_id(REPLY_CONFIRM, proposal.reply_token), "Confirmar"),
                    (reply_id(REPLY_RESCHEDULE, proposal.reply_token), "Reprogramar"),
                ],
            ),
        ]

    def _confirmed(self, proposal: Proposal, tz: str) -> list[Change]:
        when = _local(proposal.starts_at, tz)
        return [
            ticket_update(
                proposal.ticket_id,
                dedupe_key=f"visit.confirmed:{proposal.id}",
                event="visit.confirmed",
                event_payload={"proposal_id": str(proposal.id), "starts_at": proposal.starts_at.isoformat()},
                stage=STAGE_CONFIRMED,
                visit_scheduled_at=proposal.starts_at,
            ),
            lead_message(
                proposal.ticket_id,
                dedupe_key=f"lead:visit.confirmed:{proposal.id}",
                text=f"¡Listo! Tu visita quedó confirmada para el {when}.",
            ),
        ]

    async def _hand_over(self, tenant: str, ticket_id: uuid.UUID, changes: Sequence[Change], *, now: bool) -> None:
        """Writes changes that stand alone in their own transaction, then relays them now or wakes the worker."""
        async with self.repository.transaction() as conn:
            ids = await self._add_changes(conn, tenant=tenant, ticket_id=ticket_id, changes=changes)
        if now:
            await self.outbox.flush(ids)
        else:
            self.outbox.wake()

    async def _add_changes(
        self, conn: AsyncConnection[Any], *, tenant: str, ticket_id: uuid.UUID, changes: Sequence[Change]
    ) -> list[int | None]:
        """Writes the step's changes to the outbox in the step's transaction; a ticket's changes of one kind
        reach their receiver in the order they were written."""
        return [
            await self.outbox.enqueue(
                conn,
                kind=change.kind,
                payload=change.payload,
                tenant=tenant,
                dedupe_key=change.dedupe_key,
                ordering_key=f"{change.kind}:{ticket_id}",
            )
            for change in changes
        ]

    async def relay_ticket_update(self, task: Task[ingest_pb2.ApplyTicketUpdateRequest]) -> Outcome:
        """Outbox handler: applies a step's change of the ticket at ingest."""
        try:
            await self.ingest.apply_ticket_update(task.tenant, task.payload)
        except NotFound as exc:
            proposal_id = task.payload.event_payload.fields["proposal_id"].string_value
            if proposal_id:
                # Stored while ingest was down for a ticket that turned out not to be the tenant's:
                # free the agent's slot instead of holding it for a visit nobody can see.
                async with self.repository.transaction() as conn:
                    await self.repository.transition(
                        conn,
                        tenant=task.tenant,
                        proposal_id=uuid.UUID(proposal_id),
                        from_statuses=ACTIVE,
                        to_status="cancelled",
                    )
            return Fail(describe(exc))
        return None

    async def relay_lead_message(self, task: Task[supervisor_pb2.SendReplyRequest]) -> Outcome:
        """Outbox handler: hands a step's message to the lead to supervisor."""
        await self.supervisor.send_reply(task.tenant, task.payload)
        return None

    async def _clash(
        self,
        tenant: str,
        key: int,
        agent: str,
        blocked_from: datetime,
        blocked_until: datetime,
        start: datetime,
        tz: str,
    ) -> Conflict:
        clash = await self.repository.find_clash(
            tenant=tenant, agent_key=key, blocked_from=blocked_from, blocked_until=blocked_until
        )
        if clash is None:
            return Conflict(f"agent {agent} already has a visit overlapping {_local(start, tz)}", field="starts_at")
        return Conflict(
            f"agent {agent} already has a visit from {_local(clash.starts_at, tz)} to "
            f"{_local(clash.ends_at, tz, time_only=True)} (proposal {clash.id}, {clash.status})",
            field="starts_at",
        )

    async def _not_confirmable(self, tenant: str, proposal_id: uuid.UUID) -> Conflict:
        current = await self.repository.proposal(tenant=tenant, proposal_id=proposal_id)
        status = current.status if current else "gone"
        if status == "confirmed":
            return Conflict("the visit is already confirmed", field="proposal_id")
        if status == "rescheduled":
            return Conflict("the proposal was rescheduled; confirm the new proposal", field="proposal_id")
        return Conflict(f"the proposal is {status} and can't be confirmed", field="proposal_id")

    async def _not_active(self, tenant: str, proposal_id: uuid.UUID) -> Exception:
        current = await self.repository.proposal(tenant=tenant, proposal_id=proposal_id)
        if current is None:
            return NotFound("no such visit proposal", field="proposal_id")
        return Conflict(
            f"the proposal is {current.status}; only proposed or confirmed visits change", field="proposal_id"
        )

    async def _managed_agent(self, principal: Principal, agent_user_id: str) -> Agent:
        """The agent whose calendar the caller may manage: agents their own, supervisors anyone's."""
        principal.require(Role.AGENT)
        user_id = agent_user_id or principal.user_id
        if principal.role == Role.AGENT and user_id != principal.user_id:
            raise PermissionDenied("agents manage only their own calendar", field="agent_user_id")
        return await self._active_agent(principal.tenant, user_id)

    async def _project_rules(self, tenant: str, project_code: str) -> ProjectSettings:
        stored = await self.repository.project_settings(tenant=tenant, project_code=project_code)
        return stored or ProjectSettings(project_code=project_code)

    async def _require_project(self, tenant: str, project_code: str) -> None:
        """NotFound naming project_code unless the tenant's catalog (ingest) has the project."""
        catalog = await self.ingest.get_catalog(tenant, within=self.settings.ingest_check_timeout_seconds)
        if project_code not in {project.code for project in catalog.projects}:
            raise NotFound(f"project {project_code!r} does not exist", field="project_code")

    async def _check_available(self, tenant: str, agent: Agent, start: datetime, end: datetime, tz: str) -> None:
        """A 400 naming starts_at when the agent has weekly hours and the visit falls outside them, or is off."""
        hours = [_weekly(h) for h in await self.repository.hours(tenant=tenant, agent_keys=[agent.key])]
        if hours and not within_hours(hours, zoneinfo.ZoneInfo(tz), start, end):
            raise InvalidArgument(
                f"{_local(start, tz)} to {_local(end, tz, time_only=True)} is outside the agent's working hours",
                field="starts_at",
            )
        off = await self.repository.time_off(tenant=tenant, agent_keys=[agent.key], start=start, end=end)
        if off:
            reason = f" ({off[0].reason})" if off[0].reason else ""
            raise InvalidArgument(
                f"the agent is off from {_local(off[0].starts_at, tz)} to {_local(off[0].ends_at, tz)}{reason}",
                field="starts_at",
            )

    async def _active_agent(self, tenant: str, user_id: str) -> Agent:
        """The active user `user_id` of the tenant, as supervisor knows it; a 400 naming agent_user_id otherwise."""
        if not user_id:
            raise InvalidArgument("agent_user_id is required", field="agent_user_id")
        if tenant == SYSTEM_TENANT:
            raise InvalidArgument("the system tenant has no agents", field="agent_user_id")
        agent = await self.repository.agent(tenant=tenant, user_id=user_id)
        synced = self._synced.get(tenant)
        fresh = (
            agent is not None and synced is not None and time.monotonic() - synced < self.settings.agent_sync_seconds
        )
        if not fresh:
            if await self._sync_agents(tenant):
                agent = await self.repository.agent(tenant=tenant, user_id=user_id)
            elif agent is None:
                raise Unavailable("supervisor is unavailable to check agent_user_id; retry", field="agent_user_id")
        if agent is None or not agent.active:
            raise InvalidArgument("agent_user_id is not an active user of the tenant", field="agent_user_id")
        return agent

    async def _sync_agents(self, tenant: str) -> bool:
        """Refreshes the tenant's agents from supervisor (one call in flight per tenant); False when it is down."""
        running = self._syncing.get(tenant)
        if running is None:
            running = asyncio.ensure_future(self._fetch_agents(tenant))
            self._syncing[tenant] = running
            running.add_done_callback(lambda _: self._syncing.pop(tenant, None))
        return await asyncio.shield(running)

    async def _fetch_agents(self, tenant: str) -> bool:
        try:
            listed = await self.supervisor.list_users(
                tenant, include_inactive=True, within=self.settings.supervisor_check_timeout_seconds
            )
        except DomainError as exc:
            if exc.retryable:
                log.warning("supervisor did not answer the agent lookup: %s", exc.code.name)
                return False
            raise
        users = [AgentUser(user_id=u.id, name=u.name, role=ROLE_NAMES.get(u.role, ""), active=u.active) for u in listed]
        await self.repository.sync_agents(tenant=tenant, users=users, complete=True)
        self._synced[tenant] = time.monotonic()
        return True

    async def _ticket_project(self, principal: Principal, ticket_id: uuid.UUID) -> tuple[str, uuid.UUID | None]:
        """The ticket's project and lead; NotFound for a ticket that doesn't exist, ('', None) while ingest is
        unreachable."""
        try:
            reply = await self.ingest.get_ticket(
                principal.tenant, str(ticket_id), within=self.settings.ingest_check_timeout_seconds
            )
        except NotFound as exc:
            raise NotFound("ticket not found", field="ticket_id") from exc
        except DomainError as exc:
            if exc.retryable:
                # The step goes on; the outbox hands its changes over once ingest is back.
                return "", None
            raise
        return reply.ticket.project_code, uuid.UUID(reply.ticket.lead_id) if reply.ticket.lead_id else None

    async def _timezone(self, tenant: str) -> str:
        cached = self._timezones.get(tenant)
        if cached and time.monotonic() - cached[0] < TIMEZONE_CACHE_SECONDS:
            return cached[1]
        try:
            found = await self.ingest.get_tenant(tenant, within=self.settings.ingest_check_timeout_seconds)
        except DomainError:
            return cached[1] if cached else DEFAULT_TIMEZONE
        zone = found.timezone or DEFAULT_TIMEZONE
        self._timezones[tenant] = (time.monotonic(), zone)
        return zone


def _minutes(value: str, *, field: str, end: bool) -> int:
    try:
        return parse_hhmm(value, allow_midnight_end=end)
    except ValueError as exc:
        raise InvalidArgument(
            f"{field}: {exc}; use HH:MM" + (" (24:00 for midnight)" if end else ""), field=field
        ) from exc


def _weekly(row: HoursRow) -> WeeklyHours:
    return WeeklyHours(weekday=row.weekday, start_minute=row.start_minute, end_minute=row.end_minute)


def _rules(settings: ProjectSettings) -> BookingRules:
    """The booking rules of stored project settings."""
    return BookingRules(
        visit=timedelta(minutes=settings.visit_minutes),
        buffer_before=timedelta(minutes=settings.buffer_before_minutes),
        buffer_after=timedelta(minutes=settings.buffer_after_minutes),
        notice=timedelta(minutes=settings.min_notice_minutes),
        horizon=timedelta(days=settings.horizon_days),
        step=timedelta(minutes=settings.slot_step_minutes or settings.visit_minutes),
    )


def _blocked(settings: ProjectSettings, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The time a visit takes from the agent's calendar: the visit and the project's buffers around it."""
    return (
        start - timedelta(minutes=settings.buffer_before_minutes),
        end + timedelta(minutes=settings.buffer_after_minutes),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _local(at: datetime, tz: str, *, time_only: bool = False) -> str:
    local = at.astimezone(zoneinfo.ZoneInfo(tz))
    return local.strftime("%H:%M") if time_only else local.strftime("%d/%m/%Y a las %H:%M")

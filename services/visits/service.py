"""Rules of the visit calendar: propose, confirm, reschedule, cancel; never a double booking."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg.errors
from psycopg import AsyncConnection

from libs.common.auth import Principal, Role
from libs.common.backoff import Backoff
from libs.common.errors import Conflict, DomainError, FailedPrecondition, InvalidArgument, NotFound
from libs.common.outbox import Fail, Outbox, Outcome, Task, describe
from libs.common.peers.ingest import IngestClient
from libs.common.peers.supervisor import SupervisorClient
from libs.common.wire import struct, timestamp
from services.visits.models import (
    ACTIVE,
    DEFAULT_DURATION_MINUTES,
    LEAD_MESSAGE,
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    REPLY_CONFIRM,
    REPLY_PREFIX,
    REPLY_RESCHEDULE,
    STAGE_AFTER_CANCEL,
    STAGE_AWAITING,
    STAGE_CONFIRMED,
    TICKET_UPDATE,
    Change,
    Confirmation,
    Proposal,
    StepResult,
)
from services.visits.repository import Repository
from services.visits.settings import VisitsSettings
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "America/Argentina/Buenos_Aires"
TIMEZONE_CACHE_SECONDS = 60.0
# Relayed changes are retried quickly at first: the dashboard shows the stage once ingest has it.
RELAY_BACKOFF = Backoff(base=0.25, cap=5.0)


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
    if prefix != REPLY_PREFIX or action not in (REPLY_CONFIRM, REPLY_RESCHEDULE) or not token:
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
    ticket_id: uuid.UUID, *, dedupe_key: str, text: str, buttons: Sequence[tuple[str, str]] = ()
) -> Change:
    """A message to the lead through supervisor, with optional reply buttons (id, title)."""
    request = supervisor_pb2.SendReplyRequest(
        ticket_id=str(ticket_id),
        text=text,
        idempotency_key=dedupe_key,
        buttons=[supervisor_pb2.ReplyButton(id=button_id, title=title) for button_id, title in buttons],
    )
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
    ) -> None:
        self.repository = repository
        self.settings = settings
        self.outbox = outbox
        self.ingest = ingest
        self.supervisor = supervisor
        self._timezones: dict[str, tuple[float, str]] = {}
        outbox.register(
            TICKET_UPDATE, ingest_pb2.ApplyTicketUpdateRequest, self.relay_ticket_update, backoff=RELAY_BACKOFF
        )
        outbox.register(LEAD_MESSAGE, supervisor_pb2.SendReplyRequest, self.relay_lead_message, backoff=RELAY_BACKOFF)

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
        agent = agent_user_id or principal.user_id
        if not agent:
            raise InvalidArgument("agent_user_id is required", field="agent_user_id")
        start, end = _slot(starts_at, duration_minutes, now=datetime.now(UTC))
        # Always asked (not only for the project): a ticket of another tenant is simply not found.
        ticket_project = await self._ticket_project(principal, ticket)
        project = project_code or ticket_project
        tz = await self._timezone(principal.tenant)
        token = secrets.token_urlsafe(18)
        try:
            async with self.repository.transaction() as conn:
                key = await self.repository.agent_key(conn, tenant=principal.tenant, user_id=agent)
                proposal = await self.repository.insert_proposal(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=ticket,
                    agent_key=key,
                    agent_user_id=agent,
                    project_code=project,
                    starts_at=start,
                    ends_at=end,
                    replaces_proposal_id=None,
                    message_to_lead=message_to_lead.strip(),
                    reply_token=token,
                    created_by=principal.user_id,
                )
                ids = await self._add_changes(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=ticket,
                    changes=self._proposed(proposal, tz, "visit.proposed"),
                )
        except psycopg.errors.ExclusionViolation as exc:
            raise await self._clash(principal.tenant, agent, start, end, tz) from exc
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
        tz = await self._timezone(principal.tenant)
        try:
            async with self.repository.transaction() as conn:
                replaced = await self.repository.transition(
                    conn, tenant=principal.tenant, proposal_id=old.id, from_statuses=ACTIVE, to_status="rescheduled"
                )
                if replaced is None:
                    raise await self._not_active(principal.tenant, old.id)
                proposal = await self.repository.insert_proposal(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=old.ticket_id,
                    agent_key=old.agent_key,
                    agent_user_id=old.agent_user_id,
                    project_code=old.project_code,
                    starts_at=start,
                    ends_at=end,
                    replaces_proposal_id=old.id,
                    message_to_lead=message_to_lead.strip(),
                    reply_token=secrets.token_urlsafe(18),
                    created_by=principal.user_id,
                )
                ids = await self._add_changes(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=old.ticket_id,
                    changes=self._proposed(proposal, tz, "visit.rescheduled"),
                )
        except psycopg.errors.ExclusionViolation as exc:
            raise await self._clash(principal.tenant, old.agent_user_id, start, end, tz) from exc
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

    async def visits(self, *, principal: Principal, ticket_id: str) -> tuple[list[Proposal], list[Confirmation]]:
        """The ticket's proposals and confirmations."""
        return await self.repository.visits_of_ticket(
            tenant=principal.tenant, ticket_id=_uuid(ticket_id, field="ticket_id")
        )

    async def handle_lead_reply(self, *, principal: Principal, ticket_id: str, reply: str) -> StepResult | None:
        """Acts on a reply button the lead tapped; None when the id is not one of this ticket's buttons."""
        principal.require(Role.SERVICE)
        parsed = parse_reply_id(reply)
        if parsed is None:
            return None
        action, token = parsed
        proposal = await self.repository.proposal_by_reply_token(
            tenant=principal.tenant, ticket_id=_uuid(ticket_id, field="ticket_id"), token=token
        )
        if proposal is None:
            return None
        if action == REPLY_CONFIRM:
            if proposal.status == "confirmed":
                return StepResult(proposal=proposal, stage=STAGE_CONFIRMED)
            return await self.confirm(
                principal=principal, proposal_id=str(proposal.id), ticket_id="", channel="whatsapp", confirmed_by="lead"
            )
        async with self.repository.transaction() as conn:
            ids = await self._add_changes(
                conn,
                tenant=principal.tenant,
                ticket_id=proposal.ticket_id,
                changes=[
                    ticket_update(
                        proposal.ticket_id,
                        dedupe_key=f"visit.reschedule_requested:{proposal.id}",
                        event="visit.reschedule_requested",
                        event_payload={"proposal_id": str(proposal.id)},
                    )
                ],
            )
        await self.outbox.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING)

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
                # A reschedule shows the new time on the ticket; a first proposal leaves it unset.
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

    async def _clash(self, tenant: str, agent: str, start: datetime, end: datetime, tz: str) -> Conflict:
        clash = await self.repository.find_clash(tenant=tenant, agent_user_id=agent, starts_at=start, ends_at=end)
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

    async def _ticket_project(self, principal: Principal, ticket_id: uuid.UUID) -> str:
        """The ticket's project; NotFound for a ticket that doesn't exist, '' while ingest is unreachable."""
        try:
            reply = await self.ingest.get_ticket(
                principal.tenant, str(ticket_id), within=self.settings.ingest_check_timeout_seconds
            )
        except NotFound as exc:
            raise NotFound("ticket not found", field="ticket_id") from exc
        except DomainError as exc:
            if exc.retryable:
                # The step goes on; the outbox hands its changes over once ingest is back.
                return ""
            raise
        return reply.ticket.project_code

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


def _local(at: datetime, tz: str, *, time_only: bool = False) -> str:
    local = at.astimezone(zoneinfo.ZoneInfo(tz))
    return local.strftime("%H:%M") if time_only else local.strftime("%d/%m/%Y a las %H:%M")

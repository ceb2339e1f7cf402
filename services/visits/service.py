"""Rules of the visit calendar: propose, confirm, reschedule, cancel; never a double booking."""

from __future__ import annotations

import secrets
import time
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta

import grpc
import psycopg.errors

from libs.common.auth import Principal, Role
from libs.common.clients import ServiceTokens
from libs.common.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from services.visits.models import (
    ACTIVE,
    DEFAULT_DURATION_MINUTES,
    MAX_DAYS_AHEAD,
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    REPLY_CONFIRM,
    REPLY_PREFIX,
    REPLY_RESCHEDULE,
    STAGE_AFTER_CANCEL,
    STAGE_AWAITING,
    STAGE_CONFIRMED,
    Change,
    Confirmation,
    Proposal,
    StepResult,
)
from services.visits.relay import OutboxRelay
from services.visits.repository import Repository
from services.visits.settings import VisitsSettings
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

DEFAULT_TIMEZONE = "America/Argentina/Buenos_Aires"
TIMEZONE_CACHE_SECONDS = 60.0
# Ingest answers these when it is down or slow: the step goes on and the outbox catches up later.
INGEST_DOWN = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


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
        relay: OutboxRelay,
        ingest: ingest_pb2_grpc.IngestServiceStub,
        tokens: ServiceTokens,
    ) -> None:
        self.repository = repository
        self.settings = settings
        self.relay = relay
        self.ingest = ingest
        self.tokens = tokens
        self._timezones: dict[str, tuple[float, str]] = {}

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
                ids = await self.repository.add_changes(
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
        await self.relay.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING, outbox_ids=ids)

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
            ids = await self.repository.add_changes(
                conn, tenant=principal.tenant, ticket_id=proposal.ticket_id, changes=self._confirmed(proposal, tz)
            )
        await self.relay.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_CONFIRMED, confirmation=confirmation, outbox_ids=ids)

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
                ids = await self.repository.add_changes(
                    conn,
                    tenant=principal.tenant,
                    ticket_id=old.ticket_id,
                    changes=self._proposed(proposal, tz, "visit.rescheduled"),
                )
        except psycopg.errors.ExclusionViolation as exc:
            raise await self._clash(principal.tenant, old.agent_user_id, start, end, tz) from exc
        await self.relay.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING, replaced=replaced, outbox_ids=ids)

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
                Change(
                    kind="ticket_update",
                    dedupe_key=f"visit.cancelled:{proposal.id}",
                    payload={
                        "event_type": "visit.cancelled",
                        "event_payload": {"proposal_id": str(proposal.id), "reason": reason[:500]},
                        "stage": STAGE_AFTER_CANCEL,
                        "clear_visit_scheduled_at": True,
                    },
                ),
                Change(
                    kind="lead_message",
                    dedupe_key=f"lead:visit.cancelled:{proposal.id}",
                    payload={
                        "text": f"La visita del {when} quedó cancelada. Escribinos para coordinar otra.",
                        "buttons": [],
                    },
                ),
            ]
            ids = await self.repository.add_changes(
                conn, tenant=principal.tenant, ticket_id=proposal.ticket_id, changes=changes
            )
        await self.relay.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AFTER_CANCEL, outbox_ids=ids)

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
            ids = await self.repository.add_changes(
                conn,
                tenant=principal.tenant,
                ticket_id=proposal.ticket_id,
                changes=[
                    Change(
                        kind="ticket_update",
                        dedupe_key=f"visit.reschedule_requested:{proposal.id}",
                        payload={
                            "event_type": "visit.reschedule_requested",
                            "event_payload": {"proposal_id": str(proposal.id)},
                        },
                    )
                ],
            )
        await self.relay.flush(ids)
        return StepResult(proposal=proposal, stage=STAGE_AWAITING, outbox_ids=ids)

    def _proposed(self, proposal: Proposal, tz: str, event: str) -> list[Change]:
        when = _local(proposal.starts_at, tz)
        text = proposal.message_to_lead or f"¡Hola! Te proponemos visitar el proyecto el {when}. ¿Te queda bien?"
        return [
            Change(
                kind="ticket_update",
                dedupe_key=f"{event}:{proposal.id}",
                payload={
                    "event_type": event,
                    "event_payload": {
                        "proposal_id": str(proposal.id),
                        "replaces_proposal_id": str(proposal.replaces_proposal_id or ""),
                        "starts_at": proposal.starts_at.isoformat(),
                        "duration_minutes": proposal.duration_minutes,
                        "agent_user_id": proposal.agent_user_id,
                    },
                    "stage": STAGE_AWAITING,
                    # A reschedule shows the new time on the ticket; a first proposal leaves it unset.
                    "visit_scheduled_at": proposal.starts_at.isoformat() if proposal.replaces_proposal_id else None,
                },
            ),
            Change(
                kind="lead_message",
                dedupe_key=f"lead:{event}:{proposal.id}",
                payload={
                    "text": text,
                    "buttons": [
                        {"id": reply_id(REPLY_CONFIRM, proposal.reply_token), "title": "Confirmar"},
                        {"id": reply_id(REPLY_RESCHEDULE, proposal.reply_token), "title": "Reprogramar"},
                    ],
                },
            ),
        ]

    def _confirmed(self, proposal: Proposal, tz: str) -> list[Change]:
        when = _local(proposal.starts_at, tz)
        return [
            Change(
                kind="ticket_update",
                dedupe_key=f"visit.confirmed:{proposal.id}",
                payload={
                    "event_type": "visit.confirmed",
                    "event_payload": {"proposal_id": str(proposal.id), "starts_at": proposal.starts_at.isoformat()},
                    "stage": STAGE_CONFIRMED,
                    "visit_scheduled_at": proposal.starts_at.isoformat(),
                },
            ),
            Change(
                kind="lead_message",
                dedupe_key=f"lead:visit.confirmed:{proposal.id}",
                payload={"text": f"¡Listo! Tu visita quedó confirmada para el {when}.", "buttons": []},
            ),
        ]

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
        """The ticket's project; NotFound for a ticket that doesn't exist, '' while ingest is down."""
        try:
            reply = await self.ingest.GetTicket(
                ingest_pb2.GetTicketRequest(ticket_id=str(ticket_id)),
                metadata=self.tokens.metadata(principal.tenant),
                timeout=self.settings.ingest_check_timeout_seconds,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound("ticket not found", field="ticket_id") from exc
            if exc.code() in INGEST_DOWN:
                return ""
            raise
        return reply.ticket.project_code

    async def _timezone(self, tenant: str) -> str:
        cached = self._timezones.get(tenant)
        if cached and time.monotonic() - cached[0] < TIMEZONE_CACHE_SECONDS:
            return cached[1]
        try:
            reply = await self.ingest.GetTenant(
                ingest_pb2.GetTenantRequest(),
                metadata=self.tokens.metadata(tenant),
                timeout=self.settings.ingest_check_timeout_seconds,
            )
            zone = reply.tenant.timezone or DEFAULT_TIMEZONE
        except grpc.aio.AioRpcError:
            return cached[1] if cached else DEFAULT_TIMEZONE
        self._timezones[tenant] = (time.monotonic(), zone)
        return zone


def _local(at: datetime, tz: str, *, time_only: bool = False) -> str:
    local = at.astimezone(zoneinfo.ZoneInfo(tz))
    return local.strftime("%H:%M") if time_only else local.strftime("%d/%m/%Y a las %H:%M")

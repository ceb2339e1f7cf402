"""Rows and domain values of the visits service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message

STATUSES = ("proposed", "confirmed", "rescheduled", "cancelled", "expired")
ACTIVE = ("proposed", "confirmed")
STAGE_AWAITING = "Esperando confirmación"
STAGE_CONFIRMED = "Visita confirmada"
# Where a ticket goes back to when its visit is cancelled: talking with the lead again.
STAGE_AFTER_CANCEL = "En conversación"
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 8 * 60
DEFAULT_DURATION_MINUTES = 60
# Nobody books a property visit further out; a later time is a typo (and far dates overflow).
MAX_DAYS_AHEAD = 366
# Reply-button ids: prefix, action, the proposal's random token.
REPLY_PREFIX = "v360v"
REPLY_CONFIRM = "c"
REPLY_RESCHEDULE = "r"
# Outbox kinds: the ticket's stage and timeline at ingest, a message to the lead through supervisor.
TICKET_UPDATE = "ticket_update"
LEAD_MESSAGE = "lead_message"


@dataclass(slots=True)
class Proposal:
    id: uuid.UUID
    tenant: str
    ticket_id: uuid.UUID
    agent_key: int
    agent_user_id: str
    project_code: str
    starts_at: datetime
    ends_at: datetime
    status: str
    replaces_proposal_id: uuid.UUID | None
    message_to_lead: str
    reply_token: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    starts_s: float
    ends_s: float

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass(slots=True)
class Confirmation:
    id: uuid.UUID
    tenant: str
    proposal_id: uuid.UUID
    confirmed_by: str
    channel: str
    confirmed_at: datetime


@dataclass(slots=True)
class Change:
    """What one visit step asks of another service, written to the outbox with the step: the peer's request."""

    kind: str
    dedupe_key: str
    payload: Message


@dataclass(slots=True)
class StepResult:
    proposal: Proposal
    stage: str
    replaced: Proposal | None = None
    confirmation: Confirmation | None = None

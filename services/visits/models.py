"""Rows and domain values of the visits service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
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
# Availability: a slot query covers at most this window and returns at most this many starts.
DEFAULT_SLOT_WINDOW_DAYS = 7
MAX_SLOT_WINDOW_DAYS = 62
MAX_SLOTS = 500
MAX_HOURS_BLOCKS = 7 * 8
MAX_REASON = 200
MAX_PROJECT_AGENTS = 50
# Inclusive bounds of each project setting (slot_step_minutes may also be 0: the visit length).
PROJECT_LIMITS = {
    "visit_minutes": (MIN_DURATION_MINUTES, MAX_DURATION_MINUTES),
    "buffer_before_minutes": (0, 240),
    "buffer_after_minutes": (0, 240),
    "min_notice_minutes": (0, 30 * 24 * 60),
    "horizon_days": (1, MAX_DAYS_AHEAD),
    "slot_step_minutes": (5, MAX_DURATION_MINUTES),
}
# An agent's calendar feed shows active visits that ended less than this long ago.
FEED_LOOKBACK_DAYS = 30
# Reply-button ids: prefix, action, the proposal's random token.
REPLY_PREFIX = "v360v"
REPLY_CONFIRM = "c"
REPLY_RESCHEDULE = "r"
# Outbox kinds: the ticket's stage and timeline at ingest, a message to the lead through supervisor.
TICKET_UPDATE = "ticket_update"
LEAD_MESSAGE = "lead_message"
# Visits' own work for later: a fresh list of free times for a lead; a reminder of a confirmed visit.
OFFER_AGAIN = "offer_again"
REMINDER = "reminder"
STAGE_DONE = "Visita realizada"
OUTCOMES = ("attended", "no_show")
MAX_REMINDERS = 5
# A reminder goes out at least 5 minutes and at most 14 days before the visit.
REMINDER_MINUTES = (5, 14 * 24 * 60)
REPLY_SLOT = "s"
# An offer lists at most this many free starts (WhatsApp: 10 rows a list), from this far ahead at most.
OFFER_ROWS = 10
OFFER_WINDOW_DAYS = 31


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
    # The visit plus its buffers: what the no-double-booking constraint keeps apart.
    blocked_from: datetime
    blocked_until: datetime
    lead_id: uuid.UUID | None = None

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass(slots=True)
class Agent:
    """A user of the tenant as supervisor last told us, with the calendar key visits gives them."""

    key: int
    tenant: str
    user_id: str
    name: str
    role: str
    active: bool
    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgentUser:
    """One user as supervisor describes it."""

    user_id: str
    name: str
    role: str
    active: bool


@dataclass(slots=True)
class HoursRow:
    agent_key: int
    weekday: int
    start_minute: int
    end_minute: int


@dataclass(slots=True)
class TimeOffRow:
    id: uuid.UUID
    agent_key: int | None
    # Empty for the tenant's holidays.
    agent_user_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(slots=True)
class ProjectSettings:
    """How leads book a project's visits; these defaults until an admin sets them."""

    project_code: str
    visit_minutes: int = 60
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 120
    horizon_days: int = 30
    slot_step_minutes: int = 0
    agent_user_ids: list[str] = field(default_factory=list)
    tenant: str = ""


@dataclass(slots=True)
class Busy:
    agent_key: int
    blocked_from: datetime
    blocked_until: datetime


@dataclass(slots=True)
class Calendar:
    """What free slots are worked out from, for some agents."""

    hours: list[HoursRow]
    time_off: list[TimeOffRow]
    busy: list[Busy]
    # Upcoming active visits per agent key.
    loads: dict[int, int]


@dataclass(frozen=True, slots=True)
class FreeSlot:
    starts_at: datetime
    ends_at: datetime
    agent: Agent


@dataclass(slots=True)
class OfferedSlot:
    token: str
    offer_id: uuid.UUID
    agent_key: int
    agent_user_id: str
    starts_at: datetime
    ends_at: datetime
    project_code: str
    booked_proposal_id: uuid.UUID | None


@dataclass(slots=True)
class Offer:
    """Free times sent to a lead as a list."""

    id: uuid.UUID
    ticket_id: uuid.UUID
    project_code: str
    slots: list[FreeSlot]
    row_ids: list[str]


@dataclass(slots=True)
class VisitSettings:
    """A tenant's settings for what visits sends leads; these defaults until a supervisor sets them."""

    language: str = "es"
    reminder_offsets_minutes: list[int] = field(default_factory=lambda: [1440, 120])
    reminder_template: str = ""
    reminder_template_language: str = "es_AR"


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
    proposal: Proposal | None
    stage: str
    replaced: Proposal | None = None
    confirmation: Confirmation | None = None
    # What a lead's reply did: confirmed, reschedule_offered, booked, offered_again, already_booked.
    outcome: str = ""

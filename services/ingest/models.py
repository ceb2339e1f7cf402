"""Rows and domain values of the ingest service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STAGES = (
    "Nuevo",
    "En conversación",
    "Esperando confirmación",
    "Visita confirmada",
    "Visita realizada",
    "Ganado",
    "Perdido",
)
CHANNELS = ("meta", "gupshup", "manual")
# The channel a person (agent, supervisor, admin) may ingest on; the others are the providers' own.
MANUAL_CHANNEL = "manual"
# Where each outcome may come from, the stage it leads to, and its event.
OUTCOMES = {
    "visit_done": (("Visita confirmada",), "Visita realizada", "ticket.visit_done"),
    "won": (tuple(s for s in STAGES if s != "Ganado"), "Ganado", "ticket.won"),
    "lost": (tuple(s for s in STAGES if s != "Perdido"), "Perdido", "ticket.lost"),
}
# The lost reasons of a tenant that has not set its own.
DEFAULT_LOST_REASONS = (
    ("precio", "Precio fuera de presupuesto"),
    ("financiacion", "No consigue financiación"),
    ("ubicacion", "No le convence la ubicación"),
    ("otro_proyecto", "Eligió otro proyecto"),
    ("sin_respuesta", "Dejó de responder"),
    ("otro", "Otro motivo"),
)
ACTORS = ("lead", "agent", "supervisor", "system")
SNIPPET_LENGTH = 160
# Outbox kind: a lead's tap on a visits reply button, handed to visits once the message is stored.
LEAD_REPLY = "lead_reply"


@dataclass(slots=True)
class Tenant:
    slug: str
    name: str
    region: str
    timezone: str
    meta_phone_number_id: str | None
    meta_app_secret: str | None
    meta_verify_token: str | None
    gupshup_app: str | None
    gupshup_token: str | None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created: bool = False


@dataclass(slots=True)
class Project:
    id: uuid.UUID
    code: str
    name: str
    location: str


@dataclass(slots=True)
class MarketingAsset:
    id: uuid.UUID
    code: str
    name: str
    keyword: str
    channel: str
    project_code: str | None
    ad_id: str | None = None


@dataclass(slots=True)
class Inbound:
    """A normalised inbound message, as the rules see it."""

    channel: str
    provider_message_id: str
    from_phone: str
    profile_name: str
    sent_at: datetime
    type: str
    text: str
    media: dict[str, Any] | None
    payload: dict[str, Any] | None
    context_message_id: str
    project_code: str
    asset_code: str
    reply_id: str = ""
    from_user_id: str = ""
    username: str = ""
    referral: dict[str, str] | None = None
    new_from_phone: str = ""
    new_from_user_id: str = ""


@dataclass(frozen=True, slots=True)
class LeadKey:
    """Who a message is from, as stored on the lead (see libs/common/phones.py and docs/architecture.md)."""

    # The lead's unique key: canonical E.164, "wa:<digits>" or "bsuid:<id>".
    identity: str
    phone_e164: str | None
    # The WhatsApp id replies go to (providers only).
    wa_id: str | None
    user_id: str | None


@dataclass(slots=True)
class InboundRow:
    """An inbound message ready to store: its tenant, the sender's lead key and the dashboard snippet."""

    tenant: str
    sender: LeadKey
    message: Inbound
    snippet: str
    # Set for a number change: where the lead's address moves to.
    moves_to: LeadKey | None = None
    # The tapped button is one of visits': its reply id goes to visits through the outbox, with the message.
    hand_to_visits: bool = False

    @property
    def thread_key(self) -> tuple[str, str, str]:
        """The lead's conversation on this channel: (tenant, identity, channel)."""
        return (self.tenant, self.sender.identity, self.message.channel)


@dataclass(slots=True)
class Stored:
    lead_id: uuid.UUID
    conversation_id: uuid.UUID
    ticket_id: uuid.UUID
    message_id: uuid.UUID
    duplicate: bool
    phone_e164: str | None
    reply_address: str


@dataclass(slots=True)
class DeadLetter:
    id: uuid.UUID
    tenant: str
    source: str
    reason: str
    payload: str
    received_at: datetime


@dataclass(slots=True)
class TicketRow:
    id: uuid.UUID
    lead_id: uuid.UUID
    lead_name: str
    phone_e164: str | None
    project_code: str
    project_name: str
    stage: str
    last_message_snippet: str
    last_message_at: datetime
    visit_scheduled_at: datetime | None
    assignee_user_id: str
    unread_count: int
    last_inbound_at: datetime | None
    conversation_id: uuid.UUID
    created_at: datetime
    reply_address: str = ""
    lead_user_id: str = ""
    lead_username: str = ""
    asset_code: str = ""
    asset_name: str = ""
    referral: dict[str, Any] | None = None
    waiting_since: datetime | None = None


@dataclass(slots=True)
class MessageRow:
    id: uuid.UUID
    direction: str
    actor: str
    provider: str
    provider_message_id: str
    type: str
    text: str
    media: dict[str, Any] | None
    payload: dict[str, Any] | None
    context_message_id: str
    author_user_id: str
    sent_at: datetime
    created_at: datetime


@dataclass(slots=True)
class EventRow:
    id: uuid.UUID
    type: str
    correlation_id: uuid.UUID
    payload: dict[str, Any]
    created_at: datetime


@dataclass(slots=True)
class TicketFilter:
    """What a ticket list or count is narrowed to; None means any."""

    stage: str | None = None
    project_code: str | None = None
    assignee_user_id: str | None = None
    query: str | None = None
    unread_only: bool = False
    window_open: bool | None = None


@dataclass(slots=True)
class StageCount:
    stage: str
    count: int
    waiting: int


@dataclass(slots=True)
class ChangeRow:
    """A committed event of a ticket, with the message it is about, for the change feed."""

    event: EventRow
    message: MessageRow | None


@dataclass(slots=True)
class TicketChange:
    """What the change feed hands a reader: the ticket after the change, the event, its message."""

    ticket: TicketRow
    event: EventRow
    message: MessageRow | None


@dataclass(slots=True)
class LostReason:
    code: str
    label: str


@dataclass(slots=True)
class TicketPage:
    tickets: list[TicketRow]
    next_after: tuple[datetime, uuid.UUID] | None


@dataclass(slots=True)
class Timeline:
    ticket: TicketRow
    messages: list[MessageRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)


@dataclass(slots=True)
class TicketUpdate:
    ticket_id: uuid.UUID
    dedupe_key: str
    event_type: str
    event_payload: dict[str, Any]
    stage: str | None
    visit_scheduled_at: datetime | None
    clear_visit_scheduled_at: bool
    assignee_user_id: str | None


@dataclass(slots=True)
class Outbound:
    ticket_id: uuid.UUID
    dedupe_key: str
    actor: str
    author_user_id: str
    text: str
    type: str
    payload: dict[str, Any] | None


@dataclass(slots=True)
class AppendedOutbound:
    message: MessageRow
    ticket: TicketRow
    duplicate: bool

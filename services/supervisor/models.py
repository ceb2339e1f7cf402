"""Rows and domain values of the supervisor service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ROLES = ("agent", "supervisor", "admin")
STATUSES = ("pending", "sent", "delivered", "read", "failed")
PROVIDERS = ("meta", "gupshup", "sandbox")
# Providers a tenant can hold an account with; the sandbox needs none.
ACCOUNT_PROVIDERS = ("meta", "gupshup")
CHANNELS = ("meta", "gupshup", "manual")
KINDS = ("text", "template", "interactive", "list")


@dataclass(slots=True)
class User:
    id: uuid.UUID
    name: str
    email: str
    role: str
    active: bool
    created: bool = False


@dataclass(slots=True)
class StatusUpdate:
    provider: str
    provider_message_id: str
    status: str
    at: datetime
    error_code: str
    error_title: str
    raw: dict[str, Any] | None
    # Other ids the provider gives the same message (Gupshup: WhatsApp's beside its own).
    also_message_ids: list[str] = field(default_factory=list)

    @property
    def message_ids(self) -> list[str]:
        """Every id the status names, its main one first."""
        return list(dict.fromkeys([self.provider_message_id, *self.also_message_ids]))


@dataclass(slots=True)
class MessageTemplate:
    """A tenant's approved template as the team picks and fills it."""

    name: str
    language: str
    title: str
    body: str
    parameter_count: int
    active: bool
    updated_at: datetime | None = None
    created: bool = False


@dataclass(slots=True)
class Template:
    name: str
    language: str
    parameters: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Button:
    id: str
    title: str


@dataclass(slots=True)
class ListRow:
    id: str
    title: str
    description: str


@dataclass(slots=True)
class ReplyList:
    button: str
    section_title: str
    rows: list[ListRow]


@dataclass(slots=True)
class ReplyRequest:
    """A reply as the caller asked for it, before any rule ran."""

    ticket_id: str
    text: str
    template: Template | None
    buttons: list[Button]
    idempotency_key: str
    list_menu: ReplyList | None = None
    template_if_window_closed: Template | None = None


@dataclass(slots=True)
class TicketInfo:
    """What delivery needs to know about a ticket owned by ingest."""

    id: uuid.UUID
    phone_e164: str
    channel: str
    last_inbound_at: datetime | None
    assignee_user_id: str
    # Where replies go: the lead's WhatsApp id or business-scoped user id (see ingest's Ticket.reply_address).
    reply_address: str = ""


@dataclass(slots=True)
class Draft:
    """A checked reply about to be stored."""

    tenant: str
    idempotency_key: str
    request_hash: str
    ticket_id: uuid.UUID
    actor: str
    author_user_id: str
    to_phone: str
    channel: str
    kind: str
    text: str
    template: dict[str, Any] | None
    buttons: list[dict[str, str]] | None
    list_menu: dict[str, Any] | None = None


@dataclass(slots=True)
class Outbound:
    id: uuid.UUID
    tenant: str
    idempotency_key: str
    request_hash: str
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None
    actor: str
    author_user_id: str
    to_phone: str
    channel: str
    kind: str
    text: str
    template: dict[str, Any] | None
    buttons: list[dict[str, str]] | None
    status: str
    provider: str | None
    provider_message_id: str | None
    error_code: str
    error_title: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    # A list message's button, section and rows (supervisor migration 0006 added it).
    list_menu: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ProviderAccount:
    provider: str
    sender_id: str
    secret: str
    app_name: str
    base_url: str

    def __repr__(self) -> str:
        return f"ProviderAccount(provider={self.provider!r}, sender_id={self.sender_id!r})"

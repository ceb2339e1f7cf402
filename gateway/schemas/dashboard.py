"""Response shapes of the dashboard API and their translation from the services' messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from gateway.schemas.convert import label, struct_dict, when
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

# WhatsApp allows free-form replies only this long after the lead's last message.
REPLY_WINDOW = timedelta(hours=24)


class ProjectOut(BaseModel):
    id: str
    code: str
    name: str
    location: str

    @classmethod
    def from_proto(cls, project: ingest_pb2.Project) -> ProjectOut:
        """From ingest's Project."""
        return cls(id=project.id, code=project.code, name=project.name, location=project.location)


class MarketingAssetOut(BaseModel):
    id: str
    code: str
    name: str
    keyword: str
    project_code: str
    channel: str

    @classmethod
    def from_proto(cls, asset: ingest_pb2.MarketingAsset) -> MarketingAssetOut:
        """From ingest's MarketingAsset."""
        return cls(
            id=asset.id,
            code=asset.code,
            name=asset.name,
            keyword=asset.keyword,
            project_code=asset.project_code,
            channel=asset.channel,
        )


class UserOut(BaseModel):
    id: str
    name: str
    email: str
    role: str
    active: bool

    @classmethod
    def from_proto(cls, user: supervisor_pb2.User) -> UserOut:
        """From supervisor's User."""
        return cls(
            id=user.id, name=user.name, email=user.email, role=label(supervisor_pb2.Role, user.role), active=user.active
        )


class BootstrapOut(BaseModel):
    tenant: str
    projects: list[ProjectOut]
    marketing_assets: list[MarketingAssetOut]
    users: list[UserOut]


class ProjectRef(BaseModel):
    code: str
    name: str


class TicketOut(BaseModel):
    ticket_id: str
    lead_id: str
    conversation_id: str
    lead_name: str
    phone_e164: str
    project: ProjectRef | None
    stage: str
    last_message_snippet: str
    last_message_at: datetime | None
    visit_scheduled_at: datetime | None
    assignee_user_id: str | None
    unread_count: int
    last_inbound_at: datetime | None
    # Whether a free-form reply is still allowed (last inbound message less than 24 h ago).
    window_open: bool
    created_at: datetime | None

    @classmethod
    def from_proto(cls, ticket: ingest_pb2.Ticket, *, now: datetime) -> TicketOut:
        """From ingest's Ticket; `now` decides whether the 24 h reply window is open."""
        last_inbound = when(ticket, "last_inbound_at")
        return cls(
            ticket_id=ticket.id,
            lead_id=ticket.lead_id,
            conversation_id=ticket.conversation_id,
            lead_name=ticket.lead_name,
            phone_e164=ticket.phone_e164,
            project=ProjectRef(code=ticket.project_code, name=ticket.project_name) if ticket.project_code else None,
            stage=ticket.stage,
            last_message_snippet=ticket.last_message_snippet,
            last_message_at=when(ticket, "last_message_at"),
            visit_scheduled_at=when(ticket, "visit_scheduled_at"),
            assignee_user_id=ticket.assignee_user_id or None,
            unread_count=ticket.unread_count,
            last_inbound_at=last_inbound,
            window_open=last_inbound is not None and now - last_inbound < REPLY_WINDOW,
            created_at=when(ticket, "created_at"),
        )


class DashboardOut(BaseModel):
    cliente: str
    tickets: list[TicketOut]
    next_cursor: str | None


class MediaOut(BaseModel):
    provider_media_id: str
    url: str
    mime_type: str
    sha256: str
    filename: str
    caption: str


class MessageOut(BaseModel):
    id: str
    direction: str
    actor: str
    provider: str
    provider_message_id: str
    type: str
    text: str
    media: MediaOut | None
    payload: dict[str, Any]
    sent_at: datetime | None
    created_at: datetime | None
    author_user_id: str | None

    @classmethod
    def from_proto(cls, message: ingest_pb2.Message) -> MessageOut:
        """From ingest's Message."""
        media = message.media if message.HasField("media") else None
        return cls(
            id=message.id,
            direction=label(ingest_pb2.Direction, message.direction),
            actor=label(ingest_pb2.Actor, message.actor),
            provider=label(ingest_pb2.Provider, message.provider),
            provider_message_id=message.provider_message_id,
            type=label(ingest_pb2.MessageType, message.type),
            text=message.text,
            media=MediaOut(
                provider_media_id=media.provider_media_id,
                url=media.url,
                mime_type=media.mime_type,
                sha256=media.sha256,
                filename=media.filename,
                caption=media.caption,
            )
            if media is not None
            else None,
            payload=struct_dict(message.payload),
            sent_at=when(message, "sent_at"),
            created_at=when(message, "created_at"),
            author_user_id=message.author_user_id or None,
        )


class EventOut(BaseModel):
    id: str
    type: str
    correlation_id: str
    payload: dict[str, Any]
    created_at: datetime | None

    @classmethod
    def from_proto(cls, event: ingest_pb2.Event) -> EventOut:
        """From ingest's Event."""
        return cls(
            id=event.id,
            type=event.type,
            correlation_id=event.correlation_id,
            payload=struct_dict(event.payload),
            created_at=when(event, "created_at"),
        )


class VisitProposalOut(BaseModel):
    id: str
    ticket_id: str
    agent_user_id: str
    starts_at: datetime | None
    duration_minutes: int
    status: str
    replaces_proposal_id: str | None
    message_to_lead: str
    project_code: str
    created_at: datetime | None

    @classmethod
    def from_proto(cls, proposal: visits_pb2.VisitProposal) -> VisitProposalOut:
        """From visits' VisitProposal."""
        return cls(
            id=proposal.id,
            ticket_id=proposal.ticket_id,
            agent_user_id=proposal.agent_user_id,
            starts_at=when(proposal, "starts_at"),
            duration_minutes=proposal.duration_minutes,
            status=label(visits_pb2.ProposalStatus, proposal.status),
            replaces_proposal_id=proposal.replaces_proposal_id or None,
            message_to_lead=proposal.message_to_lead,
            project_code=proposal.project_code,
            created_at=when(proposal, "created_at"),
        )


class VisitConfirmationOut(BaseModel):
    id: str
    proposal_id: str
    confirmed_by: str
    channel: str
    confirmed_at: datetime | None

    @classmethod
    def from_proto(cls, confirmation: visits_pb2.VisitConfirmation) -> VisitConfirmationOut:
        """From visits' VisitConfirmation."""
        return cls(
            id=confirmation.id,
            proposal_id=confirmation.proposal_id,
            confirmed_by=confirmation.confirmed_by,
            channel=confirmation.channel,
            confirmed_at=when(confirmation, "confirmed_at"),
        )


class VisitsOut(BaseModel):
    proposals: list[VisitProposalOut]
    confirmations: list[VisitConfirmationOut]


class OutboundOut(BaseModel):
    id: str
    message_id: str
    text: str
    status: str
    provider_message_id: str
    error_code: str
    error_title: str
    attempts: int
    author_user_id: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_proto(cls, message: supervisor_pb2.OutboundMessage) -> OutboundOut:
        """From supervisor's OutboundMessage."""
        return cls(
            id=message.id,
            message_id=message.message_id,
            text=message.text,
            status=label(supervisor_pb2.DeliveryStatus, message.status),
            provider_message_id=message.provider_message_id,
            error_code=message.error_code,
            error_title=message.error_title,
            attempts=message.attempts,
            author_user_id=message.author_user_id or None,
            created_at=when(message, "created_at"),
            updated_at=when(message, "updated_at"),
        )


class TicketDetailOut(BaseModel):
    ticket: TicketOut
    messages: list[MessageOut]
    events: list[EventOut]
    # Left out while the owning service does not implement the call yet.
    visits: VisitsOut | None = None
    outbound_messages: list[OutboundOut] | None = None


class DeadLetterOut(BaseModel):
    """A webhook payload that could not be routed or read, kept with the reason."""

    id: str
    source: str
    reason: str
    payload: str
    received_at: datetime | None

    @classmethod
    def from_proto(cls, dead_letter: ingest_pb2.DeadLetter) -> DeadLetterOut:
        """From ingest's DeadLetter."""
        return cls(
            id=dead_letter.id,
            source=dead_letter.source,
            reason=dead_letter.reason,
            payload=dead_letter.payload,
            received_at=when(dead_letter, "received_at"),
        )


class DeadLettersOut(BaseModel):
    dead_letters: list[DeadLetterOut]
    next_cursor: str | None

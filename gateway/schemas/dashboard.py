"""Response shapes of the dashboard API and their translation from the services' messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from gateway.schemas.convert import label, struct_dict, when
from gateway.schemas.enums import Actor, DeliveryStatus, Direction, ProposalStatus, Role, Stage
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

# WhatsApp allows free-form replies only this long after the lead's last message.
REPLY_WINDOW = timedelta(hours=24)


class ProjectOut(BaseModel):
    """A development the tenant sells."""

    id: str = Field(description="The project's id (UUID).")
    code: str = Field(description="The tenant's own code for it, unique in the tenant, e.g. `PALERMO-01`.")
    name: str = Field(description="Display name.")
    location: str = Field(description="Address or area, free text.")

    @classmethod
    def from_proto(cls, project: ingest_pb2.Project) -> ProjectOut:
        """From ingest's Project."""
        return cls(id=project.id, code=project.code, name=project.name, location=project.location)


class MarketingAssetOut(BaseModel):
    """An ad that brings leads, tied to a project."""

    id: str = Field(description="The asset's id (UUID).")
    code: str = Field(description="The tenant's own code for it, unique in the tenant, e.g. `FB-PALERMO-01`.")
    name: str = Field(description="Display name.")
    keyword: str = Field(description="Text a lead's first message contains when it answers this ad (any case).")
    project_code: str = Field(description="Code of the project the ad sells; empty when none.")
    channel: str = Field(description="Where the ad sends leads, e.g. `whatsapp`.")
    ad_id: str = Field("", description="The Meta ad id whose click-to-WhatsApp leads are linked to this asset.")

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
            ad_id=asset.ad_id,
        )


class UserOut(BaseModel):
    """A member of the tenant's team."""

    id: str = Field(description="The user's id (UUID).")
    name: str = Field(description="Display name.")
    email: str = Field(description="Login email, lower case, unique in the tenant.")
    role: Role = Field(description="What the user may do.")
    active: bool = Field(description="False once deactivated: no login, every token refused.")

    @classmethod
    def from_proto(cls, user: supervisor_pb2.User) -> UserOut:
        """From supervisor's User."""
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            role=Role(label(supervisor_pb2.Role, user.role)),
            active=user.active,
        )


class BootstrapOut(BaseModel):
    """What the dashboard loads first."""

    tenant: str = Field(description="The caller's tenant slug.")
    projects: list[ProjectOut] = Field(description="The tenant's projects.")
    marketing_assets: list[MarketingAssetOut] = Field(description="The tenant's marketing assets.")
    users: list[UserOut] = Field(description="The tenant's active users.")


class ProjectRef(BaseModel):
    """The project a ticket is about."""

    code: str = Field(description="Project code.")
    name: str = Field(description="Project name.")


class ReferralOut(BaseModel):
    """The click-to-WhatsApp ad (or post) a lead clicked before writing."""

    source_id: str = Field(description="The ad or post id.")
    source_type: str = Field(description='"ad" or "post".')
    source_url: str = Field(description="Link to the ad or post.")
    headline: str = Field(description="The ad's headline.")
    body: str = Field(description="The ad's text.")
    ctwa_clid: str = Field(description="Meta's click id, for conversion reporting.")


class SourceOut(BaseModel):
    """Where the lead came from: the marketing asset it was matched to and the ad it clicked."""

    asset_code: str | None = Field(description="Code of the matched marketing asset, if any.")
    asset_name: str | None = Field(description="Name of the matched marketing asset, if any.")
    referral: ReferralOut | None = Field(description="The ad the lead clicked, when it came from one.")

    @classmethod
    def from_proto(cls, source: ingest_pb2.LeadSource) -> SourceOut:
        """From ingest's LeadSource."""
        referral = source.referral if source.HasField("referral") else None
        return cls(
            asset_code=source.asset_code or None,
            asset_name=source.asset_name or None,
            referral=ReferralOut(
                source_id=referral.source_id,
                source_type=referral.source_type,
                source_url=referral.source_url,
                headline=referral.headline,
                body=referral.body,
                ctwa_clid=referral.ctwa_clid,
            )
            if referral is not None
            else None,
        )


class TicketOut(BaseModel):
    """One conversation with a lead, as the inbox lists it."""

    ticket_id: str = Field(description="The ticket's id (UUID); one ticket per conversation.")
    lead_id: str = Field(description="The lead's id (UUID).")
    conversation_id: str = Field(description="The conversation's id (UUID).")
    lead_name: str = Field(description="The lead's name as their WhatsApp profile gives it; may be empty.")
    phone_e164: str = Field(
        description="The lead's phone in E.164, e.g. `+5491155551234`; empty when WhatsApp withholds the number "
        "(users with a username) or no numbering plan allows the lead's WhatsApp id."
    )
    reply_address: str = Field(
        "",
        description="Where replies go: the lead's WhatsApp id as WhatsApp keys the account (e.g. Mexico's "
        "`521…`), or its business-scoped user id (`AR.1349…`) when the number is withheld.",
    )
    lead_username: str = Field("", description="The lead's WhatsApp username, when they set one.")
    source: SourceOut | None = Field(None, description="The marketing asset and ad the lead came from, if known.")
    project: ProjectRef | None = Field(description="The project the lead asked about, when known.")
    stage: Stage = Field(description="Where the ticket is in the funnel.")
    last_message_snippet: str = Field(description="One line of the last message.")
    last_message_at: datetime | None = Field(description="When the last message was stored.")
    visit_scheduled_at: datetime | None = Field(description="The confirmed visit's start, when there is one.")
    assignee_user_id: str | None = Field(description="The user working the ticket, when assigned.")
    unread_count: int = Field(description="Lead messages since the team last wrote.")
    last_inbound_at: datetime | None = Field(description="When the lead last wrote.")
    window_open: bool = Field(
        description="Whether free text may still be sent: the lead wrote less than 24 h ago (else templates only)."
    )
    created_at: datetime | None = Field(description="When the ticket was opened.")

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
            reply_address=ticket.reply_address,
            lead_username=ticket.lead_username,
            source=SourceOut.from_proto(ticket.source) if ticket.HasField("source") else None,
            project=ProjectRef(code=ticket.project_code, name=ticket.project_name) if ticket.project_code else None,
            stage=Stage(ticket.stage),
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
    """A page of the inbox."""

    cliente: str = Field(description="The tenant slug asked for.")
    tickets: list[TicketOut] = Field(description="Newest activity first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class MediaOut(BaseModel):
    """An attachment as the provider announced it (content is fetched later)."""

    provider_media_id: str = Field(description="Meta's media id; empty for Gupshup.")
    url: str = Field(description="Gupshup's direct (expiring) link; empty for Meta.")
    mime_type: str = Field(description="MIME type, e.g. `image/jpeg`.")
    sha256: str = Field(description="The provider's checksum, when given.")
    filename: str = Field(description="Document file name, when given.")
    caption: str = Field(description="The lead's caption, when given.")


class MessageOut(BaseModel):
    """One message of the conversation."""

    id: str = Field(description="The message's id (UUID).")
    direction: Direction = Field(description="From the lead (`in`) or to the lead (`out`).")
    actor: Actor = Field(description="Who wrote it.")
    provider: str = Field(description="The channel: `meta`, `gupshup` or `manual`.")
    provider_message_id: str = Field(description="The provider's id (a Meta `wamid`); the dedupe key.")
    type: str = Field(description="`text`, `image`, `audio`, `location`, `button_reply`, ...")
    text: str = Field(description="Readable text (a caption, a place, the tapped button's title, ...).")
    media: MediaOut | None = Field(description="The attachment, for media messages.")
    payload: dict[str, Any] = Field(description="The type-specific object as the provider sent it.")
    sent_at: datetime | None = Field(description="When the provider says it was sent.")
    created_at: datetime | None = Field(description="When it was stored.")
    author_user_id: str | None = Field(description="The team member who wrote an outbound message.")

    @classmethod
    def from_proto(cls, message: ingest_pb2.Message) -> MessageOut:
        """From ingest's Message."""
        media = message.media if message.HasField("media") else None
        return cls(
            id=message.id,
            direction=Direction(label(ingest_pb2.Direction, message.direction)),
            actor=Actor(label(ingest_pb2.Actor, message.actor)),
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
    """One entry of the ticket's timeline."""

    id: str = Field(description="The event's id (UUID).")
    type: str = Field(description="What happened, e.g. `message.received`, `visit.confirmed`, `ticket.assigned`.")
    correlation_id: str = Field(description="Always the ticket id.")
    payload: dict[str, Any] = Field(description="Details of what happened.")
    created_at: datetime | None = Field(description="When it happened.")

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
    """A visit offered to the lead."""

    id: str = Field(description="The proposal's id (UUID).")
    ticket_id: str = Field(description="The ticket it belongs to.")
    agent_user_id: str = Field(description="The agent who shows the property.")
    starts_at: datetime | None = Field(description="Start of the visit.")
    duration_minutes: int = Field(description="Length of the visit in minutes.")
    status: ProposalStatus = Field(description="The proposal's state.")
    replaces_proposal_id: str | None = Field(description="The proposal a reschedule replaced.")
    message_to_lead: str = Field(description="The text sent to the lead with the proposal.")
    project_code: str = Field(description="The project to visit.")
    created_at: datetime | None = Field(description="When it was proposed.")

    @classmethod
    def from_proto(cls, proposal: visits_pb2.VisitProposal) -> VisitProposalOut:
        """From visits' VisitProposal."""
        return cls(
            id=proposal.id,
            ticket_id=proposal.ticket_id,
            agent_user_id=proposal.agent_user_id,
            starts_at=when(proposal, "starts_at"),
            duration_minutes=proposal.duration_minutes,
            status=ProposalStatus(label(visits_pb2.ProposalStatus, proposal.status)),
            replaces_proposal_id=proposal.replaces_proposal_id or None,
            message_to_lead=proposal.message_to_lead,
            project_code=proposal.project_code,
            created_at=when(proposal, "created_at"),
        )


class VisitConfirmationOut(BaseModel):
    """Who confirmed a visit, and how."""

    id: str = Field(description="The confirmation's id (UUID).")
    proposal_id: str = Field(description="The confirmed proposal.")
    confirmed_by: str = Field(description="`lead` (tapped the button) or the user who confirmed.")
    channel: str = Field(description="`whatsapp` or `dashboard`.")
    confirmed_at: datetime | None = Field(description="When it was confirmed.")

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
    """A ticket's visits."""

    proposals: list[VisitProposalOut] = Field(description="Every proposal, oldest first.")
    confirmations: list[VisitConfirmationOut] = Field(description="Every confirmation.")
    lead_no_shows: int = Field(0, description="Visits the ticket's lead missed, on any of their tickets.")


class OutboundOut(BaseModel):
    """A reply to the lead and how far its delivery got."""

    id: str = Field(description="The reply's id (UUID).")
    message_id: str = Field(description="Its message in the ticket timeline; empty until it is there.")
    text: str = Field(description="What was sent (a template as `[template name] params`).")
    status: DeliveryStatus = Field(description="Delivery status; it only moves forward.")
    provider_message_id: str = Field(description="The provider's id once it took the reply.")
    error_code: str = Field(description="The provider's error code when failed, e.g. `131047`.")
    error_title: str = Field(description="The provider's error title when failed.")
    attempts: int = Field(description="Send attempts so far.")
    author_user_id: str | None = Field(description="Who wrote it.")
    created_at: datetime | None = Field(description="When it was stored.")
    updated_at: datetime | None = Field(description="When its status last changed.")

    @classmethod
    def from_proto(cls, message: supervisor_pb2.OutboundMessage) -> OutboundOut:
        """From supervisor's OutboundMessage."""
        return cls(
            id=message.id,
            message_id=message.message_id,
            text=message.text,
            status=DeliveryStatus(label(supervisor_pb2.DeliveryStatus, message.status)),
            provider_message_id=message.provider_message_id,
            error_code=message.error_code,
            error_title=message.error_title,
            attempts=message.attempts,
            author_user_id=message.author_user_id or None,
            created_at=when(message, "created_at"),
            updated_at=when(message, "updated_at"),
        )


class TicketDetailOut(BaseModel):
    """One ticket with its whole timeline."""

    ticket: TicketOut = Field(description="The ticket.")
    messages: list[MessageOut] = Field(description="Every message, oldest first.")
    events: list[EventOut] = Field(description="Every event, oldest first.")
    # Left out while the owning service does not implement the call yet.
    visits: VisitsOut | None = Field(None, description="Proposals and confirmations.")
    outbound_messages: list[OutboundOut] | None = Field(None, description="Replies with their delivery status.")


class DeadLetterOut(BaseModel):
    """A webhook payload that could not be routed or read, kept with the reason."""

    id: str = Field(description="The dead letter's id (UUID).")
    source: str = Field(description="Where it came from, e.g. `meta`, `gupshup`.")
    reason: str = Field(description="Why it could not be stored, e.g. `unknown_phone_number_id`.")
    payload: str = Field(description="The part of the webhook body that could not be stored, as received.")
    received_at: datetime | None = Field(description="When it arrived.")

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
    """A page of dead letters."""

    dead_letters: list[DeadLetterOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")

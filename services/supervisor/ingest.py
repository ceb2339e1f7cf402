"""The supervisor's calls to ingest, which owns tickets and the timeline; gRPC errors become domain errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC
from typing import Any, TypeVar

import grpc
from google.protobuf import struct_pb2

from libs.common.clients import ServiceTokens, channel
from libs.common.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.supervisor.models import TicketInfo
from vertice360.ingest.v1 import ingest_pb2 as pb
from vertice360.ingest.v1 import ingest_pb2_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IngestService"].full_name
CHANNELS = {pb.PROVIDER_META: "meta", pb.PROVIDER_GUPSHUP: "gupshup", pb.PROVIDER_MANUAL: "manual"}
ACTORS = {"agent": pb.ACTOR_AGENT, "supervisor": pb.ACTOR_SUPERVISOR, "system": pb.ACTOR_SYSTEM}
T = TypeVar("T")


def _domain_error(exc: grpc.aio.AioRpcError) -> DomainError:
    code, detail = exc.code(), exc.details() or ""
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(detail or "ticket not found", field="ticket_id")
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidArgument(f"ingest refused it: {detail}")
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return FailedPrecondition(f"ingest refused it: {detail}")
    return Unavailable(f"ingest unavailable ({code.name}), retry")


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


class IngestClient:
    """One channel to ingest; every call acts for one tenant with a `service` token and a deadline."""

    def __init__(self, *, target: str, tokens: ServiceTokens, timeout_seconds: float) -> None:
        self._channel = channel(target, retry_services=[SERVICE_NAME])
        self._stub = ingest_pb2_grpc.IngestServiceStub(self._channel)
        self._tokens = tokens
        self._timeout = timeout_seconds

    async def close(self) -> None:
        """Closes the channel."""
        await self._channel.close()

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise _domain_error(exc) from exc

    async def ticket(self, *, tenant: str, ticket_id: uuid.UUID) -> TicketInfo:
        """The lead's phone, the conversation's channel and the last inbound time of a ticket."""
        reply = await self._call(
            self._stub.GetTicket(
                pb.GetTicketRequest(ticket_id=str(ticket_id)),
                metadata=self._tokens.metadata(tenant),
                timeout=self._timeout,
            )
        )
        ticket = reply.ticket
        # Ticket has no channel field; every message of a conversation carries the conversation's channel.
        channel_name = next((CHANNELS[m.provider] for m in reply.messages if m.provider in CHANNELS), "manual")
        last_inbound = ticket.last_inbound_at.ToDatetime(tzinfo=UTC) if ticket.HasField("last_inbound_at") else None
        return TicketInfo(
            id=uuid.UUID(ticket.id),
            phone_e164=ticket.phone_e164,
            channel=channel_name,
            last_inbound_at=last_inbound,
            assignee_user_id=ticket.assignee_user_id,
        )

    async def append_outbound(
        self,
        *,
        tenant: str,
        outbound_id: uuid.UUID,
        ticket_id: uuid.UUID,
        actor: str,
        author_user_id: str,
        kind: str,
        text: str,
        template: dict[str, Any] | None,
        buttons: list[dict[str, str]] | None,
    ) -> uuid.UUID:
        """Stores a reply in the ticket timeline (message + `message.sent` event) once; returns its id."""
        payload: dict[str, Any] = {"outbound_id": str(outbound_id), "kind": kind}
        if template is not None:
            payload["template"] = template
        if buttons:
            payload["buttons"] = buttons
        reply = await self._call(
            self._stub.AppendOutboundMessage(
                pb.AppendOutboundMessageRequest(
                    ticket_id=str(ticket_id),
                    dedupe_key=f"out:{outbound_id}",
                    actor=ACTORS[actor],
                    author_user_id=author_user_id,
                    text=text,
                    type=pb.MESSAGE_TYPE_TEXT,
                    payload=_struct(payload),
                ),
                metadata=self._tokens.metadata(tenant),
                timeout=self._timeout,
            )
        )
        return uuid.UUID(reply.message.id)

    async def update_ticket(
        self,
        *,
        tenant: str,
        ticket_id: uuid.UUID,
        dedupe_key: str,
        event_type: str,
        payload: dict[str, Any],
        assignee_user_id: str,
    ) -> None:
        """Changes the ticket's assignee and appends one event, once per dedupe key."""
        await self._call(
            self._stub.ApplyTicketUpdate(
                pb.ApplyTicketUpdateRequest(
                    ticket_id=str(ticket_id),
                    dedupe_key=dedupe_key,
                    event_type=event_type,
                    event_payload=_struct(payload),
                    assignee_user_id=assignee_user_id,
                ),
                metadata=self._tokens.metadata(tenant),
                timeout=self._timeout,
            )
        )

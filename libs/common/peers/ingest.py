"""The client other processes use to call ingest (tickets, timeline, tenants)."""

from __future__ import annotations

from libs.common.clients import Peer, ServiceTokens
from vertice360.ingest.v1 import ingest_pb2 as pb
from vertice360.ingest.v1 import ingest_pb2_grpc

SERVICE = pb.DESCRIPTOR.services_by_name["IngestService"].full_name


class IngestClient(Peer):
    """Ingest's RPCs for a tenant's service token; failures raise libs.common.errors domain errors."""

    def __init__(self, *, target: str, tokens: ServiceTokens, timeout_seconds: float) -> None:
        super().__init__(target=target, service=SERVICE, tokens=tokens, timeout_seconds=timeout_seconds)
        self._stub = ingest_pb2_grpc.IngestServiceStub(self.channel)

    async def get_tenant(self, tenant: str, *, within: float | None = None) -> pb.Tenant:
        """The tenant's settings (region, time zone)."""
        reply = await self.call(self._stub.GetTenant, pb.GetTenantRequest(), tenant=tenant, within=within)
        return reply.tenant

    async def get_catalog(self, tenant: str, *, within: float | None = None) -> pb.GetCatalogResponse:
        """The tenant's projects and marketing assets."""
        return await self.call(self._stub.GetCatalog, pb.GetCatalogRequest(), tenant=tenant, within=within)

    async def get_ticket(self, tenant: str, ticket_id: str, *, within: float | None = None) -> pb.GetTicketResponse:
        """One ticket with its messages and events."""
        request = pb.GetTicketRequest(ticket_id=ticket_id)
        return await self.call(self._stub.GetTicket, request, tenant=tenant, within=within)

    async def apply_ticket_update(
        self, tenant: str, request: pb.ApplyTicketUpdateRequest
    ) -> pb.ApplyTicketUpdateResponse:
        """Changes a ticket's stage, visit time or assignee with one event, once per dedupe key."""
        return await self.call(self._stub.ApplyTicketUpdate, request, tenant=tenant)

    async def append_outbound_message(
        self, tenant: str, request: pb.AppendOutboundMessageRequest
    ) -> pb.AppendOutboundMessageResponse:
        """Stores a message to the lead in the ticket's timeline, once per dedupe key."""
        return await self.call(self._stub.AppendOutboundMessage, request, tenant=tenant)

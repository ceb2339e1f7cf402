"""In-process fake services for the gateway's HTTP-shape tests (the real services are tested end to end).

They run behind the real ServiceInterceptor, so tokens are verified and DomainErrors become the same
status codes (and `x-error-field` trailers) the real services send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway.backends import INGEST_SERVICE, SUPERVISOR_SERVICE, VISITS_SERVICE
from libs.common.auth import SYSTEM_TENANT, Principal, Role
from libs.common.context import current_principal
from libs.common.errors import InvalidArgument, NotFound, NotImplementedYet, PermissionDenied, Unavailable
from libs.common.interceptors import ServiceInterceptor
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc
from vertice360.visits.v1 import visits_pb2_grpc

AUTH_SECRET = "test-secret-for-the-gateway-0123456789"
SHARED_APP_SECRET = "shared-meta-app-secret"
SHARED_VERIFY_TOKEN = "shared-verify-token"
ACME = ingest_pb2.Tenant(
    slug="acme",
    name="Acme Desarrollos",
    region="AR",
    timezone="America/Argentina/Buenos_Aires",
    meta_phone_number_id="111",
    gupshup_app="AcmeApp",
    meta_app_secret="acme-own-app-secret",
    meta_verify_token="acme-verify-token",
    gupshup_token="acme-gupshup-token",
)
# Beta has no Meta app secret of its own: it uses the shared app.
BETA = ingest_pb2.Tenant(
    slug="beta",
    name="Beta Inmuebles",
    region="AR",
    meta_phone_number_id="222",
    gupshup_token="beta-gupshup-token",
)
# Looks like a phone to the gateway; the fake ingest refuses it as the real one would.
BAD_PHONE = "0000000"


def _stamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _require_service(principal: Principal, *, system: bool = False) -> None:
    principal.require(Role.SERVICE)
    if system and principal.tenant != SYSTEM_TENANT:
        raise PermissionDenied("system tenant needed")


@dataclass
class FakeIngest(ingest_pb2_grpc.IngestServiceServicer):
    """Stores what it is sent; `fail_with` makes IngestMessage fail with UNAVAILABLE."""

    tenants: list[ingest_pb2.Tenant] = field(default_factory=lambda: [ACME, BETA])
    stored: dict[tuple[str, int, str], ingest_pb2.IngestMessageResponse] = field(default_factory=dict)
    inbound: list[tuple[Principal, ingest_pb2.InboundMessage]] = field(default_factory=list)
    dead_letters: list[tuple[Principal, ingest_pb2.RecordDeadLetterRequest]] = field(default_factory=list)
    list_tenants_calls: int = 0
    unavailable: bool = False
    last_list_tickets: ingest_pb2.ListTicketsRequest | None = None
    callers: list[Principal] = field(default_factory=list)

    async def ListTenants(self, request, context):
        _require_service(current_principal(), system=True)
        self.list_tenants_calls += 1
        return ingest_pb2.ListTenantsResponse(tenants=self.tenants)

    async def IngestMessage(self, request, context):
        principal = current_principal()
        self.callers.append(principal)
        if self.unavailable:
            raise Unavailable("database unavailable, retry")
        message = request.message
        if message.from_phone == BAD_PHONE:
            raise InvalidArgument("phone is not a valid number", field="from_phone")
        key = (principal.tenant, message.provider, message.provider_message_id)
        if key in self.stored:
            reply = ingest_pb2.IngestMessageResponse()
            reply.CopyFrom(self.stored[key])
            reply.duplicate = True
            return reply
        self.inbound.append((principal, message))
        reply = ingest_pb2.IngestMessageResponse(
            lead_id=f"lead-{len(self.stored) + 1}",
            conversation_id=f"conv-{len(self.stored) + 1}",
            ticket_id=f"ticket-{len(self.stored) + 1}",
            message_id=str(uuid.uuid4()),
            duplicate=False,
            phone_e164="+" + "".join(ch for ch in message.from_phone if ch.isdigit()),
        )
        self.stored[key] = reply
        return reply

    async def RecordDeadLetter(self, request, context):
        principal = current_principal()
        _require_service(principal, system=True)
        self.dead_letters.append((principal, request))
        return ingest_pb2.RecordDeadLetterResponse(id=f"dl-{len(self.dead_letters)}")

    async def GetCatalog(self, request, context):
        tenant = current_principal().tenant
        return ingest_pb2.GetCatalogResponse(
            projects=[
                ingest_pb2.Project(id=f"p{i}", code=f"P{i}", name=f"Proyecto {i} {tenant}", location="CABA")
                for i in range(1, 4)
            ],
            marketing_assets=[
                ingest_pb2.MarketingAsset(
                    id=f"a{i}", code=f"A{i}", name=f"Aviso {i}", keyword=f"kw{i}", project_code="P1"
                )
                for i in range(1, 4)
            ],
        )

    async def ListTickets(self, request, context):
        self.callers.append(current_principal())
        self.last_list_tickets = request
        now = datetime.now(UTC)
        open_ticket = ingest_pb2.Ticket(
            id="ticket-1",
            lead_id="lead-1",
            lead_name="Juan Pérez",
            phone_e164="+5491155551234",
            project_code="P1",
            project_name="Torre Norte",
            stage="Nuevo",
            last_message_snippet="Hola, quiero info",
            last_message_at=_stamp(now - timedelta(hours=1)),
            last_inbound_at=_stamp(now - timedelta(hours=1)),
            unread_count=2,
            conversation_id="conv-1",
        )
        closed_ticket = ingest_pb2.Ticket(
            id="ticket-2",
            lead_id="lead-2",
            lead_name="Ana",
            phone_e164="+5491166667777",
            stage="Visita confirmada",
            last_message_snippet="[imagen]",
            last_message_at=_stamp(now - timedelta(hours=30)),
            last_inbound_at=_stamp(now - timedelta(hours=30)),
            visit_scheduled_at=_stamp(datetime(2026, 3, 1, 13, 0, tzinfo=UTC)),
            assignee_user_id="u1",
        )
        return ingest_pb2.ListTicketsResponse(tickets=[open_ticket, closed_ticket], next_page_token="cursor-2")

    async def GetTicket(self, request, context):
        if request.ticket_id != "ticket-1":
            raise NotFound("ticket not found", field="ticket_id")
        listed = await self.ListTickets(ingest_pb2.ListTicketsRequest(), context)
        return ingest_pb2.GetTicketResponse(
            ticket=listed.tickets[0],
            messages=[
                ingest_pb2.Message(
                    id="m1",
                    direction=ingest_pb2.DIRECTION_IN,
                    actor=ingest_pb2.ACTOR_LEAD,
                    provider=ingest_pb2.PROVIDER_META,
                    provider_message_id="wamid.1",
                    type=ingest_pb2.MESSAGE_TYPE_IMAGE,
                    text="[imagen] Fachada",
                    media=ingest_pb2.Media(provider_media_id="123", mime_type="image/jpeg", caption="Fachada"),
                    sent_at=_stamp(datetime(2026, 2, 19, 1, 23, 53, tzinfo=UTC)),
                )
            ],
            events=[ingest_pb2.Event(id="e1", type="message_received", correlation_id="ticket-1")],
        )


@dataclass
class FakeSupervisor(supervisor_pb2_grpc.SupervisorServiceServicer):
    """Users and delivery statuses; ListOutboundMessages is not built yet."""

    statuses: list[tuple[Principal, supervisor_pb2.StatusUpdate]] = field(default_factory=list)

    async def ListUsers(self, request, context):
        return supervisor_pb2.ListUsersResponse(
            users=[
                supervisor_pb2.User(
                    id="u1", name="Ana Agente", email="ana@acme.test", role=supervisor_pb2.ROLE_AGENT, active=True
                ),
                supervisor_pb2.User(
                    id="u2",
                    name="Sofía Supervisora",
                    email="sofia@acme.test",
                    role=supervisor_pb2.ROLE_SUPERVISOR,
                    active=True,
                ),
            ]
        )

    async def RecordDeliveryStatuses(self, request, context):
        principal = current_principal()
        _require_service(principal)
        self.statuses.extend((principal, status) for status in request.statuses)
        return supervisor_pb2.RecordDeliveryStatusesResponse(recorded=len(request.statuses))

    async def ListOutboundMessages(self, request, context):
        raise NotImplementedYet("ListOutboundMessages", 5)


class FakeVisits(visits_pb2_grpc.VisitsServiceServicer):
    """Nothing built yet."""

    async def ListVisits(self, request, context):
        raise NotImplementedYet("ListVisits", 4)


@dataclass
class FakeServices:
    """The three fakes on one in-process server."""

    ingest: FakeIngest = field(default_factory=FakeIngest)
    supervisor: FakeSupervisor = field(default_factory=FakeSupervisor)
    visits: FakeVisits = field(default_factory=FakeVisits)
    server: grpc.aio.Server | None = None
    target: str = ""

    async def start(self) -> None:
        """Serves the fakes on a free local port."""
        self.server = grpc.aio.server(
            interceptors=[ServiceInterceptor(auth_secret=AUTH_SECRET, default_deadline_seconds=5.0)]
        )
        ingest_pb2_grpc.add_IngestServiceServicer_to_server(self.ingest, self.server)
        supervisor_pb2_grpc.add_SupervisorServiceServicer_to_server(self.supervisor, self.server)
        visits_pb2_grpc.add_VisitsServiceServicer_to_server(self.visits, self.server)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        for name in ("", INGEST_SERVICE, VISITS_SERVICE, SUPERVISOR_SERVICE):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.target = f"127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stops at once."""
        if self.server is not None:
            await self.server.stop(0)

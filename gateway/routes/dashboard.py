"""The dashboard API the existing front end calls: bootstrap, ticket list, one ticket with its timeline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import grpc
from fastapi import APIRouter, Path, Query

from gateway.deps import AdminCaller, AgentCaller, BackendsDep
from gateway.routes import DEMO_PREFIX
from gateway.schemas.dashboard import (
    BootstrapOut,
    DashboardOut,
    DeadLetterOut,
    DeadLettersOut,
    EventOut,
    MarketingAssetOut,
    MessageOut,
    OutboundOut,
    ProjectOut,
    TicketDetailOut,
    TicketOut,
    UserOut,
    VisitConfirmationOut,
    VisitProposalOut,
    VisitsOut,
)
from gateway.schemas.enums import Stage
from gateway.schemas.errors import error_responses
from libs.common.errors import PermissionDenied
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

router = APIRouter(prefix=DEMO_PREFIX, tags=["dashboard"], responses=error_responses(401, 403, 429))
T = TypeVar("T")
# Postgres text can't hold U+0000: such a filter is a 422 here rather than a 500 from the service.
NO_NUL = r"^[^\x00]*$"


async def _unless_unimplemented(call: Awaitable[T]) -> T | None:
    # Parts owned by services still being built are left out rather than failing the whole page.
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        raise


@router.get(
    "/bootstrap", operation_id="getBootstrap", summary="The tenant's catalog and team", response_model=BootstrapOut
)
async def bootstrap(caller: AgentCaller, backends: BackendsDep) -> BootstrapOut:
    """Projects, marketing assets and users of the caller's tenant."""
    catalog, users = await asyncio.gather(
        backends.ingest.GetCatalog(ingest_pb2.GetCatalogRequest(), **caller.options()),
        backends.supervisor.ListUsers(supervisor_pb2.ListUsersRequest(), **caller.options()),
    )
    return BootstrapOut(
        tenant=caller.principal.tenant,
        projects=[ProjectOut.from_proto(project) for project in catalog.projects],
        marketing_assets=[MarketingAssetOut.from_proto(asset) for asset in catalog.marketing_assets],
        users=[UserOut.from_proto(user) for user in users.users],
    )


@router.get(
    "/dashboard",
    operation_id="listTickets",
    summary="The inbox: tickets, newest activity first",
    response_model=DashboardOut,
    responses=error_responses(422),
)
async def dashboard(
    caller: AgentCaller,
    backends: BackendsDep,
    cliente: Annotated[str, Query(min_length=1, max_length=64, description="Tenant slug; must be the caller's.")],
    stage: Annotated[Stage | None, Query(description="Only tickets at this stage.")] = None,
    project: Annotated[str, Query(max_length=64, pattern=NO_NUL, description="Project code.")] = "",
    assignee: Annotated[str, Query(max_length=64, pattern=NO_NUL, description="Assignee user id.")] = "",
    q: Annotated[str, Query(max_length=128, pattern=NO_NUL, description="Matches lead name or phone.")] = "",
    limit: Annotated[int, Query(ge=1, le=200, description="Tickets per page.")] = 50,
    cursor: Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page.")] = "",
) -> DashboardOut:
    """Tickets of the tenant, newest activity first, filtered and paginated."""
    if cliente != caller.principal.tenant:
        raise PermissionDenied("cliente is not the caller's tenant", field="cliente")
    reply = await backends.ingest.ListTickets(
        ingest_pb2.ListTicketsRequest(
            page_size=limit,
            page_token=cursor,
            stage=stage.value if stage else "",
            project_code=project,
            assignee_user_id=assignee,
            query=q,
        ),
        **caller.options(),
    )
    now = datetime.now(UTC)
    return DashboardOut(
        cliente=cliente,
        tickets=[TicketOut.from_proto(ticket, now=now) for ticket in reply.tickets],
        next_cursor=reply.next_page_token or None,
    )


@router.get(
    "/tickets/{ticket_id}",
    operation_id="getTicket",
    summary="One ticket with its timeline",
    response_model=TicketDetailOut,
    response_model_exclude_unset=True,
    responses=error_responses(400, 404, 422),
)
async def ticket_detail(
    ticket_id: Annotated[str, Path(min_length=1, max_length=64, description="The ticket's id (UUID).")],
    caller: AgentCaller,
    backends: BackendsDep,
) -> TicketDetailOut:
    """One ticket with its messages and events; visits and outbound deliveries when their services have them."""
    detail, visits, outbound = await asyncio.gather(
        backends.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=ticket_id), **caller.options()),
        _unless_unimplemented(
            backends.visits.ListVisits(visits_pb2.ListVisitsRequest(ticket_id=ticket_id), **caller.options())
        ),
        _unless_unimplemented(
            backends.supervisor.ListOutboundMessages(
                supervisor_pb2.ListOutboundMessagesRequest(ticket_id=ticket_id), **caller.options()
            )
        ),
    )
    result = TicketDetailOut(
        ticket=TicketOut.from_proto(detail.ticket, now=datetime.now(UTC)),
        messages=[MessageOut.from_proto(message) for message in detail.messages],
        events=[EventOut.from_proto(event) for event in detail.events],
    )
    if visits is not None:
        result.visits = VisitsOut(
            proposals=[VisitProposalOut.from_proto(proposal) for proposal in visits.proposals],
            confirmations=[VisitConfirmationOut.from_proto(item) for item in visits.confirmations],
            lead_no_shows=visits.lead_no_shows,
        )
    if outbound is not None:
        result.outbound_messages = [OutboundOut.from_proto(message) for message in outbound.messages]
    return result


@router.get(
    "/dead_letters",
    operation_id="listDeadLetters",
    summary="Webhook parts that could not be stored",
    response_model=DeadLettersOut,
    responses=error_responses(400, 422),
)
async def dead_letters(
    caller: AdminCaller,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Dead letters per page.")] = 50,
    cursor: Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page.")] = "",
) -> DeadLettersOut:
    """Webhook payloads of the caller's tenant that could not be stored, newest first (admins)."""
    reply = await backends.ingest.ListDeadLetters(
        ingest_pb2.ListDeadLettersRequest(page_size=limit, page_token=cursor), **caller.options()
    )
    return DeadLettersOut(
        dead_letters=[DeadLetterOut.from_proto(d) for d in reply.dead_letters],
        next_cursor=reply.next_page_token or None,
    )

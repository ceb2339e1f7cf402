"""The inbox: tickets with filters, search, keyset paging and the stage funnel."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from console.deps import User, UserDep
from console.views import STAGE_CLASS, STAGE_SHORT, STAGES, Viewer, ticket_view
from vertice360.ingest.v1 import ingest_pb2

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
NO_NUL = r"^[^\x00]*$"
WINDOWS = {
    "": ingest_pb2.WINDOW_FILTER_UNSPECIFIED,
    "open": ingest_pb2.WINDOW_FILTER_OPEN,
    "closed": ingest_pb2.WINDOW_FILTER_CLOSED,
}


class BadFilter(ValueError):
    """A filter value the inbox does not know."""


@dataclass(frozen=True, slots=True)
class InboxFilters:
    """What the inbox is narrowed to, as in its URL."""

    stage: str = ""
    project: str = ""
    assignee: str = ""
    q: str = ""
    unread: bool = False
    window: str = ""
    order: str = ""

    def query(self, **extra: str) -> str:
        """The filters as a URL query (empty values left out)."""
        values: dict[str, str] = {
            "stage": self.stage,
            "project": self.project,
            "assignee": self.assignee,
            "q": self.q,
            "unread": "1" if self.unread else "",
            "window": self.window,
            "order": self.order,
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def waiting_first(self) -> bool:
        return self.order == "waiting"

    @property
    def active(self) -> bool:
        return any((self.stage, self.project, self.assignee, self.q, self.unread, self.window, self.order))

    def matches(self, ticket: ingest_pb2.Ticket, *, window_open: bool) -> bool:
        """Whether a ticket belongs in this list (what ListTickets would answer), for live updates."""
        if self.stage and ticket.stage != self.stage:
            return False
        if self.project and ticket.project_code != self.project:
            return False
        if self.assignee and ticket.assignee_user_id != self.assignee:
            return False
        waiting = ticket.HasField("waiting_since")
        if (self.unread or self.waiting_first) and not waiting:
            return False
        if self.window and window_open != (self.window == "open"):
            return False
        needle = self.q.strip().casefold()
        return not needle or needle in ticket.lead_name.casefold() or needle in ticket.phone_e164

    def request(self, *, cursor: str = "", page_size: int = PAGE_SIZE) -> ingest_pb2.ListTicketsRequest:
        """The ListTickets call for this page."""
        return ingest_pb2.ListTicketsRequest(
            page_size=page_size,
            page_token=cursor,
            stage=self.stage,
            project_code=self.project,
            assignee_user_id=self.assignee,
            query=self.q.strip(),
            unread_only=self.unread,
            window=WINDOWS[self.window],
            order=ingest_pb2.TICKET_ORDER_WAITING if self.waiting_first else ingest_pb2.TICKET_ORDER_UNSPECIFIED,
        )


def inbox_filters(
    stage: Annotated[str, Query(max_length=64)] = "",
    project: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
    assignee: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
    q: Annotated[str, Query(max_length=128, pattern=NO_NUL)] = "",
    unread: Annotated[str, Query(max_length=1)] = "",
    window: Annotated[str, Query(max_length=8)] = "",
    order: Annotated[str, Query(max_length=8)] = "",
) -> InboxFilters:
    """The filters of the URL; unknown values are dropped rather than refused (a stale bookmark still opens)."""
    return InboxFilters(
        stage=stage if stage in STAGES else "",
        project=project,
        assignee=assignee,
        q=q,
        unread=unread == "1",
        window=window if window in WINDOWS else "",
        order=order if order == "waiting" else "",
    )


FiltersDep = Annotated[InboxFilters, Depends(inbox_filters)]


def funnel_view(counts: ingest_pb2.CountTicketsResponse, filters: InboxFilters) -> dict[str, Any]:
    """The funnel strip: each stage with its count and the link that filters by it."""
    by_stage = {c.stage: c.count for c in counts.stages}
    return {
        "stages": [
            {
                "name": stage,
                "short": STAGE_SHORT[stage],
                "count": by_stage.get(stage, 0),
                "css": STAGE_CLASS[stage],
                "active": filters.stage == stage,
                "href": "/inbox?" + replace(filters, stage="" if filters.stage == stage else stage).query(),
            }
            for stage in STAGES
        ],
        "waiting": counts.waiting,
        "total": sum(by_stage.values()),
    }


async def count_tickets(user: User, filters: InboxFilters) -> ingest_pb2.CountTicketsResponse:
    """The funnel counts, for the project and assignee the inbox is narrowed to."""
    return await user.console.backends.ingest.CountTickets(
        ingest_pb2.CountTicketsRequest(project_code=filters.project, assignee_user_id=filters.assignee),
        **user.options(),
    )


async def inbox_context(user: User, filters: InboxFilters, *, ticket_id: str = "") -> dict[str, Any]:
    """Everything the inbox column shows, with the live feed's position read before the data."""
    position = await user.console.hub.position(user.tenant)
    backends = user.console.backends
    page, counts, catalog, members, viewer = await asyncio.gather(
        backends.ingest.ListTickets(filters.request(), **user.options()),
        count_tickets(user, filters),
        backends.ingest.GetCatalog(ingest_pb2.GetCatalogRequest(), **user.options()),
        user.console.team.members(user.tenant),
        user.viewer(),
    )
    return {
        "rows": [ticket_view(ticket, viewer) for ticket in page.tickets],
        "next_url": _next_url(filters, page.next_page_token, ticket_id),
        "funnel": funnel_view(counts, filters),
        "filters": filters,
        "projects": list(catalog.projects),
        "members": sorted((m for m in members.values() if m.active), key=lambda m: m.name),
        "feed_url": feed_url(filters, ticket_id=ticket_id, after=position),
        "selected": ticket_id,
        "me": user.session.user_id,
    }


def feed_url(filters: InboxFilters, *, ticket_id: str, after: str) -> str:
    """The page's live feed: what it shows (filters, open ticket) and where it resumes from."""
    return "/feed?" + filters.query(ticket=ticket_id, after=after)


def _next_url(filters: InboxFilters, cursor: str, ticket_id: str) -> str:
    return "/inbox/rows?" + filters.query(cursor=cursor, ticket=ticket_id) if cursor else ""


def page_context(request: Request, user: User, **values: Any) -> dict[str, Any]:
    """What every full page's layout needs: the user, their CSRF token, the active section."""
    return {"session": user.session, "csrf": user.session.csrf, "path": request.url.path, **values}


@router.get("/inbox")
async def inbox_page(request: Request, user: UserDep, filters: FiltersDep) -> Response:
    """The inbox page (on a wide screen, with an empty conversation pane beside it)."""
    context = await inbox_context(user, filters)
    return user.console.templates.TemplateResponse(request, "inbox.html", page_context(request, user, **context))


@router.get("/inbox/list")
async def inbox_list(request: Request, user: UserDep, filters: FiltersDep, ticket: str = "") -> Response:
    """The inbox column for new filters (the filter form swaps it in and pushes the URL)."""
    context = await inbox_context(user, filters, ticket_id=ticket[:64])
    return user.console.templates.TemplateResponse(request, "_inbox.html", page_context(request, user, **context))


@router.get("/inbox/rows")
async def inbox_rows(
    request: Request,
    user: UserDep,
    filters: FiltersDep,
    cursor: Annotated[str, Query(max_length=512)] = "",
    ticket: str = "",
) -> Response:
    """The next page of rows (the "Cargar más" button)."""
    viewer: Viewer
    page, viewer = await asyncio.gather(
        user.console.backends.ingest.ListTickets(filters.request(cursor=cursor), **user.options()), user.viewer()
    )
    return user.console.templates.TemplateResponse(
        request,
        "_rows.html",
        {
            "rows": [ticket_view(t, viewer) for t in page.tickets],
            "next_url": _next_url(filters, page.next_page_token, ticket[:64]),
            "filters": filters,
            "selected": ticket[:64],
            "me": user.session.user_id,
        },
    )


@router.get("/inbox/funnel")
async def inbox_funnel(request: Request, user: UserDep, filters: FiltersDep) -> Response:
    """The funnel strip alone (refreshed after a reload)."""
    counts = await count_tickets(user, filters)
    return user.console.templates.TemplateResponse(
        request, "_funnel.html", {"funnel": funnel_view(counts, filters), "filters": filters}
    )

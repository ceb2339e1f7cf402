"""What a page shows of each live change: the HTML fragments pushed over its feed, rendered once per view.

Fragments are plain elements the page's script applies (console/static/console.js): an element with an id
replaces the one on the page (or goes into `data-into` at `data-at` when it is new), `data-remove` takes a
row out, `data-refresh` makes a region reload itself, `data-resync` reloads every live region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from markupsafe import escape

from console.feed import FeedItem
from console.routes.inbox import InboxFilters
from console.views import Viewer, apply_delivery, event_entry, message_entry, ticket_view
from vertice360.ingest.v1 import ingest_pb2

MESSAGE_EVENTS = {"message.received", "message.sent"}
# Events after which the funnel's counts may differ (a first message makes a new ticket).
COUNTING_EVENTS = {
    "message.received",
    "stage.changed",
    "ticket.reopened",
    "ticket.visit_done",
    "ticket.won",
    "ticket.lost",
}
RESYNC = '<div hidden data-resync="1"></div>'
SIGN_OUT = '<div hidden data-signout="1"></div>'
OUTCOME_REFRESH = '<div hidden data-refresh="ticket-outcome" data-unless="stage:{stage}"></div>'


@dataclass(frozen=True, slots=True)
class PageView:
    """What one open page shows: the inbox list with its filters, and maybe one ticket."""

    filters: InboxFilters
    ticket_id: str

    @property
    def funnel_key(self) -> tuple[str, str]:
        return (self.filters.project, self.filters.assignee)


def render(item: FeedItem, view: PageView, viewer: Viewer, env: Environment) -> str:
    """The fragments of `item` for `view` (empty when it shows nothing of it), cached on the item."""
    parts = [_cached(item, ("list", view.filters), lambda: _list_part(item, view.filters, viewer, env))]
    if view.ticket_id:
        parts.append(_cached(item, ("ticket", view.ticket_id), lambda: _ticket_part(item, view.ticket_id, viewer, env)))
    return "".join(parts)


def _cached(item: FeedItem, key: Any, build: Any) -> str:
    html = item.rendered.get(key)
    if html is None:
        html = item.rendered[key] = build()
    return html


def _list_part(item: FeedItem, filters: InboxFilters, viewer: Viewer, env: Environment) -> str:
    change = item.change
    if change is None:
        return ""
    row = ticket_view(change.ticket, viewer)
    if not filters.matches(change.ticket, window_open=row.window_open):
        return f'<div hidden data-remove="row-{row.id}"></div>'
    fresh = change.event.type in MESSAGE_EVENTS
    if filters.waiting_first:
        place = {"into": "#rows", "at": "bottom"} if change.event.type == "message.received" else {}
    else:
        place = {"into": "#rows", "at": "top", "move": "1"} if fresh else {}
    return env.get_template("_row.html").render(row=row, place=place, filters=filters, selected="", live=True)


def _ticket_part(item: FeedItem, ticket_id: str, viewer: Viewer, env: Environment) -> str:
    if item.delivery is not None:
        delivery = item.delivery
        if delivery.ticket_id != ticket_id or not delivery.message_id:
            return ""
        entry = message_entry(ingest_pb2.Message(id=delivery.message_id, direction=ingest_pb2.DIRECTION_OUT), viewer)
        apply_delivery(entry, delivery)
        return env.get_template("_tick.html").render(entry=entry)
    change = item.change
    if change is None or change.ticket.id != ticket_id:
        return ""
    ticket = ticket_view(change.ticket, viewer)
    parts = [env.get_template("_ticket_head.html").render(ticket=ticket, live=True)]
    if change.HasField("message"):
        entry = message_entry(change.message, viewer)
        parts.append(env.get_template("_entry.html").render(entry=entry, place={"into": "#timeline", "at": "bottom"}))
    elif (entry := event_entry(change.event, viewer)) is not None:
        parts.append(env.get_template("_entry.html").render(entry=entry, place={"into": "#timeline", "at": "bottom"}))
    if change.event.type.startswith("visit."):
        parts.append('<div hidden data-refresh="visit-card"></div>')
    state = "open" if ticket.window_open else "closed"
    parts.append(f'<div hidden data-refresh="reply-box" data-unless="window:{state}"></div>')
    parts.append(OUTCOME_REFRESH.format(stage=escape(ticket.stage)))
    return "".join(parts)

"""GET /feed: a page's live updates as Server-Sent Events, resumable with Last-Event-ID.

Written as a plain streaming response rather than through an SSE library: what piled up while the
connection was busy leaves in one write (100 changes a second to 200 pages is 20,000 events a second
otherwise), and the event format is five lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from jinja2 import Environment

from console.deps import UserDep
from console.feed import FeedItem, Funnel, Listener, Resync
from console.live import RESYNC, SIGN_OUT, PageView, render
from console.routes.inbox import FiltersDep, InboxFilters, funnel_view
from console.sessions import SESSION_COOKIE

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
PING_SECONDS = 15.0
RETRY_MS = 2000


def funnel_html(funnel: Funnel, filters: InboxFilters, env: Environment) -> str:
    """The funnel strip for these filters, rendered once however many pages show it."""
    html = funnel.rendered.get(filters)
    if html is None:
        html = funnel.rendered[filters] = env.get_template("_funnel.html").render(
            funnel=funnel_view(funnel.counts, filters), live=True
        )
    return html


def sse(html: str, *, event_id: str = "") -> str:
    """One SSE event named `v360`; `html` may span lines. An event with only an id moves Last-Event-ID."""
    lines = [f"id: {event_id}"] if event_id else []
    if html:
        lines.append("event: v360")
        lines += [f"data: {line}" for line in html.splitlines() or [""]]
    elif not event_id:
        return ""
    else:
        lines.append("data:")
    return "\n".join(lines) + "\n\n"


@router.get("/feed")
async def feed(
    request: Request, user: UserDep, filters: FiltersDep, ticket: str = "", after: str = ""
) -> StreamingResponse:
    """The page's live changes: its rows, its open ticket, the funnel; `after` is where the page's data was read."""
    app = user.console
    view = PageView(filters=filters, ticket_id=ticket[:64])
    resume = request.headers.get("last-event-id") or after[:64]
    listener = Listener(funnel_key=view.funnel_key)
    env = app.templates.env
    session_id = request.cookies.get(SESSION_COOKIE)

    async def still_signed_in() -> bool:
        session = await app.sessions.get(session_id)
        return session is not None and await app.team.active(user.tenant, user.session.user_id) is not None

    async def events() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        async with app.hub.listen(user.tenant, listener) as tenant_feed:
            # Registered first, then the replay read with no await between: every change is in exactly one of them.
            replay = tenant_feed.replay_after(resume)
            sent = tenant_feed.seq
            if replay is None:
                yield sse(RESYNC, event_id=tenant_feed.position)
                replay = []
            loop = asyncio.get_running_loop()
            checked = loop.time()
            backlog: list[FeedItem | Resync | Funnel] = list(replay)
            fresh = len(backlog)
            while True:
                if not backlog:
                    try:
                        backlog.append(await asyncio.wait_for(listener.queue.get(), PING_SECONDS))
                    except TimeoutError:
                        yield ": ping\n\n"
                while not listener.queue.empty():
                    backlog.append(listener.queue.get_nowait())
                if loop.time() - checked >= app.settings.user_check_seconds:
                    checked = loop.time()
                    if not await still_signed_in():
                        yield sse(SIGN_OUT)
                        return
                if not backlog:
                    continue
                viewer = await user.viewer()
                chunk: list[str] = []
                for index, item in enumerate(backlog):
                    if isinstance(item, Resync):
                        sent = 0
                        chunk.append(sse(RESYNC, event_id=tenant_feed.position))
                    elif isinstance(item, Funnel):
                        chunk.append(sse(funnel_html(item, filters, env)))
                    elif index < fresh or item.seq > sent:
                        sent = max(sent, item.seq)
                        chunk.append(sse(render(item, view, viewer, env), event_id=f"{tenant_feed.epoch}.{item.seq}"))
                if fresh:
                    # The counts may have moved while this page was away.
                    tenant_feed.schedule_funnel()
                backlog.clear()
                fresh = 0
                yield "".join(chunk)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

"""The live feed: one upstream subscription per tenant to the services' change streams, fanned out to pages.

Each tenant with an open page has one `TenantFeed`: it holds ingest's WatchChanges and supervisor's
WatchDeliveries streams, numbers what arrives (`<epoch>.<seq>`, the SSE event id) and keeps the last
changes to replay to a page that reconnects with `Last-Event-ID`. A page whose position the feed can't
replay (another epoch: the console restarted, or an upstream stream broke and changes may be lost) is told
to reload what it shows instead. Pages render what they need from each change themselves (`console/live.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from console.backends import Backends
from console.metrics import LIVE_EVENTS, LIVE_PAGES, RESYNCS
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

log = logging.getLogger(__name__)
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
# Changes within this long share one read of the stage counts.
FUNNEL_DELAY_SECONDS = 0.3
# Events after which the funnel's counts may differ (a first message makes a new ticket).
COUNTING_EVENTS = frozenset(
    {"message.received", "stage.changed", "ticket.reopened", "ticket.visit_done", "ticket.won", "ticket.lost"}
)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One change as the feed numbered it: a ticket change (ingest) or a delivery change (supervisor)."""

    seq: int
    change: ingest_pb2.WatchChangesResponse | None = None
    delivery: supervisor_pb2.OutboundMessage | None = None
    # What pages rendered from it, by view key: rendered once however many pages show the same view.
    rendered: dict[Any, str] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class Funnel:
    """Stage counts read once for every page of a tenant with the same (project, assignee), and their HTML."""

    key: tuple[str, str]
    counts: ingest_pb2.CountTicketsResponse
    rendered: dict[Any, str] = field(default_factory=dict)


class Resync:
    """Tells a page that changes may have been missed: reload what it shows."""


class UpstreamEnded(Exception):
    """A change stream ended without an error; changes after it would be missed."""


@dataclass(eq=False)
class Listener:
    """One open page."""

    queue: asyncio.Queue[FeedItem | Resync | Funnel] = field(default_factory=lambda: asyncio.Queue(maxsize=5000))
    funnel_key: tuple[str, str] = ("", "")

    def offer(self, item: FeedItem | Resync | Funnel) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too far behind to catch up item by item: drop the backlog, reload instead.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Resync())


class TenantFeed:
    """The upstream streams of one tenant, a replay buffer and the pages listening."""

    def __init__(self, tenant: str, *, backends: Backends, replay_size: int) -> None:
        self.tenant = tenant
        self.backends = backends
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.buffer: deque[FeedItem] = deque(maxlen=replay_size)
        self.listeners: set[Listener] = set()
        self.ready = asyncio.Event()
        self.holders = 0
        self.task: asyncio.Task[None] | None = None
        self.release_handle: asyncio.TimerHandle | None = None
        self._funnel_task: asyncio.Task[None] | None = None
        self._funnel_again = False

    @property
    def position(self) -> str:
        """The id of the last change numbered, as a page resumes from it."""
        return f"{self.epoch}.{self.seq}"

    def replay_after(self, position: str | None) -> list[FeedItem] | None:
        """The changes after `position`, or None when they can't all be replayed (reload instead)."""
        if not position:
            return []
        epoch, _, seq_text = position.partition(".")
        if epoch != self.epoch or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if seq > self.seq:
            return None
        oldest = self.buffer[0].seq if self.buffer else self.seq + 1
        if seq < oldest - 1:
            return None
        return [item for item in self.buffer if item.seq > seq]

    def schedule_funnel(self) -> None:
        """Reads the stage counts again shortly (once for however many changes come meanwhile) and pushes them."""
        if self._funnel_task is None or self._funnel_task.done():
            self._funnel_task = asyncio.create_task(self._refresh_funnels())
        else:
            self._funnel_again = True

    async def _refresh_funnels(self) -> None:
        while True:
            self._funnel_again = False
            await asyncio.sleep(FUNNEL_DELAY_SECONDS)
            for key in {listener.funnel_key for listener in self.listeners}:
                project, assignee = key
                try:
                    counts = await self.backends.ingest.CountTickets(
                        ingest_pb2.CountTicketsRequest(project_code=project, assignee_user_id=assignee),
                        **self.backends.as_service(self.tenant),
                    )
                except grpc.aio.AioRpcError as exc:
                    log.warning("live feed of %s: funnel not read (%s)", self.tenant, exc.code().name)
                    continue
                update = Funnel(key=key, counts=counts)
                for listener in list(self.listeners):
                    if listener.funnel_key == key:
                        listener.offer(update)
            if not self._funnel_again:
                return

    def _publish(self, *, change: Any = None, delivery: Any = None) -> None:
        LIVE_EVENTS.labels("ingest" if change is not None else "supervisor").inc()
        self.seq += 1
        item = FeedItem(seq=self.seq, change=change, delivery=delivery)
        self.buffer.append(item)
        if change is not None and (change.event.type in COUNTING_EVENTS or change.event.type.startswith("visit.")):
            self.schedule_funnel()
        for listener in list(self.listeners):
            listener.offer(item)

    def _break(self) -> None:
        # Changes may be lost while the streams are down: a new epoch, and every page reloads.
        self.ready.clear()
        self.epoch = secrets.token_hex(4)
        self.seq = 0
        self.buffer.clear()
        RESYNCS.inc(len(self.listeners))
        for listener in list(self.listeners):
            listener.offer(Resync())

    async def run(self) -> None:
        """Holds both streams open, reconnecting after a failure, until cancelled."""
        attempt = 0
        while True:
            try:
                await self._stream()
            except* (grpc.aio.AioRpcError, UpstreamEnded) as group:
                log.warning("live feed of %s: upstream ended (%s); reconnecting", self.tenant, group.exceptions[0])
            except* Exception:
                log.exception("live feed of %s failed; reconnecting", self.tenant)
            self._break()
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt = 0 if self.seq else attempt + 1

    async def _stream(self) -> None:
        options = {"metadata": self.backends.tokens.metadata(self.tenant)}
        changes = self.backends.ingest.WatchChanges(ingest_pb2.WatchChangesRequest(), **options)
        deliveries = self.backends.supervisor.WatchDeliveries(supervisor_pb2.WatchDeliveriesRequest(), **options)
        try:
            changes_iter, deliveries_iter = aiter(changes), aiter(deliveries)
            # Both listen before the feed says it is ready: nothing committed after that is missed.
            first_change, first_delivery = await asyncio.gather(anext(changes_iter), anext(deliveries_iter))
            if not (first_change.ready and first_delivery.ready):
                raise RuntimeError("an upstream stream did not start with its ready message")
            self.ready.set()

            async def pump_changes() -> None:
                async for change in changes_iter:
                    self._publish(change=change)
                raise UpstreamEnded("WatchChanges ended")

            async def pump_deliveries() -> None:
                async for delivery in deliveries_iter:
                    self._publish(delivery=delivery.message)
                raise UpstreamEnded("WatchDeliveries ended")

            async with asyncio.TaskGroup() as group:
                group.create_task(pump_changes())
                group.create_task(pump_deliveries())
        finally:
            changes.cancel()
            deliveries.cancel()


class FeedHub:
    """Every tenant's feed in this process, opened on first use and closed a while after the last page left."""

    def __init__(self, *, backends: Backends, replay_size: int, linger_seconds: float) -> None:
        self.backends = backends
        self.replay_size = replay_size
        self.linger = linger_seconds
        self.feeds: dict[str, TenantFeed] = {}

    def _feed(self, tenant: str) -> TenantFeed:
        feed = self.feeds.get(tenant)
        if feed is None:
            feed = TenantFeed(tenant, backends=self.backends, replay_size=self.replay_size)
            feed.task = asyncio.create_task(feed.run(), name=f"feed-{tenant}")
            self.feeds[tenant] = feed
        return feed

    def _hold(self, feed: TenantFeed) -> None:
        feed.holders += 1
        if feed.release_handle is not None:
            feed.release_handle.cancel()
            feed.release_handle = None

    def _release(self, feed: TenantFeed) -> None:
        feed.holders -= 1
        if feed.holders <= 0:
            loop = asyncio.get_running_loop()
            feed.release_handle = loop.call_later(self.linger, self._close_idle, feed)

    def _close_idle(self, feed: TenantFeed) -> None:
        if feed.holders <= 0 and self.feeds.get(feed.tenant) is feed:
            del self.feeds[feed.tenant]
            if feed.task is not None:
                feed.task.cancel()

    async def position(self, tenant: str, *, within: float = 2.0) -> str:
        """Opens the tenant's feed (if needed) and returns its position: read before the data a page shows."""
        feed = self._feed(tenant)
        self._hold(feed)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await feed.ready.wait()
        finally:
            self._release(feed)
        return feed.position if feed.ready.is_set() else ""

    @contextlib.asynccontextmanager
    async def listen(self, tenant: str, listener: Listener) -> AsyncIterator[TenantFeed]:
        """Registers a page on its tenant's feed for the duration of the block."""
        feed = self._feed(tenant)
        self._hold(feed)
        feed.listeners.add(listener)
        LIVE_PAGES.inc()
        try:
            yield feed
        finally:
            LIVE_PAGES.dec()
            feed.listeners.discard(listener)
            self._release(feed)

    async def close(self) -> None:
        """Stops every feed."""
        for feed in list(self.feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task
        self.feeds.clear()

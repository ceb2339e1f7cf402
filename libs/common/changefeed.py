"""A service's committed changes, fanned out to live readers: Postgres LISTEN/NOTIFY behind WatchX streams.

A trigger in the owning schema sends `pg_notify(channel, "tenant ticket_id row_id")` in the transaction that
writes the change, so a notice arrives only once the change is committed, in commit order. One listening
connection per process reads them; each batch is loaded once (only for tenants someone watches) and handed
to every subscriber of that tenant. A subscriber that falls behind, or every subscriber when the listening
connection drops, gets `FeedGap`: what it shows may have missed a change, so it reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import psycopg
from psycopg import sql

from libs.common.db import libpq_url
from libs.common.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
RECONNECT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: the tenant, the ticket and the id of the changed row."""

    tenant: str
    ticket_id: str
    row_id: str

    @classmethod
    def parse(cls, payload: str) -> Notice | None:
        """The notice in `payload`, or None when it is not three space-separated fields."""
        parts = payload.split(" ")
        return cls(*parts) if len(parts) == 3 and all(parts) else None


class FeedGap(Unavailable):
    """The subscriber may have missed changes (it fell behind, or the feed lost its connection)."""


@dataclass(eq=False)
class Subscription(Generic[T]):
    """The changes of one tenant for one reader, in commit order."""

    tenant: str
    queue: asyncio.Queue[T | FeedGap] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def offer(self, item: T | FeedGap) -> bool:
        """Queues `item`; False (and a gap queued instead) when the reader is too far behind."""
        try:
            self.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(FeedGap("change feed: this reader fell behind"))
            return False

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            item = await self.queue.get()
            if isinstance(item, FeedGap):
                raise item
            yield item


Loader = Callable[[Sequence[Notice]], Awaitable[Sequence[tuple[str, T]]]]


class ChangeFeed(Generic[T]):
    """Listens on one channel and hands each loaded change to the subscribers of its tenant."""

    def __init__(self, *, database_url: str, channel: str, load: Loader[T], name: str) -> None:
        self._url = libpq_url(database_url)
        self._channel = channel
        self._load = load
        self._name = name
        self._subscribers: dict[str, set[Subscription[T]]] = {}
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts listening in the background (reconnecting for ever until `stop`)."""
        self._task = asyncio.create_task(self._run(), name=f"changefeed-{self._name}")

    async def stop(self) -> None:
        """Stops listening; open subscriptions end with a gap."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._interrupt("change feed stopped")

    @contextlib.asynccontextmanager
    async def subscribe(self, tenant: str, *, within: float = 5.0) -> AsyncIterator[Subscription[T]]:
        """A subscription that receives every change committed after this returns; Unavailable if not listening."""
        try:
            async with asyncio.timeout(within):
                await self._listening.wait()
        except TimeoutError as exc:
            raise Unavailable("change feed is not listening to the database, retry") from exc
        subscription: Subscription[T] = Subscription(tenant=tenant)
        self._subscribers.setdefault(tenant, set()).add(subscription)
        try:
            yield subscription
        finally:
            readers = self._subscribers.get(tenant, set())
            readers.discard(subscription)
            if not readers:
                self._subscribers.pop(tenant, None)

    def _interrupt(self, reason: str) -> None:
        self._listening.clear()
        for readers in self._subscribers.values():
            for subscription in readers:
                subscription.offer(FeedGap(reason))

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except* (psycopg.Error, OSError) as group:
                reason = type(group.exceptions[0]).__name__
                log.warning("change feed %s: database connection lost (%s); reconnecting", self._name, reason)
            except* Exception:
                log.exception("change feed %s failed; reconnecting", self._name)
            self._interrupt("change feed lost its database connection")
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, application_name=f"{self._name}-changefeed"
        ) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            pending: asyncio.Queue[Notice] = asyncio.Queue()
            self._listening.set()
            # A failed load ends the group, and so the connection: every subscriber then learns of the gap.
            async with asyncio.TaskGroup() as group:
                group.create_task(self._deliver(pending))
                async for notify in conn.notifies():
                    notice = Notice.parse(notify.payload)
                    if notice is not None and notice.tenant in self._subscribers:
                        pending.put_nowait(notice)

    async def _deliver(self, pending: asyncio.Queue[Notice]) -> None:
        # What arrives while one batch loads is loaded as the next batch: one query per batch, not per change.
        while True:
            batch = [await pending.get()]
            while not pending.empty():
                batch.append(pending.get_nowait())
            for tenant, item in await self._load(batch):
                for subscription in list(self._subscribers.get(tenant, ())):
                    subscription.offer(item)

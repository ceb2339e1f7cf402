"""Group commit of inbound messages: concurrent ingests share one transaction, each answered after it commits."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from prometheus_client import Histogram

from services.ingest.models import InboundRow
from services.ingest.repository import Repository

log = logging.getLogger(__name__)
BATCH_SIZE = Histogram(
    "v360_ingest_write_batch_messages",
    "Inbound messages committed together in one transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)


@dataclass(slots=True)
class _Pending:
    row: InboundRow
    done: asyncio.Future[dict[str, Any]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    # The caller's trace: a batch's statements join the trace of its first message.
    trace: otel_context.Context = field(default_factory=otel_context.get_current)


class InboundWriter:
    """Stores inbound messages in batches: whatever arrives while a batch commits goes into the next one.

    Nothing waits on a timer: a lone message is written at once, and under load the batches grow by
    themselves, so one commit (one WAL flush) covers many messages. Every caller gets its answer only
    after its transaction has committed. A batch that fails is written again one message at a time,
    so one bad message fails alone.
    """

    def __init__(self, repository: Repository, *, max_batch: int, writers: int) -> None:
        self.repository = repository
        self.max_batch = max_batch
        self.writers = writers
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Starts the writer tasks."""
        self._tasks = [asyncio.create_task(self._work(), name=f"ingest-writer-{n}") for n in range(self.writers)]

    async def stop(self) -> None:
        """Writes whatever is queued, then stops the writer tasks."""
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def store(self, row: InboundRow) -> dict[str, Any]:
        """Stores one message once it is committed: its ids and whether it was stored before."""
        if not self._tasks:
            raise RuntimeError("the inbound writer is not running")
        pending = _Pending(row)
        pending.done.add_done_callback(_retrieve)
        self._queue.put_nowait(pending)
        # A caller that goes away does not take its message out of the batch: the row is written anyway.
        return await asyncio.shield(pending.done)

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            token = otel_context.attach(batch[0].trace)
            try:
                await self._write(batch)
            finally:
                otel_context.detach(token)
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[_Pending]) -> None:
        BATCH_SIZE.observe(len(batch))
        try:
            results = await self.repository.store_inbound([pending.row for pending in batch])
        except Exception as exc:
            # Each message is written again alone and fails, if at all, with its own error.
            if len(batch) == 1:
                _settle(batch[0], error=exc)
                return
            log.warning(
                "a batch of %d inbound messages failed (%s); writing them one by one", len(batch), type(exc).__name__
            )
            for pending in batch:
                await self._write([pending])
            return
        for pending, result in zip(batch, results, strict=True):
            _settle(pending, result=result)


def _retrieve(done: asyncio.Future[dict[str, Any]]) -> None:
    # Marks an error as seen even when its caller is gone, so asyncio does not report it as lost.
    if not done.cancelled():
        done.exception()


def _settle(pending: _Pending, *, result: dict[str, Any] | None = None, error: BaseException | None = None) -> None:
    if pending.done.done():
        return
    if error is not None:
        pending.done.set_exception(error)
    else:
        pending.done.set_result(result or {})

"""Inbound messages to ingest in batches: what arrives while calls are out goes together in the next call."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import grpc

from libs.common.server import MAX_RECEIVE_BYTES
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

CODES = {code.value[0]: code for code in grpc.StatusCode}
# What ingest takes in one IngestMessages call (see ingest.proto).
MAX_BATCH = 500
# Calls out at once per tenant before messages start to queue for the next call.
MAX_CALLS = 1
# A call stays under the services' receive limit (with room for the envelope); the rest waits for the next one.
MAX_CALL_BYTES = MAX_RECEIVE_BYTES - 64 * 1024
Pending = tuple[ingest_pb2.InboundMessage, "asyncio.Future[ingest_pb2.IngestMessageResponse]"]


class InboundBatcher:
    """One `IngestMessages` call per batch and tenant, at most `max_calls` at a time per tenant.

    Nothing waits on a timer: while fewer than `max_calls` calls are out a message leaves at once,
    and under load the messages that queue up meanwhile leave together (up to `max_batch` messages and
    MAX_CALL_BYTES), so per-call costs (token, interceptors, one transaction in ingest) are shared. Every
    caller gets its own message's outcome.
    """

    def __init__(
        self,
        stub: ingest_pb2_grpc.IngestServiceStub,
        *,
        options: Callable[[str], dict[str, Any]],
        max_batch: int,
        max_calls: int,
    ) -> None:
        self.stub = stub
        self.options = options
        self.max_batch = max_batch
        self.max_calls = max_calls
        self._queues: defaultdict[str, deque[Pending]] = defaultdict(deque)
        self._calls: defaultdict[str, int] = defaultdict(int)
        self._tasks: set[asyncio.Task[None]] = set()

    async def ingest(self, tenant: str, message: ingest_pb2.InboundMessage) -> ingest_pb2.IngestMessageResponse:
        """The stored message; raises AioRpcError with this message's status when it was not stored."""
        future: asyncio.Future[ingest_pb2.IngestMessageResponse] = asyncio.get_running_loop().create_future()
        self._queues[tenant].append((message, future))
        self._dispatch(tenant)
        # A caller that goes away does not take its message out of the call.
        return await asyncio.shield(future)

    def _dispatch(self, tenant: str) -> None:
        queue = self._queues[tenant]
        while queue and self._calls[tenant] < self.max_calls:
            batch = [queue.popleft()]
            size = batch[0][0].ByteSize()
            while queue and len(batch) < self.max_batch and size + queue[0][0].ByteSize() <= MAX_CALL_BYTES:
                size += queue[0][0].ByteSize()
                batch.append(queue.popleft())
            self._calls[tenant] += 1
            task = asyncio.create_task(self._call(tenant, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not queue:
            self._queues.pop(tenant, None)

    async def _call(self, tenant: str, batch: list[Pending]) -> None:
        try:
            reply = await self.stub.IngestMessages(
                ingest_pb2.IngestMessagesRequest(messages=[message for message, _ in batch]), **self.options(tenant)
            )
            if len(reply.outcomes) != len(batch):
                raise _error(grpc.StatusCode.INTERNAL, f"{len(reply.outcomes)} outcomes for {len(batch)} messages")
        except BaseException as exc:
            for _, future in batch:
                _settle(future, error=exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, future), outcome in zip(batch, reply.outcomes, strict=True):
                if outcome.HasField("stored"):
                    _settle(future, result=outcome.stored)
                else:
                    failure = outcome.error
                    code = CODES.get(failure.code, grpc.StatusCode.UNKNOWN)
                    _settle(future, error=_error(code, failure.message, field=failure.field))
        finally:
            self._calls[tenant] -= 1
            if not self._calls[tenant]:
                del self._calls[tenant]
            self._dispatch(tenant)


def _error(code: grpc.StatusCode, details: str, *, field: str = "") -> grpc.aio.AioRpcError:
    # The same error a single IngestMessage call would raise, so one mapping (gateway.errors) serves both.
    trailing = grpc.aio.Metadata(("x-error-field", field)) if field else grpc.aio.Metadata()
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details)


def _settle(
    future: asyncio.Future[ingest_pb2.IngestMessageResponse],
    *,
    result: ingest_pb2.IngestMessageResponse | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if isinstance(error, asyncio.CancelledError):
        future.cancel()
    elif error is not None:
        future.set_exception(error)
        # Marks it seen: a caller that went away must not turn it into a "never retrieved" warning.
        future.add_done_callback(lambda done: done.exception())
    else:
        future.set_result(result or ingest_pb2.IngestMessageResponse())

"""The gateway's batcher without I/O: calls stay under the services' receive limit whatever the message sizes."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.inbound import MAX_CALL_BYTES, InboundBatcher
from vertice360.ingest.v1 import ingest_pb2


class HeldStub:
    """An IngestService stub whose first call waits until released, so the rest of the messages queue up."""

    def __init__(self) -> None:
        self.calls: list[ingest_pb2.IngestMessagesRequest] = []
        self.release = asyncio.Event()

    async def IngestMessages(self, request: ingest_pb2.IngestMessagesRequest, **_: Any) -> Any:
        self.calls.append(request)
        if len(self.calls) == 1:
            await self.release.wait()
        return ingest_pb2.IngestMessagesResponse(
            outcomes=[ingest_pb2.IngestOutcome(stored=ingest_pb2.IngestMessageResponse()) for _ in request.messages]
        )


async def test_queued_messages_leave_in_calls_under_the_receive_limit() -> None:
    stub = HeldStub()
    batcher = InboundBatcher(stub, options=lambda tenant: {}, max_batch=500, max_calls=1)  # type: ignore[arg-type]
    # 4096 four-byte characters: the longest text ingest takes, about 16 KiB on the wire.
    big = "ñ" * 4096
    messages = [ingest_pb2.InboundMessage(provider_message_id=f"wamid.{i}", text=big) for i in range(400)]
    first = asyncio.create_task(batcher.ingest("t", messages[0]))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.ingest("t", message)) for message in messages[1:]]
    await asyncio.sleep(0)
    stub.release.set()
    await asyncio.gather(first, *rest)
    sizes = [call.ByteSize() for call in stub.calls]
    assert sum(len(call.messages) for call in stub.calls) == 400
    assert all(size <= MAX_CALL_BYTES for size in sizes), sizes
    # Under the limit the queue still leaves together: a handful of calls, not one per message.
    assert len(stub.calls) < 10

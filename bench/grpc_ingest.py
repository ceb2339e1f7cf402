"""IngestMessage over gRPC straight at the ingest service, at rising concurrency: the path without the gateway."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Iterator

import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from bench import stats
from libs.common.clients import channel, metadata_for
from vertice360.ingest.v1 import ingest_pb2, ingest_pb2_grpc

METHOD = "/" + ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name + "/IngestMessage"
TEXT = "Hola, consulta sobre el departamento"
# Requests built before a step starts, per second of it: more than one process serves on two cores.
PREBUILT_PER_SECOND = 1_500


def inbound_request(
    *, provider_message_id: str, phone: str, text: str = TEXT, provider: int = ingest_pb2.PROVIDER_META
) -> ingest_pb2.IngestMessageRequest:
    """One text message from a lead, as the gateway forwards a Meta webhook's."""
    sent_at = timestamp_pb2.Timestamp()
    sent_at.GetCurrentTime()
    payload = struct_pb2.Struct()
    payload.update({"body": text})
    return ingest_pb2.IngestMessageRequest(
        message=ingest_pb2.InboundMessage(
            provider=provider,
            provider_message_id=provider_message_id,
            from_phone=phone,
            profile_name="Bench Lead",
            sent_at=sent_at,
            type=ingest_pb2.MESSAGE_TYPE_TEXT,
            text=text,
            payload=payload,
        )
    )


def _serialized(run: str) -> Iterator[bytes]:
    """Distinct messages (random senders, a few messages each at most), serialised once."""
    for n in itertools.count():
        phone = "5491166" + str(secrets.randbelow(10**6)).zfill(6)
        yield inbound_request(provider_message_id=f"wamid.grpc.{run}.{n}", phone=phone).SerializeToString()


async def run_step(
    call: grpc.aio.UnaryUnaryMultiCallable, *, metadata: tuple[tuple[str, str], ...], concurrency: int, seconds: float
) -> dict[str, object]:
    """`concurrency` callers send distinct messages back to back for `seconds`."""
    source = _serialized(secrets.token_hex(4))
    pending = list(itertools.islice(source, int(PREBUILT_PER_SECOND * seconds)))
    requests = itertools.chain(pending, source)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < stop_at:
            request = next(requests)
            started = time.perf_counter()
            try:
                await call(request, metadata=metadata, timeout=30)
                latencies.append((time.perf_counter() - started) * 1000)
            except grpc.aio.AioRpcError as exc:
                errors[exc.code().name] = errors.get(exc.code().name, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_codes": errors,
        "messages_per_second": stats.rate(len(latencies), elapsed),
        **stats.latency(latencies),
    }


async def grpc_benchmark(*, target: str, token: str, steps: list[int], seconds: float) -> list[dict[str, object]]:
    """Every concurrency step against ingest over one channel; the rows."""
    metadata = metadata_for(token)
    async with channel(target) as ingest:
        # Bytes in, bytes out: the client spends nothing on protobuf while measuring.
        call = ingest.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        warm = await run_step(call, metadata=metadata, concurrency=2, seconds=1.0)
        if not warm["ok"]:
            raise RuntimeError(f"gRPC warm-up failed: {warm}")
        return [await run_step(call, metadata=metadata, concurrency=n, seconds=seconds) for n in steps]


async def create_tickets(
    *, target: str, token: str, count: int, provider: int = ingest_pb2.PROVIDER_META, concurrency: int = 8
) -> list[str]:
    """`count` new tickets, one lead message each; their ids in order."""
    metadata = metadata_for(token)
    run = secrets.token_hex(4)
    # Consecutive numbers from a random start: distinct senders, so distinct tickets.
    first = secrets.randbelow(10**6)
    ids: list[str] = [""] * count
    numbers = iter(range(count))
    async with channel(target) as ingest:
        stub = ingest_pb2_grpc.IngestServiceStub(ingest)

        async def worker() -> None:
            for n in numbers:
                request = inbound_request(
                    provider_message_id=f"bench.ticket.{run}.{n}",
                    phone="5491155" + str((first + n) % 10**6).zfill(6),
                    provider=provider,
                )
                reply = await stub.IngestMessage(request, metadata=metadata, timeout=30)
                ids[n] = reply.ticket_id

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    if len(set(ids)) != count:
        raise RuntimeError(f"expected {count} distinct tickets, got {len(set(ids))}")
    return ids

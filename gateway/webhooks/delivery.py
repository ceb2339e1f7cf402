"""Hands normalised webhook content to the services: messages to ingest, statuses to supervisor, dead letters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format

from gateway.backends import Backends
from gateway.metrics import DEAD_LETTERS, WEBHOOKS
from gateway.webhooks.model import DeadLetter
from libs.common.auth import SYSTEM_TENANT
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

log = logging.getLogger(__name__)

# Codes that would fail the same way on every retry: the item is kept as a dead letter instead,
# so the provider is not asked to redeliver it for days.
PERMANENT_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.NOT_FOUND,
    }
)
MAX_PARALLEL_CALLS = 32
T = TypeVar("T")


@dataclass(slots=True)
class TenantWork:
    """What one tenant receives from a webhook."""

    tenant: str
    messages: list[ingest_pb2.InboundMessage] = field(default_factory=list)
    statuses: list[supervisor_pb2.StatusUpdate] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Letter:
    """A dead letter and the tenant it concerns (empty when none could be determined)."""

    letter: DeadLetter
    tenant: str = ""


@dataclass(slots=True)
class Outcome:
    """What was made durable; the webhook reply body."""

    received: int = 0
    duplicates: int = 0
    statuses: int = 0
    dead_letters: int = 0

    def body(self) -> dict[str, int]:
        """The JSON reply: messages accepted (new or already stored), statuses and dead letters recorded."""
        return {"received": self.received, "statuses": self.statuses, "dead_letters": self.dead_letters}


async def deliver(
    *, backends: Backends, provider: str, work: Sequence[TenantWork], letters: Sequence[Letter]
) -> Outcome:
    """Stores everything concurrently and returns only once all of it is durable.

    Raises the first retryable AioRpcError (UNAVAILABLE, DEADLINE_EXCEEDED, ...) after every call
    has finished, so the route answers 5xx and the provider redelivers; ingest dedupes by provider
    message id, which makes the redelivery safe. Items a service rejects for good become dead letters.
    """
    gate = asyncio.Semaphore(MAX_PARALLEL_CALLS)

    async def bounded(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    messages = [(item.tenant, message) for item in work for message in item.messages]
    status_batches = [item for item in work if item.statuses]
    results = await asyncio.gather(
        *(bounded(backends.inbound.ingest(tenant, message)) for tenant, message in messages),
        *(
            bounded(
                backends.supervisor.RecordDeliveryStatuses(
                    supervisor_pb2.RecordDeliveryStatusesRequest(statuses=item.statuses),
                    **backends.as_service(item.tenant),
                )
            )
            for item in status_batches
        ),
        *(bounded(_record(backends, provider=provider, letter=letter)) for letter in letters),
        return_exceptions=True,
    )
    message_results = results[: len(messages)]
    status_results = results[len(messages) : len(messages) + len(status_batches)]
    letter_results = results[len(messages) + len(status_batches) :]

    outcome = Outcome()
    rejected: list[Letter] = []
    retryable: list[BaseException] = []
    for (tenant, message), result in zip(messages, message_results, strict=True):
        if isinstance(result, ingest_pb2.IngestMessageResponse):
            outcome.received += 1
            outcome.duplicates += int(result.duplicate)
        elif _is_permanent(result):
            rejected.append(Letter(_rejection("ingest_rejected", result, _as_json(message)), tenant))
        else:
            retryable.append(result)
    for item, result in zip(status_batches, status_results, strict=True):
        if isinstance(result, supervisor_pb2.RecordDeliveryStatusesResponse):
            outcome.statuses += len(item.statuses)
        elif _is_permanent(result):
            payload = {"statuses": [_as_json(status) for status in item.statuses]}
            rejected.append(Letter(_rejection("statuses_rejected", result, payload), item.tenant))
        else:
            retryable.append(result)
    for result in letter_results:
        if isinstance(result, BaseException):
            retryable.append(result)
        else:
            outcome.dead_letters += 1
    if not retryable and rejected:
        for result in await asyncio.gather(
            *(_record(backends, provider=provider, letter=letter) for letter in rejected), return_exceptions=True
        ):
            if isinstance(result, BaseException):
                retryable.append(result)
            else:
                outcome.dead_letters += 1
    WEBHOOKS.labels(provider, "message").inc(outcome.received - outcome.duplicates)
    WEBHOOKS.labels(provider, "duplicate").inc(outcome.duplicates)
    WEBHOOKS.labels(provider, "status").inc(outcome.statuses)
    WEBHOOKS.labels(provider, "dead_letter").inc(outcome.dead_letters)
    if retryable:
        # Programming errors surface as they are; backend failures go through the gRPC error mapping.
        raise next((exc for exc in retryable if not isinstance(exc, grpc.aio.AioRpcError)), retryable[0])
    return outcome


def _is_permanent(result: Any) -> bool:
    return isinstance(result, grpc.aio.AioRpcError) and result.code() in PERMANENT_CODES


def _rejection(reason: str, error: grpc.aio.AioRpcError, payload: Any) -> DeadLetter:
    return DeadLetter(reason, f"{error.code().name}: {error.details()}", payload)


def _as_json(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


async def _record(backends: Backends, *, provider: str, letter: Letter) -> ingest_pb2.RecordDeadLetterResponse:
    dead = letter.letter
    response = await backends.ingest.RecordDeadLetter(
        ingest_pb2.RecordDeadLetterRequest(
            source=provider, reason=dead.reason_text(), payload=dead.payload_json(), tenant_slug=letter.tenant
        ),
        **backends.as_service(SYSTEM_TENANT),
    )
    DEAD_LETTERS.labels(provider, dead.reason).inc()
    log.warning(
        "dead letter from %s: %s",
        provider,
        dead.reason,
        extra={"fields": {"reason": dead.reason, "tenant": letter.tenant or "-"}},
    )
    return response

"""A reply's delivery on the outbox engine: its `append` row puts it in ingest's ticket timeline, its `send` row
hands it to the provider, behind a circuit breaker per provider account.

Crash safety. A row is leased before any work (libs/common/outbox.py); a worker killed at any point leaves a
lease that runs out, and the row is taken again by any replica, so nothing stored is lost. A live worker
never loses its lease mid-send (settings require the lease to outlive two send timeouts), so replicas
never send the same reply side by side. Neither Meta nor Gupshup takes an idempotency key on sends, so one
window stays at-least-once: the process dies (or the answer is lost: a timeout) after the provider
accepted the reply and before `record_sent` commits. The window is kept to one HTTP answer plus one
single-statement UPDATE; a graceful shutdown lets in-flight sends finish (or time out) first. A database
error at that point (a Postgres restart, a pooled connection it closed) is retried for up to a lease
rather than left to the lease, which would send the reply again (`make chaos`, `postgres-mid-send`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from prometheus_client import Counter
from psycopg import AsyncConnection

from libs.common.backoff import Backoff
from libs.common.errors import DomainError
from libs.common.outbox import Defer, Fail, Outbox, Outcome, Retry, Task, retry_database
from libs.common.peers.ingest import IngestClient
from libs.common.wire import struct
from services.supervisor.models import Outbound, ProviderAccount
from services.supervisor.providers import Outgoing, Provider, Providers, SendError
from services.supervisor.repository import Repository
from services.supervisor.settings import SupervisorSettings
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "v360_supervisor_deliveries_total",
    "Provider send attempts by provider and outcome (sent, retry, failed, circuit_open).",
    ["provider", "outcome"],
)
# Outbox kinds of a reply.
APPEND = "append"
SEND = "send"
ACTORS = {
    "agent": ingest_pb2.ACTOR_AGENT,
    "supervisor": ingest_pb2.ACTOR_SUPERVISOR,
    "system": ingest_pb2.ACTOR_SYSTEM,
}
# Ingest's dedupe key of a reply's timeline message.
TIMELINE_KEY = "out:"


class CircuitBreaker:
    """Per provider account: opens after N failures in a row, lets one trial call through after a pause."""

    def __init__(self, *, failures_to_open: int, open_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._threshold = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        """closed, open or half_open."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._probing or self._clock() >= self._opened_at + self._open_seconds else "open"

    def before_call(self) -> float:
        """0 when a call may go out now, else the seconds to wait."""
        if self._opened_at is None:
            return 0.0
        if self._probing:
            return self._open_seconds
        remaining = self._opened_at + self._open_seconds - self._clock()
        if remaining > 0:
            return remaining
        self._probing = True
        return 0.0

    def success(self) -> None:
        """The provider answered: close."""
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        """The provider failed (5xx, 429, timeout): count, and open at the threshold or on a failed trial."""
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at = self._clock()
        self._probing = False

    def abandon(self) -> None:
        """A trial call ended without an answer either way (cancelled): let the next one try."""
        self._probing = False


def append_request(outbound: Outbound) -> ingest_pb2.AppendOutboundMessageRequest:
    """What ingest stores in the ticket timeline for a reply, once (its dedupe key is the reply's id)."""
    payload: dict[str, object] = {"outbound_id": str(outbound.id), "kind": outbound.kind}
    if outbound.template is not None:
        payload["template"] = outbound.template
    if outbound.buttons:
        payload["buttons"] = outbound.buttons
    if outbound.list_menu:
        payload["list"] = outbound.list_menu
    return ingest_pb2.AppendOutboundMessageRequest(
        ticket_id=str(outbound.ticket_id),
        dedupe_key=f"{TIMELINE_KEY}{outbound.id}",
        actor=ACTORS[outbound.actor],
        author_user_id=outbound.author_user_id,
        text=outbound.text,
        type=ingest_pb2.MESSAGE_TYPE_TEXT,
        payload=struct(payload),
    )


def outgoing(outbound: Outbound) -> Outgoing:
    """The provider-facing form of a reply."""
    return Outgoing(
        outbound_id=outbound.id,
        tenant=outbound.tenant,
        to_e164=outbound.to_phone,
        kind=outbound.kind,
        text=outbound.text,
        template=outbound.template,
        buttons=list(outbound.buttons or []),
        list_menu=outbound.list_menu,
    )


class Delivery:
    """The outbox handlers of replies (append to the timeline, send to the provider) and how a reply is queued."""

    def __init__(
        self,
        *,
        repository: Repository,
        outbox: Outbox,
        ingest: IngestClient,
        providers: Providers,
        settings: SupervisorSettings,
    ) -> None:
        self.repository = repository
        self.outbox = outbox
        self.ingest = ingest
        self.providers = providers
        self.settings = settings
        self._breakers: dict[tuple[str, str, str], CircuitBreaker] = {}
        backoff = Backoff(settings.delivery_backoff_base_seconds, settings.delivery_backoff_max_seconds)
        outbox.register(APPEND, ingest_pb2.AppendOutboundMessageRequest, self.append, backoff=backoff)
        outbox.register(SEND, supervisor_pb2.DeliverReply, self.send, backoff=backoff)

    async def queue(self, conn: AsyncConnection[object], outbound: Outbound) -> int | None:
        """Writes the reply's append and send rows in the caller's transaction; returns the append row's id.

        A ticket's replies go out in the order they were written: a send waits while an older one is open.
        """
        append_id = await self.outbox.enqueue(
            conn,
            kind=APPEND,
            payload=append_request(outbound),
            tenant=outbound.tenant,
            dedupe_key=f"append:{outbound.id}",
        )
        await self.outbox.enqueue(
            conn,
            kind=SEND,
            payload=supervisor_pb2.DeliverReply(outbound_id=str(outbound.id)),
            tenant=outbound.tenant,
            dedupe_key=f"send:{outbound.id}",
            ordering_key=f"send:{outbound.ticket_id}",
            max_attempts=self.settings.delivery_max_attempts,
        )
        return append_id

    async def append_now(self, outbound: Outbound) -> uuid.UUID | None:
        """Puts the reply in the timeline from the caller's task (ingest stores it once); None while it can't."""
        try:
            reply = await self.ingest.append_outbound_message(outbound.tenant, append_request(outbound))
        except DomainError as exc:
            log.warning("reply %s not in the timeline yet: %s", outbound.id, exc.message)
            return None
        message_id = uuid.UUID(reply.message.id)
        await self.repository.record_appended(outbound_id=outbound.id, message_id=message_id)
        return message_id

    async def append(self, task: Task[ingest_pb2.AppendOutboundMessageRequest]) -> Outcome:
        """Outbox handler: stores the reply in the ticket timeline and notes its message id."""
        reply = await self.ingest.append_outbound_message(task.tenant, task.payload)
        outbound_id = uuid.UUID(task.payload.dedupe_key.removeprefix(TIMELINE_KEY))
        await self.repository.record_appended(outbound_id=outbound_id, message_id=uuid.UUID(reply.message.id))
        return None

    async def send(self, task: Task[supervisor_pb2.DeliverReply]) -> Outcome:
        """Outbox handler: hands the reply to its provider, unless it went out already."""
        outbound = await self.repository.outbound(tenant=task.tenant, outbound_id=uuid.UUID(task.payload.outbound_id))
        if outbound is None:
            return Fail("the reply is gone")
        if outbound.provider_message_id is not None or outbound.status != "pending":
            return None
        try:
            provider, account = await self._route(outbound)
        except SendError as err:
            return await self._fail(task, outbound, err, provider="none")
        breaker = self._breaker(outbound.tenant, account) if account is not None else None
        if breaker is not None:
            wait = breaker.before_call()
            if wait > 0:
                DELIVERIES.labels(provider.name, "circuit_open").inc()
                return Defer(wait, "circuit open")
        try:
            provider_message_id = await self._timed_send(provider, account, outbound)
        except SendError as err:
            if breaker is not None and err.retryable:
                breaker.failure()
            elif breaker is not None:
                # A refused request still proves the provider is up.
                breaker.success()
            if err.retryable and not task.last_attempt:
                DELIVERIES.labels(provider.name, "retry").inc()
                return Retry(str(err), retry_after=err.retry_after)
            return await self._fail(task, outbound, err, provider=provider.name)
        except BaseException:
            if breaker is not None:
                breaker.abandon()
            raise
        if breaker is not None:
            breaker.success()
        DELIVERIES.labels(provider.name, "sent").inc()
        # The reply is out: left to its lease it would be sent to the lead again, so a passing database
        # error must not drop the record (recording is idempotent).
        recorded = await retry_database(
            lambda: self.repository.record_sent(
                outbound=outbound, provider=provider.name, provider_message_id=provider_message_id
            ),
            within=self.settings.delivery_lease_seconds,
            what=f"reply {outbound.id} was sent but not recorded",
        )
        if not recorded:
            log.warning("reply %s was accepted twice by %s; the first id is kept", outbound.id, provider.name)
        return None

    async def _route(self, outbound: Outbound) -> tuple[Provider, ProviderAccount | None]:
        if self.settings.delivery_provider_override == "sandbox" or outbound.channel == "manual":
            return self.providers.sandbox, None
        account = await self.repository.provider_account(tenant=outbound.tenant, provider=outbound.channel)
        if account is not None:
            return self.providers.get(account.provider), account
        if self.settings.delivery_sandbox_fallback:
            return self.providers.sandbox, None
        raise SendError(
            code="no_provider_account", title=f"the tenant has no {outbound.channel} account", retryable=False
        )

    def _breaker(self, tenant: str, account: ProviderAccount) -> CircuitBreaker:
        key = (tenant, account.provider, account.sender_id)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = CircuitBreaker(
                failures_to_open=self.settings.breaker_failures, open_seconds=self.settings.breaker_open_seconds
            )
            self._breakers[key] = breaker
        return breaker

    async def _timed_send(self, provider: Provider, account: ProviderAccount | None, outbound: Outbound) -> str:
        # httpx bounds each phase (connect, write, read); the lease needs a bound on the whole call.
        timeout = self.settings.provider_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                return await provider.send(account, outgoing(outbound))
        except TimeoutError as exc:
            raise SendError(code="timeout", title=f"no answer within {timeout}s", retryable=True) from exc

    async def _fail(
        self, task: Task[supervisor_pb2.DeliverReply], outbound: Outbound, err: SendError, *, provider: str
    ) -> Outcome:
        DELIVERIES.labels(provider, "failed").inc()
        log.warning("reply %s failed after %s attempt(s): %s", outbound.id, task.attempt, err)
        await self.repository.record_send_failed(
            outbound_id=outbound.id, row_id=task.id, claim=task.claim, error_code=err.code, error_title=err.title
        )
        return Fail(f"{err} {err.detail}".strip())

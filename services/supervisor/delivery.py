"""The delivery worker: drains the outbox (timeline appends and provider sends) with leases, retries and breakers.

Crash safety. A job is leased (`locked_until`) before any work; a worker killed at any point leaves a
lease that runs out, and the job is taken again by any replica, so nothing stored is lost. A live
worker never loses its lease mid-send (settings require the lease to outlive two send timeouts), so
replicas never send the same reply side by side. Neither Meta nor Gupshup takes an idempotency key on
sends, so one window stays at-least-once: the process dies (or the answer is lost: a timeout) after
the provider accepted the reply and before `record_sent` commits. The window is kept to one HTTP answer
plus one single-statement UPDATE; a graceful shutdown lets in-flight sends finish (or time out) first.
A database error at that point (a Postgres restart, a pooled connection it closed) is retried for up to
a lease rather than left to the lease, which would send the reply again (`make chaos`,
`postgres-mid-send`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import psycopg
import psycopg_pool
from prometheus_client import Counter, Gauge

from libs.common.backoff import Backoff
from libs.common.errors import DomainError, FailedPrecondition, InvalidArgument
from libs.common.telemetry import continued_trace, untraced
from services.supervisor.ingest import IngestClient
from services.supervisor.models import Job, ProviderAccount
from services.supervisor.providers import Outgoing, Provider, Providers, SendError
from services.supervisor.repository import Repository
from services.supervisor.settings import SupervisorSettings

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "v360_supervisor_deliveries_total",
    "Provider send attempts by provider and outcome (sent, retry, failed, circuit_open).",
    ["provider", "outcome"],
)
# Every replica reports the same table: aggregate with max(), not sum().
JOB_BACKLOG = Gauge("v360_supervisor_delivery_backlog", "Open delivery jobs, by kind (append, send).", ["kind"])
JOB_OLDEST = Gauge(
    "v360_supervisor_delivery_oldest_seconds", "Age in seconds of the oldest open delivery job, by kind.", ["kind"]
)
JOB_KINDS = ("append", "send")
# The backlog is one query over the open jobs: every few seconds is plenty for a gauge.
BACKLOG_EVERY_SECONDS = 5.0
# Recording a reply the provider took is retried this often (doubling) while the database is away.
RECORD_RETRY_FIRST_SECONDS = 0.1
RECORD_RETRY_MAX_SECONDS = 1.0


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


def outgoing(job: Job) -> Outgoing:
    """The provider-facing form of a leased reply."""
    return Outgoing(
        outbound_id=job.outbound_id,
        tenant=job.tenant,
        to_e164=job.to_phone,
        kind=job.message_kind,
        text=job.text,
        template=job.template,
        buttons=list(job.buttons or []),
    )


class DeliveryWorker:
    """Claims due jobs with SKIP LOCKED and runs them concurrently; safe with any number of replicas."""

    def __init__(
        self, *, repository: Repository, ingest: IngestClient, providers: Providers, settings: SupervisorSettings
    ) -> None:
        self.repository = repository
        self.ingest = ingest
        self.providers = providers
        self.settings = settings
        self.backoff = Backoff(settings.delivery_backoff_base_seconds, settings.delivery_backoff_max_seconds)
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._breakers: dict[tuple[str, str, str], CircuitBreaker] = {}
        self._next_measure = 0.0

    def wake(self) -> None:
        """Look for due jobs now (a reply was just stored)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Works until `stop` is set, then lets in-flight jobs finish."""
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self._wake.clear()
                # Polling makes no spans; each job's work joins the trace it was queued in (see _process).
                with untraced():
                    await self._measure_backlog()
                    await self._claim_and_start()
                waking = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait(
                    {stopping, waking, *self._running},
                    timeout=self.settings.delivery_poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waking.cancel()
        finally:
            stopping.cancel()
            await self._drain()

    async def _claim_and_start(self) -> None:
        free = self.settings.delivery_concurrency - len(self._running)
        if free <= 0:
            return
        try:
            jobs = await self.repository.claim_jobs(limit=free, lease_seconds=self.settings.delivery_lease_seconds)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            log.warning("could not claim delivery jobs: %s", type(exc).__name__)
            return
        except Exception:
            # Keep the worker alive whatever happened; the next poll tries again.
            log.exception("could not claim delivery jobs")
            return
        for job in jobs:
            task = asyncio.create_task(self._process(job))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _drain(self) -> None:
        if not self._running:
            return
        # Every call in flight ends by its own timeout; waiting that long means none is cut off after the
        # provider took the reply but before it was recorded.
        within = max(self.settings.provider_timeout_seconds, self.settings.ingest_timeout_seconds) + 1
        _, pending = await asyncio.wait(set(self._running), timeout=within)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)

    async def _measure_backlog(self) -> None:
        now = time.monotonic()
        if now < self._next_measure:
            return
        self._next_measure = now + BACKLOG_EVERY_SECONDS
        try:
            backlog = await self.repository.delivery_backlog()
        except Exception as exc:
            log.warning("could not measure the delivery backlog: %s", type(exc).__name__)
            return
        for kind in JOB_KINDS:
            count, oldest_seconds = backlog.get(kind, (0, 0.0))
            JOB_BACKLOG.labels(kind).set(count)
            JOB_OLDEST.labels(kind).set(oldest_seconds)

    async def _process(self, job: Job) -> None:
        try:
            # Its own task: the provider call, the ingest append and the bookkeeping continue the
            # trace of the SendReply that queued the job.
            with continued_trace(job.trace_context):
                if job.kind == "append":
                    await self._append(job)
                else:
                    await self._send(job)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            # The outcome could not be written; the lease runs out and the job is tried again.
            log.warning("delivery job %s: database error %s", job.id, type(exc).__name__)
        except Exception:
            log.exception("delivery job %s failed unexpectedly", job.id)

    async def _append(self, job: Job) -> None:
        if job.message_id is not None:
            await self.repository.finish_job(job_id=job.id)
            return
        try:
            message_id = await self.ingest.append_outbound(
                tenant=job.tenant,
                outbound_id=job.outbound_id,
                ticket_id=job.ticket_id,
                actor=job.actor,
                author_user_id=job.author_user_id,
                kind=job.message_kind,
                text=job.text,
                template=job.template,
                buttons=job.buttons,
            )
        except (InvalidArgument, FailedPrecondition) as exc:
            log.error("reply %s can never enter the timeline: %s", job.outbound_id, exc.message)
            await self.repository.finish_job(job_id=job.id, error=exc.message)
            return
        except DomainError as exc:
            # Unavailable or even not found (a misrouted ingest): the timeline must get it, so keep trying.
            delay = self.backoff.delay(job.attempts)
            await self.repository.reschedule(job_id=job.id, claim=job.claim, delay_seconds=delay, error=exc.message)
            return
        await self.repository.record_appended(outbound_id=job.outbound_id, message_id=message_id)

    async def _route(self, job: Job) -> tuple[Provider, ProviderAccount | None]:
        if self.settings.delivery_provider_override == "sandbox" or job.channel == "manual":
            return self.providers.sandbox, None
        account = await self.repository.provider_account(tenant=job.tenant, provider=job.channel)
        if account is not None:
            return self.providers.get(account.provider), account
        if self.settings.delivery_sandbox_fallback:
            return self.providers.sandbox, None
        raise SendError(code="no_provider_account", title=f"the tenant has no {job.channel} account", retryable=False)

    def _breaker(self, tenant: str, account: ProviderAccount) -> CircuitBreaker:
        key = (tenant, account.provider, account.sender_id)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = CircuitBreaker(
                failures_to_open=self.settings.breaker_failures, open_seconds=self.settings.breaker_open_seconds
            )
            self._breakers[key] = breaker
        return breaker

    async def _send(self, job: Job) -> None:
        if job.provider_message_id is not None or job.status != "pending":
            await self.repository.finish_job(job_id=job.id)
            return
        try:
            provider, account = await self._route(job)
        except SendError as err:
            await self._fail(job, err, provider="none")
            return
        breaker = self._breaker(job.tenant, account) if account is not None else None
        if breaker is not None:
            wait = breaker.before_call()
            if wait > 0:
                DELIVERIES.labels(provider.name, "circuit_open").inc()
                await self.repository.reschedule(
                    job_id=job.id, claim=job.claim, delay_seconds=wait, error="circuit open", refund=True
                )
                return
        try:
            provider_message_id = await self._timed_send(provider, account, job)
        except SendError as err:
            if breaker is not None and err.retryable:
                breaker.failure()
            elif breaker is not None:
                # A refused request still proves the provider is up.
                breaker.success()
            if err.retryable and (job.max_attempts is None or job.attempts < job.max_attempts):
                DELIVERIES.labels(provider.name, "retry").inc()
                delay = self.backoff.delay(job.attempts, retry_after=err.retry_after)
                log.info("reply %s: %s, attempt %s, retry in %.2fs", job.outbound_id, err, job.attempts, delay)
                await self.repository.reschedule(job_id=job.id, claim=job.claim, delay_seconds=delay, error=str(err))
            else:
                await self._fail(job, err, provider=provider.name)
            return
        except BaseException:
            if breaker is not None:
                breaker.abandon()
            raise
        if breaker is not None:
            breaker.success()
        DELIVERIES.labels(provider.name, "sent").inc()
        recorded = await self._record_sent(job, provider=provider.name, provider_message_id=provider_message_id)
        if not recorded:
            log.warning("reply %s was accepted twice by %s; the first id is kept", job.outbound_id, provider.name)

    async def _record_sent(self, job: Job, *, provider: str, provider_message_id: str) -> bool:
        """Records the provider's acceptance, retrying database errors for up to one lease.

        The reply is out: a job left to its lease would be sent to the lead again, so a passing database
        error (a restart, a connection the server closed) must not drop the record. Recording is idempotent.
        """
        give_up_at = time.monotonic() + self.settings.delivery_lease_seconds
        delay = RECORD_RETRY_FIRST_SECONDS
        while True:
            try:
                return await self.repository.record_sent(
                    job=job, provider=provider, provider_message_id=provider_message_id
                )
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                if time.monotonic() + delay > give_up_at:
                    raise
                log.warning(
                    "reply %s was sent but not recorded (%s); trying again in %.1fs",
                    job.outbound_id,
                    type(exc).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX_SECONDS)

    async def _timed_send(self, provider: Provider, account: ProviderAccount | None, job: Job) -> str:
        # httpx bounds each phase (connect, write, read); the lease needs a bound on the whole call.
        timeout = self.settings.provider_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                return await provider.send(account, outgoing(job))
        except TimeoutError as exc:
            raise SendError(code="timeout", title=f"no answer within {timeout}s", retryable=True) from exc

    async def _fail(self, job: Job, err: SendError, *, provider: str) -> None:
        DELIVERIES.labels(provider, "failed").inc()
        log.warning("reply %s failed after %s attempt(s): %s", job.outbound_id, job.attempts, err)
        error = f"{err} {err.detail}".strip()
        await self.repository.record_send_failed(job=job, error_code=err.code, error_title=err.title, error=error)

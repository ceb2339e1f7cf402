"""Clients that behave like the real ones under failure: Meta's webhook sender and a dashboard that retries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.routes import DEMO_PREFIX
from libs.common.backoff import Backoff

# Meta backs off for hours; here the same shape, scaled to seconds.
BACKOFF = Backoff(base=0.2, cap=2.0)
REQUEST_TIMEOUT_SECONDS = 5.0


def retryable(status: int) -> bool:
    """What a careful client tries again: throttling, timeouts and server errors."""
    return status in (408, 429) or status >= 500


@dataclass
class Attempts:
    """Every try of one delivery: when each failed and why, and whether one was acknowledged."""

    errors: list[tuple[float, str]] = field(default_factory=list)
    tries: int = 0
    acked_at: float | None = None
    final: str = ""

    def errors_between(self, start: float, end: float) -> int:
        """Failed tries in the monotonic interval [start, end]."""
        return sum(1 for at, _ in self.errors if start <= at <= end)


@dataclass
class Inbound:
    """One lead message the sender must get acknowledged; with `reply_id`, a tap on that reply button."""

    wamid: str
    phone: str
    text: str
    reply_id: str = ""


def _message(message: Inbound) -> dict[str, Any]:
    sent = {"from": message.phone, "id": message.wamid, "timestamp": str(int(time.time()))}
    if message.reply_id:
        reply = {"id": message.reply_id, "title": message.text}
        return {**sent, "type": "interactive", "interactive": {"type": "button_reply", "button_reply": reply}}
    return {**sent, "type": "text", "text": {"body": message.text}}


def webhook_body(*, phone_number_id: str, messages: list[Inbound]) -> bytes:
    """One Meta delivery of one lead's messages, as Meta serialises it (batched in one `value`)."""
    phone = messages[0].phone
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491100000000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Chaos Lead"}, "wa_id": phone}],
        "messages": [_message(message) for message in messages],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "chaos-waba", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def _retrying(
    attempt: Callable[[], Any], attempts: Attempts, *, deadline: float, done: Callable[[httpx.Response], bool]
) -> httpx.Response | None:
    """Calls `attempt` until `done(response)`, retrying retryable statuses, transport errors and timeouts."""
    while True:
        attempts.tries += 1
        try:
            response: httpx.Response = await attempt()
        except httpx.TimeoutException:
            attempts.errors.append((time.monotonic(), "timeout"))
        except httpx.TransportError as exc:
            attempts.errors.append((time.monotonic(), type(exc).__name__))
        else:
            if done(response):
                attempts.acked_at = time.monotonic()
                attempts.final = str(response.status_code)
                return response
            attempts.errors.append((time.monotonic(), str(response.status_code)))
            if not retryable(response.status_code):
                attempts.final = f"{response.status_code} {response.text[:200]}"
                return None
        delay = BACKOFF.delay(len(attempts.errors))
        if time.monotonic() + delay > deadline:
            attempts.final = f"gave up: {attempts.errors[-1][1]}"
            return None
        await asyncio.sleep(delay)


class MetaSender:
    """Posts signed webhooks and, like Meta, redelivers on any non-2xx, connection error or timeout."""

    def __init__(self, client: httpx.AsyncClient, *, gateway_url: str, app_secret: str, phone_number_id: str) -> None:
        self.client = client
        self.url = f"{gateway_url}/webhooks/meta"
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id

    async def deliver(self, messages: list[Inbound], attempts: Attempts, *, deadline: float) -> bool:
        """Delivers one webhook carrying `messages` (one lead's) until a 2xx or the deadline; True when acked."""
        body = webhook_body(phone_number_id=self.phone_number_id, messages=messages)
        signature = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}

        def post() -> Any:
            return self.client.post(self.url, content=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)

        response = await _retrying(post, attempts, deadline=deadline, done=lambda r: r.is_success)
        return response is not None


class Dashboard:
    """The team's dashboard: replies with an Idempotency-Key and visit steps, retried until they go through."""

    def __init__(self, client: httpx.AsyncClient, *, gateway_url: str, token: str) -> None:
        self.client = client
        self.base = f"{gateway_url}{DEMO_PREFIX}"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def reply(self, *, ticket_id: str, key: str, text: str, attempts: Attempts, deadline: float) -> bool:
        """Sends a reply; a retry carries the same key, so it is stored and sent once. True when acknowledged."""
        headers = {**self.headers, "Idempotency-Key": key}

        def post() -> Any:
            return self.client.post(
                f"{self.base}/supervisor/send",
                json={"ticket_id": ticket_id, "text": text},
                headers=headers,
                timeout=REQUEST_TIMEOUT_SECONDS,
            )

        return await _retrying(post, attempts, deadline=deadline, done=lambda r: r.is_success) is not None

    async def propose(self, payload: dict[str, Any], attempts: Attempts, *, deadline: float) -> bool:
        """Proposes a visit; a 409 "already has an active visit" after a failed try means that try went through."""
        return await self._step("propose", payload, attempts, deadline=deadline, earlier="already has an active visit")

    async def confirm(self, ticket_id: str, attempts: Attempts, *, deadline: float) -> bool:
        """Confirms the ticket's visit; a 409 "already confirmed" after a failed try means that try went through."""
        return await self._step(
            "confirm", {"ticket_id": ticket_id}, attempts, deadline=deadline, earlier="already confirmed"
        )

    async def _step(
        self, step: str, payload: dict[str, Any], attempts: Attempts, *, deadline: float, earlier: str
    ) -> bool:
        def post() -> Any:
            return self.client.post(
                f"{self.base}/visit/{step}", json=payload, headers=self.headers, timeout=REQUEST_TIMEOUT_SECONDS
            )

        def done(response: httpx.Response) -> bool:
            # A user reloading after an error would see the step done; only a failed earlier try can explain it.
            return response.is_success or (
                response.status_code == 409 and bool(attempts.errors) and earlier in response.text
            )

        return await _retrying(post, attempts, deadline=deadline, done=done) is not None

"""A stand-in WhatsApp provider over real HTTP on loopback: Meta Cloud API and Gupshup send shapes.

It records every request (headers and body) and answers from a per-account script of replies
(status, body, delay, or held until released); an account with no script left is answered with the
provider's success body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# A held reply polls for the caller going away this often.
DISCONNECT_POLL_SECONDS = 0.02


@dataclass
class Reply:
    """One scripted answer. `body=None` answers the provider's usual success (or error) body."""

    status: int = 200
    body: dict[str, Any] | None = None
    delay: float = 0.0
    # Held until the event is set; a caller that disconnects first is recorded as gone, unanswered.
    hold: asyncio.Event | None = None
    message_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def meta_error(code: int, title: str, *, status: int = 400, details: str = "") -> Reply:
    """A Graph API error answer, e.g. 131047 re-engagement."""
    error = {
        "message": f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or title},
        "fbtrace_id": uuid.uuid4().hex[:16],
    }
    return Reply(status=status, body={"error": error})


@dataclass
class Recorded:
    """One request as received, and what became of it."""

    provider: str
    account: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    answered: int | None = None
    gone: bool = False
    message_id: str | None = None
    # Gupshup: the WhatsApp id its status callbacks name beside its own (`message_id`, what the send returned).
    whatsapp_id: str | None = None

    @property
    def json(self) -> Any:
        """The body as JSON (Meta)."""
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The body as form fields (Gupshup)."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def accepted(self) -> bool:
        """The provider took the message: it answered 2xx to a caller still there."""
        return self.answered is not None and 200 <= self.answered < 300 and not self.gone

    def text(self) -> str:
        """The message text, whatever the provider's shape."""
        if self.provider == "meta":
            body = self.json
            return body.get("text", {}).get("body") or body.get("interactive", {}).get("body", {}).get("text", "")
        message = json.loads(self.form.get("message", "{}"))
        return message.get("text") or message.get("content", {}).get("text", "")


class ProviderDouble:
    """The recording, scriptable provider; `meta_base_url` and `gupshup_base_url` go into settings."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._holds: list[asyncio.Event] = []
        # While set, every request is answered with it (scripts wait): a provider outage.
        self.outage: Reply | None = None
        self.url = ""
        self.app = Starlette(
            routes=[
                Route("/meta/{version}/{phone_number_id}/messages", self._meta, methods=["POST"]),
                Route("/gupshup/wa/api/v1/msg", self._gupshup, methods=["POST"]),
                Route("/gupshup/wa/api/v1/template/msg", self._gupshup, methods=["POST"]),
            ]
        )

    @property
    def meta_base_url(self) -> str:
        return f"{self.url}/meta/v21.0"

    @property
    def gupshup_base_url(self) -> str:
        return f"{self.url}/gupshup"

    def script(self, account: str, *replies: Reply) -> None:
        """Queues answers for requests from `account` (Meta phone_number_id or Gupshup source)."""
        for reply in replies:
            if reply.hold is not None:
                self._holds.append(reply.hold)
            self._scripts[account].append(reply)

    def for_account(self, account: str) -> list[Recorded]:
        """Requests from `account`, in arrival order."""
        return [r for r in self.requests if r.account == account]

    def accepted(self, account: str) -> list[Recorded]:
        """Requests from `account` the provider took."""
        return [r for r in self.for_account(account) if r.accepted]

    async def wait_for(self, condition: Callable[[], bool], *, within: float = 10.0) -> None:
        """Polls `condition` until true; fails the test after `within` seconds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"provider double: condition not met within {within}s")
            await asyncio.sleep(0.02)

    async def _meta(self, request: HttpRequest) -> Response:
        recorded = await self._record(request, "meta", request.path_params["phone_number_id"])
        return await self._answer(request, recorded, self._success_meta)

    async def _gupshup(self, request: HttpRequest) -> Response:
        recorded = await self._record(request, "gupshup", "")
        recorded.account = recorded.form.get("source", "")
        return await self._answer(request, recorded, self._success_gupshup)

    async def _record(self, request: HttpRequest, provider: str, account: str) -> Recorded:
        recorded = Recorded(
            provider=provider,
            account=account,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            received_at=time.monotonic(),
        )
        self.requests.append(recorded)
        return recorded

    async def _answer(
        self, request: HttpRequest, recorded: Recorded, success: Callable[[Recorded, Reply], dict[str, Any]]
    ) -> Response:
        script = self._scripts[recorded.account]
        reply = self.outage or (script.popleft() if script else Reply())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.hold is not None:
            while not reply.hold.is_set():
                if await request.is_disconnected():
                    recorded.gone = True
                    return Response(status_code=499)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reply.hold.wait()), DISCONNECT_POLL_SECONDS)
            if await request.is_disconnected():
                recorded.gone = True
                return Response(status_code=499)
        if 200 <= reply.status < 300:
            recorded.message_id = reply.message_id or (
                f"wamid.{uuid.uuid4().hex}" if recorded.provider == "meta" else str(uuid.uuid4())
            )
            if recorded.provider == "gupshup":
                recorded.whatsapp_id = f"wamid.{uuid.uuid4().hex}"
            body = reply.body or success(recorded, reply)
        else:
            body = reply.body or {"error": {"message": "Internal error", "code": 2}}
        recorded.answered = reply.status
        return JSONResponse(body, status_code=reply.status, headers=reply.headers)

    @staticmethod
    def _success_meta(recorded: Recorded, reply: Reply) -> dict[str, Any]:
        to = recorded.json.get("to", "")
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": recorded.message_id}],
        }

    @staticmethod
    def _success_gupshup(recorded: Recorded, reply: Reply) -> dict[str, Any]:
        return {"status": "submitted", "messageId": recorded.message_id}

    def release_all(self) -> None:
        """Lets every held reply go."""
        for hold in self._holds:
            hold.set()


def supervisor_env(double: ProviderDouble) -> dict[str, str]:
    """Supervisor settings for tests: the provider double, quick retries, a short breaker and lease."""
    return {
        "META_GRAPH_BASE_URL": double.meta_base_url,
        "GUPSHUP_BASE_URL": double.gupshup_base_url,
        "DELIVERY_MAX_ATTEMPTS": "3",
        "DELIVERY_BACKOFF_BASE_SECONDS": "0.05",
        "DELIVERY_BACKOFF_MAX_SECONDS": "0.2",
        "DELIVERY_POLL_SECONDS": "0.1",
        "DELIVERY_BREAKER_FAILURES": "2",
        "DELIVERY_BREAKER_OPEN_SECONDS": "0.5",
        "PROVIDER_TIMEOUT_SECONDS": "2",
        "INGEST_TIMEOUT_SECONDS": "2",
        "DELIVERY_LEASE_SECONDS": "4.5",
        "SANDBOX_STEP_SECONDS": "0.1",
        "SHUTDOWN_GRACE_SECONDS": "1",
    }


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: Ctrl-C belongs to the test runner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def running_provider_double() -> AsyncIterator[ProviderDouble]:
    """Serves a ProviderDouble on a loopback port in this event loop until the block ends."""
    double = ProviderDouble()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    double.url = f"http://{host}:{port}"
    server = _Server(
        uvicorn.Config(double.app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield double
    finally:
        double.release_all()
        server.should_exit = True
        await task
        sock.close()

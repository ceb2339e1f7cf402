"""Provider adapters that hand a reply to WhatsApp: Meta Cloud API, Gupshup and the offline sandbox."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from services.supervisor.models import ProviderAccount, StatusUpdate

log = logging.getLogger(__name__)

# Meta error codes that name a passing condition (throttling, a temporary outage), not a bad request.
META_RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131048, 131056})
_META_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")

StatusSink = Callable[[str, list[StatusUpdate]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One reply as every provider needs it."""

    outbound_id: uuid.UUID
    tenant: str
    # The lead's address: WhatsApp id digits (or E.164) or a business-scoped user id.
    to_e164: str
    kind: str
    text: str
    template: dict[str, Any] | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    # A list message: {"button", "section", "rows": [{"id", "title", "description"}]}.
    list_menu: dict[str, Any] | None = None


class SendError(Exception):
    """The provider did not take the reply; `retryable` says whether trying later may work."""

    def __init__(
        self, *, code: str, title: str, retryable: bool, retry_after: float | None = None, detail: str = ""
    ) -> None:
        super().__init__(f"{code}: {title}")
        self.code = code
        self.title = title
        self.retryable = retryable
        self.retry_after = retry_after
        self.detail = detail


class Provider(Protocol):
    name: str

    async def send(self, account: ProviderAccount | None, message: Outgoing) -> str:
        """Hands the reply over; returns the provider's message id or raises SendError."""
        ...


def _digits(e164: str) -> str:
    return e164.lstrip("+")


def is_user_id(address: str) -> bool:
    """Whether a reply address is a business-scoped user id (`AR.1349...`) rather than a WhatsApp number."""
    return "." in address


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _transport_error(exc: httpx.HTTPError, timeout: float | None) -> SendError:
    if isinstance(exc, httpx.TimeoutException):
        return SendError(code="timeout", title=f"no answer within {timeout}s", retryable=True)
    return SendError(code="connection_error", title=type(exc).__name__, retryable=True)


def meta_body(message: Outgoing) -> dict[str, Any]:
    """The Cloud API `/messages` body for a text, template or reply-buttons message."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    # A lead WhatsApp names only by its business-scoped user id is addressed by `recipient`, a number by `to`.
    if is_user_id(message.to_e164):
        body["recipient"] = message.to_e164
    else:
        body["to"] = _digits(message.to_e164)
    if message.kind == "template" and message.template is not None:
        template: dict[str, Any] = {
            "name": message.template["name"],
            "language": {"code": message.template["language"]},
        }
        parameters = message.template.get("parameters") or []
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in parameters]}
            ]
        return {**body, "type": "template", "template": template}
    if message.kind == "interactive":
        buttons = [{"type": "reply", "reply": {"id": b["id"], "title": b["title"]}} for b in message.buttons]
        interactive = {"type": "button", "body": {"text": message.text}, "action": {"buttons": buttons}}
        return {**body, "type": "interactive", "interactive": interactive}
    if message.kind == "list" and message.list_menu is not None:
        menu = message.list_menu
        section: dict[str, Any] = {"rows": [_meta_row(row) for row in menu["rows"]]}
        if menu.get("section"):
            section["title"] = menu["section"]
        action = {"button": menu["button"], "sections": [section]}
        return {
            **body,
            "type": "interactive",
            "interactive": {"type": "list", "body": {"text": message.text}, "action": action},
        }
    return {**body, "type": "text", "text": {"body": message.text}}


def _meta_row(row: dict[str, str]) -> dict[str, str]:
    shown = {"id": row["id"], "title": row["title"]}
    if row.get("description"):
        shown["description"] = row["description"]
    return shown


def meta_error(response: httpx.Response) -> SendError:
    """The Graph API error of a non-2xx answer."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code")
    title = error.get("title") or _META_CODE_PREFIX.sub("", str(error.get("message") or "")) or response.reason_phrase
    details = (error.get("error_data") or {}).get("details") or ""
    retryable = response.status_code == 429 or response.status_code >= 500 or code in META_RETRYABLE_CODES
    return SendError(
        code=str(code if code is not None else response.status_code),
        title=str(title),
        retryable=retryable,
        retry_after=_retry_after(response),
        detail=str(details),
    )


class MetaCloud:
    """WhatsApp Cloud API: `POST {base}/{phone_number_id}/messages` with the tenant's bearer token."""

    name = "meta"

    def __init__(self, client: httpx.AsyncClient, *, base_url: str) -> None:
        self._client = client
        self._base_url = base_url

    async def send(self, account: ProviderAccount | None, message: Outgoing) -> str:
        """Sends through the tenant's phone number; returns the wamid."""
        assert account is not None
        url = f"{account.base_url.rstrip('/') or self._base_url}/{account.sender_id}/messages"
        try:
            response = await self._client.post(
                url, json=meta_body(message), headers={"Authorization": f"Bearer {account.secret}"}
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self._client.timeout.read) from exc
        if not response.is_success:
            raise meta_error(response)
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            # Accepted but unnamed: sending again could reach the lead twice, so it is not retried.
            raise SendError(code="bad_response", title="no messages[0].id in the answer", retryable=False) from exc


def gupshup_request(account: ProviderAccount, message: Outgoing) -> tuple[str, dict[str, str]]:
    """The path and form fields of a Gupshup send (session message or template)."""
    form = {
        "channel": "whatsapp",
        "source": account.sender_id,
        "destination": _digits(message.to_e164),
        "src.name": account.app_name,
    }
    if message.kind == "template" and message.template is not None:
        # Gupshup names templates by their id; the template name of the request is that id.
        template = {"id": message.template["name"], "params": list(message.template.get("parameters") or [])}
        return "/wa/api/v1/template/msg", {**form, "template": json.dumps(template, ensure_ascii=False)}
    if message.kind == "interactive":
        payload: dict[str, Any] = {
            "type": "quick_reply",
            "msgid": str(message.outbound_id),
            "content": {"type": "text", "text": message.text},
            "options": [{"type": "text", "title": b["title"], "postbackText": b["id"]} for b in message.buttons],
        }
    elif message.kind == "list" and message.list_menu is not None:
        menu = message.list_menu
        payload = {
            "type": "list",
            "title": "",
            "body": message.text,
            "msgid": str(message.outbound_id),
            "globalButtons": [{"type": "text", "title": menu["button"]}],
            "items": [
                {
                    "title": menu.get("section") or "",
                    "subtitle": "",
                    "options": [
                        {
                            "type": "text",
                            "title": row["title"],
                            "description": row.get("description") or "",
                            "postbackText": row["id"],
                        }
                        for row in menu["rows"]
                    ],
                }
            ],
        }
    else:
        payload = {"type": "text", "text": message.text}
    return "/wa/api/v1/msg", {**form, "message": json.dumps(payload, ensure_ascii=False)}


def gupshup_error(response: httpx.Response) -> SendError:
    """Gupshup's `{"status": "error", "message": ...}` answer."""
    try:
        body = response.json()
        title = str(body.get("message") or response.reason_phrase)
    except (ValueError, AttributeError):
        title = response.reason_phrase
    retryable = response.status_code == 429 or response.status_code >= 500
    return SendError(
        code=str(response.status_code), title=title, retryable=retryable, retry_after=_retry_after(response)
    )


class Gupshup:
    """Gupshup: form-encoded `POST {base}/wa/api/v1/msg` (or `/template/msg`) with the `apikey` header."""

    name = "gupshup"

    def __init__(self, client: httpx.AsyncClient, *, base_url: str) -> None:
        self._client = client
        self._base_url = base_url

    async def send(self, account: ProviderAccount | None, message: Outgoing) -> str:
        """Sends from the tenant's source number; returns Gupshup's message id."""
        assert account is not None
        path, form = gupshup_request(account, message)
        url = f"{account.base_url.rstrip('/') or self._base_url}{path}"
        try:
            response = await self._client.post(url, data=form, headers={"apikey": account.secret})
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self._client.timeout.read) from exc
        if not response.is_success:
            raise gupshup_error(response)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if body.get("status") == "error":
            raise gupshup_error(response)
        message_id = body.get("messageId")
        if not message_id:
            raise SendError(code="bad_response", title="no messageId in the answer", retryable=False)
        return str(message_id)


class Sandbox:
    """Offline provider: takes every reply, then reports sent, delivered and read through the status path."""

    name = "sandbox"

    def __init__(self, *, record: StatusSink, step_seconds: float) -> None:
        self._record = record
        self._step = step_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, account: ProviderAccount | None, message: Outgoing) -> str:
        """Accepts the reply and schedules its ticks; returns a made-up id."""
        provider_message_id = f"sandbox.{uuid.uuid4().hex}"
        task = asyncio.create_task(self._progress(message.tenant, provider_message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return provider_message_id

    async def _progress(self, tenant: str, provider_message_id: str) -> None:
        for step, status in enumerate(("sent", "delivered", "read")):
            if step:
                await asyncio.sleep(self._step)
            update = StatusUpdate(
                provider=self.name,
                provider_message_id=provider_message_id,
                status=status,
                at=datetime.now(UTC),
                error_code="",
                error_title="",
                raw={"sandbox": True, "status": status},
            )
            try:
                await self._record(tenant, [update])
            except Exception:
                log.warning("sandbox could not record %s", status, exc_info=True)
                return

    async def close(self) -> None:
        """Stops the ticks still pending."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class Providers:
    """The adapters of one process, sharing one HTTP client."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        meta_base_url: str,
        gupshup_base_url: str,
        record: StatusSink,
        sandbox_step_seconds: float,
    ) -> None:
        self.meta = MetaCloud(client, base_url=meta_base_url)
        self.gupshup = Gupshup(client, base_url=gupshup_base_url)
        self.sandbox = Sandbox(record=record, step_seconds=sandbox_step_seconds)
        self._by_name: dict[str, Provider] = {p.name: p for p in (self.meta, self.gupshup, self.sandbox)}

    def get(self, name: str) -> Provider:
        """The adapter called `name`."""
        return self._by_name[name]

    async def close(self) -> None:
        """Stops background work (the sandbox's ticks)."""
        await self.sandbox.close()

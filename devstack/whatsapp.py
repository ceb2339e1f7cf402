"""Meta WhatsApp Cloud API webhook bodies as Meta sends them, signed: what `v360 demo` and the tests post."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from gateway.webhooks.signature import SIGNATURE_HEADER, sign


def wamid() -> str:
    """A fresh Meta message id."""
    return "wamid." + secrets.token_urlsafe(24)


def meta_message(
    *,
    phone_number_id: str,
    from_phone: str,
    name: str,
    kind: str = "text",
    text: str = "",
    message_id: str | None = None,
    at: float | None = None,
    **content: Any,
) -> dict[str, Any]:
    """One inbound message in a `messages` webhook: text, image, location or an interactive button reply.

    `content` is the type's own object (e.g. `image={...}`, `location={...}`, `interactive={...}`).
    """
    message: dict[str, Any] = {
        "from": from_phone,
        "id": message_id or wamid(),
        "timestamp": str(int(at if at is not None else time.time())),
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": text}
    message.update(content)
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": phone_number_id},
                            "contacts": [{"profile": {"name": name}, "wa_id": from_phone}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def button_reply(reply_id: str, title: str, *, context_id: str = "") -> dict[str, Any]:
    """The `interactive` object of a tapped reply button."""
    return {
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
        "context": {"from": "5491100000000", "id": context_id or wamid()},
    }


def signed(body: dict[str, Any], *, app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The raw bytes and headers of the POST Meta would send."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(app_secret, raw)}

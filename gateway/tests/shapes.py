"""Webhook bodies in the shapes the providers document (Meta Cloud API webhook reference, Gupshup v2/v3 events).

Each builder writes one documented shape with the values a test cares about; everything else is what the
reference pages show. Stored fixture files (gateway/tests/fixtures) keep exact bytes; these build variations.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

WHATSAPP = "whatsapp_business_account"


def now() -> str:
    """Epoch seconds now, as Meta writes a timestamp (replies are only allowed within 24 h of the lead's last)."""
    return str(int(time.time()))


def wamid() -> str:
    """A fresh WhatsApp message id."""
    return f"wamid.HBgN{secrets.token_hex(12).upper()}"


def meta_body(phone_number_id: str, field: str = "messages", **value: Any) -> dict[str, Any]:
    """The envelope: one entry, one change of `field` whose value holds metadata plus `value`."""
    return {
        "object": WHATSAPP,
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "5491150001111", "phone_number_id": phone_number_id},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def contact(wa_id: str | None, name: str = "Lucía Gómez", *, user_id: str = "", username: str = "") -> dict[str, Any]:
    """A `value.contacts[]` entry; with usernames the phone (`wa_id`) may be withheld and `user_id` names the user."""
    profile: dict[str, Any] = {"name": name}
    if username:
        profile["username"] = username
    found: dict[str, Any] = {"profile": profile}
    if wa_id is not None:
        found["wa_id"] = wa_id
    if user_id:
        found["user_id"] = user_id
    return found


def meta_message(kind: str, body: Any, *, sender: str | None, user_id: str = "", **extra: Any) -> dict[str, Any]:
    """A `value.messages[]` item of type `kind` carrying `body` as its type object."""
    message: dict[str, Any] = {"id": wamid(), "timestamp": now(), "type": kind, kind: body, **extra}
    if sender is not None:
        message["from"] = sender
    if user_id:
        message["from_user_id"] = user_id
    return message


def meta_messages(phone_number_id: str, sender: str | None, *messages: dict[str, Any], **contact_kw: Any) -> dict:
    """A messages change from one sender with its contacts entry."""
    return meta_body(phone_number_id, contacts=[contact(sender, **contact_kw)], messages=list(messages))


def text(body: str, *, sender: str | None, **extra: Any) -> dict[str, Any]:
    """A text message."""
    return meta_message("text", {"body": body}, sender=sender, **extra)


def meta_status(message_id: str, status: str, *, recipient: str = "5491155551234", **extra: Any) -> dict[str, Any]:
    """A `value.statuses[]` item."""
    return {"id": message_id, "status": status, "timestamp": now(), "recipient_id": recipient, **extra}


def gupshup_v2(app: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Gupshup v2 callback envelope (its timestamp in milliseconds)."""
    return {"app": app, "timestamp": int(time.time() * 1000), "version": 2, "type": kind, "payload": payload}


def gupshup_message(app: str, sender: str, kind: str, inner: dict[str, Any], **sender_kw: Any) -> dict[str, Any]:
    """A v2 `type: message` callback from `sender`."""
    payload = {
        "id": wamid(),
        "source": sender,
        "type": kind,
        "payload": inner,
        "sender": {"phone": sender, "name": "Lucía Gómez", "country_code": sender[:2], **sender_kw},
    }
    return gupshup_v2(app, "message", payload)


def gupshup_event(app: str, kind: str, *, gupshup_id: str, whatsapp_id: str = "", **detail: Any) -> dict[str, Any]:
    """A v2 `message-event`: `id` is Gupshup's for enqueued/failed, WhatsApp's (with `gsId`) for the others."""
    payload: dict[str, Any] = {"type": kind, "destination": "5491155551234", "payload": detail}
    if whatsapp_id:
        payload.update(id=whatsapp_id, gsId=gupshup_id)
    else:
        payload["id"] = gupshup_id
    return gupshup_v2(app, "message-event", payload)


def gupshup_v3_status(status: str, *, whatsapp_id: str, gupshup_id: str = "") -> dict[str, Any]:
    """A v3 status (Meta's envelope, `gs_app_id`); Gupshup leaves `gs_id` out of events over a week old."""
    item: dict[str, Any] = {"id": whatsapp_id, "recipient_id": "5491155551234", "status": status}
    item["timestamp"] = int(time.time() * 1000)
    if gupshup_id:
        item["gs_id"] = gupshup_id
    body = meta_body("", statuses=[item])
    body["gs_app_id"] = "82ed52f4-30c0-4f12-81b4-e7ad07bd41de"
    del body["entry"][0]["changes"][0]["value"]["metadata"]
    return body


def gupshup_user_event(app: str, kind: str, phone: str) -> dict[str, Any]:
    """A v2 `user-event` (opted-in, opted-out, sandbox-start)."""
    return gupshup_v2(app, "user-event", {"phone": phone, "type": kind})

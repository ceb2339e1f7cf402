"""Test data in one place: stored webhook bodies, per-test channel tenants, signed requests."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.webhooks.signature import sign
from tests.support.stack import Stack

FIXTURES = Path(__file__).parent / "fixtures"
# The routing values the stored bodies carry; each test swaps in its own tenant's.
FIXTURE_PHONE_NUMBER_ID = "111"
FIXTURE_GUPSHUP_APP = "AcmeApp"
JSON = {"Content-Type": "application/json"}


def fixture_bytes(provider: str, name: str) -> bytes:
    """A stored webhook body exactly as a provider would send it."""
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def fixture_json(provider: str, name: str) -> Any:
    """A stored webhook body, parsed."""
    return json.loads(fixture_bytes(provider, name))


def unique(prefix: str) -> str:
    """A value no other test uses."""
    return f"{prefix}-{secrets.token_hex(6)}"


def a_phone_number_id() -> str:
    """A Meta phone_number_id no other tenant owns."""
    return str(10**14 + secrets.randbelow(9 * 10**14))


@dataclass(frozen=True)
class ChannelTenant:
    """A tenant created for one test, with its own channel addresses and secrets."""

    slug: str
    phone_number_id: str
    # Empty: the tenant uses the gateway's shared Meta app secret.
    app_secret: str
    verify_token: str
    gupshup_token: str
    # Empty: any Gupshup app name is accepted on this tenant's token.
    gupshup_app: str


async def new_channel_tenant(stack: Stack, *, own_secret: bool = True, gupshup_app: bool = True) -> ChannelTenant:
    """Creates a tenant with random Meta and Gupshup addresses (own Meta app secret unless `own_secret=False`)."""
    tenant = ChannelTenant(
        slug="",
        phone_number_id=a_phone_number_id(),
        app_secret=unique("app-secret") if own_secret else "",
        verify_token=unique("verify") if own_secret else "",
        gupshup_token=unique("gs-token"),
        gupshup_app=unique("GsApp") if gupshup_app else "",
    )
    slug = await stack.new_tenant(
        region="AR",
        meta_phone_number_id=tenant.phone_number_id,
        meta_app_secret=tenant.app_secret,
        meta_verify_token=tenant.verify_token,
        gupshup_token=tenant.gupshup_token,
        gupshup_app=tenant.gupshup_app,
    )
    return ChannelTenant(**{**tenant.__dict__, "slug": slug})


def meta_bytes(name: str, phone_number_id: str) -> bytes:
    """A stored Meta body routed to `phone_number_id`, every other byte as stored (`\\u00e1` escapes kept)."""
    raw = fixture_bytes("meta", name)
    old = f'"phone_number_id": "{FIXTURE_PHONE_NUMBER_ID}"'.encode()
    assert raw.count(old) == 1, name
    return raw.replace(old, f'"phone_number_id": "{phone_number_id}"'.encode())


def meta_json(name: str, phone_number_id: str) -> dict[str, Any]:
    """A stored Meta body routed to `phone_number_id`, parsed for editing."""
    return json.loads(meta_bytes(name, phone_number_id))


def gupshup_bytes(name: str, app: str) -> bytes:
    """A stored Gupshup v2 body naming the app `app`, every other byte as stored."""
    raw = fixture_bytes("gupshup", name)
    old = f'"app": "{FIXTURE_GUPSHUP_APP}"'.encode()
    assert raw.count(old) == 1, name
    return raw.replace(old, f'"app": "{app}"'.encode())


def encode(body: Any) -> bytes:
    """A JSON body as Meta sends it (non-ASCII escaped)."""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def signed(body: bytes, secret: str | None, **headers: str) -> dict[str, str]:
    """JSON headers with `X-Hub-Signature-256` over `body` (none when `secret` is None)."""
    sent = {**JSON, **headers}
    if secret is not None:
        sent["X-Hub-Signature-256"] = sign(secret, body)
    return sent

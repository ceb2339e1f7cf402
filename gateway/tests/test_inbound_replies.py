"""Issue 13 end to end with a provider double: replies reach the address WhatsApp uses, statuses find their reply.

The gateway, the three services and a WhatsApp provider double speaking real HTTP on loopback, in a database
of this module's own (the double is the tenants' provider endpoint).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.tests.builders import JSON, ChannelTenant, encode, new_channel_tenant, signed
from gateway.tests.conftest import API, Gateway, serving
from gateway.tests.shapes import (
    contact,
    gupshup_event,
    gupshup_message,
    gupshup_v3_status,
    meta_body,
    meta_messages,
    meta_status,
    text,
)
from gateway.tests.stored import letters_of
from libs.common.auth import Role
from tests.support.provider_double import ProviderDouble, Recorded, running_provider_double, supervisor_env
from tests.support.servers import fresh_database, migrate_all
from tests.support.stack import running_stack
from vertice360.supervisor.v1 import supervisor_pb2 as pb

pytestmark = pytest.mark.integration


@dataclass
class World:
    gateway: Gateway
    double: ProviderDouble

    async def tenant(self, provider: str) -> tuple[ChannelTenant, str]:
        """A channel tenant whose replies go through the double; returns it and its sending account id."""
        tenant = await new_channel_tenant(self.gateway.stack)
        sender = f"{secrets.randbelow(10**12):012d}"
        account = pb.ProviderAccount(provider=provider, sender_id=sender, secret=f"key-{tenant.slug}")
        if provider == "gupshup":
            account.app_name = tenant.gupshup_app
        await self.gateway.stack.supervisor.UpsertProviderAccount(
            pb.UpsertProviderAccountRequest(account=account),
            metadata=self.gateway.stack.md(tenant.slug, Role.ADMIN),
            timeout=10,
        )
        return tenant, sender

    async def meta(self, tenant: ChannelTenant, body: Any) -> dict[str, int]:
        raw = encode(body)
        response = await self.gateway.client.post("/webhooks/meta", content=raw, headers=signed(raw, tenant.app_secret))
        assert response.status_code == 200, response.text
        return response.json()

    async def gupshup(self, tenant: ChannelTenant, body: Any) -> dict[str, int]:
        response = await self.gateway.client.post(
            f"/webhooks/gupshup/{tenant.gupshup_token}", content=encode(body), headers=JSON
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def reply(self, tenant: ChannelTenant, ticket_id: str, text: str) -> httpx.Response:
        return await self.gateway.client.post(
            f"{API}/supervisor/send",
            json={"ticket_id": ticket_id, "text": text},
            headers=self.gateway.auth(tenant.slug, Role.AGENT),
        )

    async def sent(self, account: str, count: int = 1) -> list[Recorded]:
        await self.double.wait_for(lambda: len(self.double.accepted(account)) >= count)
        return self.double.accepted(account)

    async def outbound_status(self, tenant: ChannelTenant, ticket_id: str, wanted: str, within: float = 10) -> None:
        deadline = time.monotonic() + within
        while True:
            detail = await self.gateway.ticket(tenant.slug, ticket_id)
            status = detail["outbound_messages"][0]["status"]
            if status == wanted:
                return
            assert time.monotonic() < deadline, f"reply stuck at {status}, expected {wanted}"
            await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def world(postgres_server_url: str, redis_url: str) -> AsyncIterator[World]:
    async with running_provider_double() as double:
        with fresh_database(postgres_server_url, prefix="v360_inbound") as url:
            migrate_all(url)
            async with (
                running_stack(database_url=url, redis_url=redis_url, **supervisor_env(double)) as stack,
                serving(stack) as gateway,
            ):
                yield World(gateway=gateway, double=double)


async def test_a_reply_goes_to_the_whatsapp_id_not_to_a_rewritten_number(world: World) -> None:
    tenant, account = await world.tenant("meta")
    mexico = "5215512345678"
    await world.meta(tenant, meta_messages(tenant.phone_number_id, mexico, text("hola", sender=mexico)))
    (ticket,) = await world.gateway.tickets(tenant.slug)
    assert (ticket["phone_e164"], ticket["reply_address"]) == ("+525512345678", mexico)
    assert (await world.reply(tenant, ticket["ticket_id"], "¡Hola!")).status_code == 201
    (request,) = await world.sent(account)
    assert request.json["to"] == mexico


async def test_a_lead_known_only_by_its_business_scoped_id_is_answered_by_that_id(world: World) -> None:
    tenant, account = await world.tenant("meta")
    bsuid = "AR.1349120865530274"
    body = meta_body(
        tenant.phone_number_id,
        contacts=[contact(None, "Lucía", user_id=bsuid, username="@lucia")],
        messages=[text("hola", sender=None, user_id=bsuid)],
    )
    await world.meta(tenant, body)
    (ticket,) = await world.gateway.tickets(tenant.slug)
    assert (await world.reply(tenant, ticket["ticket_id"], "¡Hola Lucía!")).status_code == 201
    (request,) = await world.sent(account)
    assert request.json["recipient"] == bsuid and "to" not in request.json


async def test_every_documented_meta_status_moves_the_reply_forward(world: World) -> None:
    tenant, account = await world.tenant("meta")
    lead = "5491155551234"
    await world.meta(tenant, meta_messages(tenant.phone_number_id, lead, text("hola", sender=lead)))
    (ticket,) = await world.gateway.tickets(tenant.slug)
    await world.reply(tenant, ticket["ticket_id"], "Te mando el audio")
    (request,) = await world.sent(account)
    await world.outbound_status(tenant, ticket["ticket_id"], "sent")
    for status, shown in (("delivered", "delivered"), ("played", "read")):
        body = meta_body(tenant.phone_number_id, statuses=[meta_status(request.message_id or "", status)])
        assert await world.meta(tenant, body) == {"received": 0, "statuses": 1, "dead_letters": 0}
        await world.outbound_status(tenant, ticket["ticket_id"], shown)
    assert await letters_of(world.gateway, tenant.slug) == []


async def test_gupshup_statuses_find_the_reply_whichever_id_they_name(world: World) -> None:
    tenant, account = await world.tenant("gupshup")
    lead = "5491155551234"
    await world.gupshup(tenant, gupshup_message(tenant.gupshup_app, lead, "text", {"text": "hola"}))
    (ticket,) = await world.gateway.tickets(tenant.slug)
    await world.reply(tenant, ticket["ticket_id"], "¡Hola!")
    (request,) = await world.sent(account)
    gupshup_id, whatsapp_id = request.message_id or "", request.whatsapp_id or ""
    await world.outbound_status(tenant, ticket["ticket_id"], "sent")

    # v3 `enqueued` (Meta's envelope): accepted, not a dead letter; the reply stays `sent`.
    enqueued = gupshup_v3_status("enqueued", whatsapp_id=whatsapp_id, gupshup_id=gupshup_id)
    assert await world.gupshup(tenant, enqueued) == {"received": 0, "statuses": 1, "dead_letters": 0}
    # v2 `delivered` names WhatsApp's id with Gupshup's as gsId: the reply learns the pair.
    delivered = gupshup_event(tenant.gupshup_app, "delivered", gupshup_id=gupshup_id, whatsapp_id=whatsapp_id, ts=1)
    assert await world.gupshup(tenant, delivered) == {"received": 0, "statuses": 1, "dead_letters": 0}
    await world.outbound_status(tenant, ticket["ticket_id"], "delivered")
    # A v3 `read` more than a week later names only the WhatsApp id: it still finds the reply.
    read = gupshup_v3_status("read", whatsapp_id=whatsapp_id)
    assert await world.gupshup(tenant, read) == {"received": 0, "statuses": 1, "dead_letters": 0}
    await world.outbound_status(tenant, ticket["ticket_id"], "read")
    assert await letters_of(world.gateway, tenant.slug) == []


async def test_a_gupshup_status_naming_only_whatsapps_id_before_any_pairing_waits_for_the_pair(world: World) -> None:
    tenant, account = await world.tenant("gupshup")
    lead = "5491155551234"
    await world.gupshup(tenant, gupshup_message(tenant.gupshup_app, lead, "text", {"text": "hola"}))
    (ticket,) = await world.gateway.tickets(tenant.slug)
    await world.reply(tenant, ticket["ticket_id"], "¡Hola!")
    (request,) = await world.sent(account)
    await world.outbound_status(tenant, ticket["ticket_id"], "sent")
    # Out of order: `read` by WhatsApp's id alone arrives first and is kept; the pairing `sent` applies it.
    await world.gupshup(tenant, gupshup_v3_status("read", whatsapp_id=request.whatsapp_id or ""))
    paired = gupshup_v3_status("sent", whatsapp_id=request.whatsapp_id or "", gupshup_id=request.message_id or "")
    await world.gupshup(tenant, paired)
    await world.outbound_status(tenant, ticket["ticket_id"], "read")

"""IngestService over real gRPC and Postgres: exactly-once storage, tenants, catalog, tickets."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2

from libs.common.auth import Role
from tests.support.builders import a_phone, inbound
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2 as pb

pytestmark = pytest.mark.integration


async def counts(stack: Stack, tenant: str, ticket_id: str) -> tuple[int, int]:
    reply = await stack.ingest.GetTicket(
        pb.GetTicketRequest(ticket_id=ticket_id), metadata=stack.md(tenant), timeout=10
    )
    return len(reply.messages), len([e for e in reply.events if e.type == "message.received"])


async def test_same_delivery_twenty_times_concurrently_stores_once(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    request = inbound(a_phone(), "Quiero info", wamid="wamid.HBgNNTQ5MTE1NTU1MTIzNBUCABIYFjNFQjA")
    replies = await asyncio.gather(
        *(stack.ingest.IngestMessage(request, metadata=stack.md(tenant), timeout=10) for _ in range(20))
    )
    assert sum(not r.duplicate for r in replies) == 1
    assert len({r.message_id for r in replies}) == 1
    assert await counts(stack, tenant, replies[0].ticket_id) == (1, 1)


async def test_fifty_concurrent_first_messages_make_one_thread(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    replies = await asyncio.gather(
        *(
            stack.ingest.IngestMessage(inbound(phone, f"mensaje {i}"), metadata=stack.md(tenant), timeout=20)
            for i in range(50)
        )
    )
    assert len({r.lead_id for r in replies}) == 1
    assert len({r.conversation_id for r in replies}) == 1
    assert len({r.ticket_id for r in replies}) == 1
    assert not any(r.duplicate for r in replies)
    assert await counts(stack, tenant, replies[0].ticket_id) == (50, 50)


async def test_one_person_is_one_lead_whatever_form_of_the_number_arrives(stack: Stack) -> None:
    tenant = await stack.new_tenant(region="AR")
    md = stack.md(tenant)
    first = await stack.ingest.IngestMessage(inbound("541155551234"), metadata=md, timeout=10)
    second = await stack.ingest.IngestMessage(inbound("5491155551234"), metadata=md, timeout=10)
    typed = await stack.ingest.IngestMessage(
        inbound("011 15 5555-1234", provider=pb.PROVIDER_MANUAL), metadata=md, timeout=10
    )
    assert first.phone_e164 == second.phone_e164 == typed.phone_e164 == "+5491155551234"
    assert first.lead_id == second.lead_id == typed.lead_id
    # Replies go where WhatsApp keys the account: the last id it used.
    assert (first.reply_address, second.reply_address) == ("541155551234", "5491155551234")


async def test_out_of_order_messages_keep_the_newest_snippet(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    phone = a_phone()
    now = datetime.now(UTC)
    newer = await stack.ingest.IngestMessage(inbound(phone, "segundo", at=now), metadata=stack.md(tenant), timeout=10)
    await stack.ingest.IngestMessage(
        inbound(phone, "primero", at=now - timedelta(minutes=5)), metadata=stack.md(tenant), timeout=10
    )
    ticket = await stack.ingest.GetTicket(
        pb.GetTicketRequest(ticket_id=newer.ticket_id), metadata=stack.md(tenant), timeout=10
    )
    assert ticket.ticket.last_message_snippet == "segundo"
    assert [m.text for m in ticket.messages] == ["primero", "segundo"]
    assert all(e.correlation_id == newer.ticket_id for e in ticket.events)
    assert ticket.ticket.unread_count == 2


async def test_first_message_naming_an_asset_attributes_the_project(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    await stack.ingest.UpsertProject(
        pb.UpsertProjectRequest(project=pb.Project(code="PALERMO-01", name="Palermo Soho")), metadata=md, timeout=10
    )
    await stack.ingest.UpsertMarketingAsset(
        pb.UpsertMarketingAssetRequest(
            asset=pb.MarketingAsset(
                code="FB-PAL-01", name="Facebook Palermo", keyword="palermo soho", project_code="PALERMO-01"
            )
        ),
        metadata=md,
        timeout=10,
    )
    stored = await stack.ingest.IngestMessage(
        inbound(a_phone(), "Hola! Vi el aviso de Palermo Soho, precio?"), metadata=md, timeout=10
    )
    ticket = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=stored.ticket_id), metadata=md, timeout=10)
    assert ticket.ticket.project_code == "PALERMO-01"
    plain = await stack.ingest.IngestMessage(inbound(a_phone(), "Hola"), metadata=md, timeout=10)
    other = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=plain.ticket_id), metadata=md, timeout=10)
    assert other.ticket.project_code == ""


async def test_another_tenants_ticket_is_not_found(stack: Stack) -> None:
    owner, intruder = await stack.new_tenant(), await stack.new_tenant()
    stored = await stack.ingest.IngestMessage(inbound(a_phone()), metadata=stack.md(owner), timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.ingest.GetTicket(
            pb.GetTicketRequest(ticket_id=stored.ticket_id), metadata=stack.md(intruder, Role.ADMIN), timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await stack.ingest.ListTickets(
        pb.ListTicketsRequest(), metadata=stack.md(intruder, Role.AGENT), timeout=10
    )
    assert list(listed.tickets) == []


async def test_bad_input_is_invalid_argument_and_stores_nothing(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    cases = [
        (inbound("no es un teléfono"), "from_phone"),
        (inbound(a_phone(), "x" * 5000), "text"),
        (inbound(a_phone(), provider=pb.PROVIDER_UNSPECIFIED), "provider"),
        (inbound(a_phone(), wamid="w" * 300), "provider_message_id"),
        (inbound(a_phone(), project_code="NOPE"), "project_code"),
    ]
    for request, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.ingest.IngestMessage(request, metadata=md, timeout=10)
        assert exc.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
        assert dict(exc.value.trailing_metadata() or ())["x-error-field"] == field
    listed = await stack.ingest.ListTickets(pb.ListTicketsRequest(), metadata=md, timeout=10)
    assert list(listed.tickets) == []


async def test_calls_without_a_valid_token_are_unauthenticated(stack: Stack) -> None:
    for metadata in [(), (("authorization", "Bearer nope"),), stack.md("x")[:0]]:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await stack.ingest.ListTickets(pb.ListTicketsRequest(), metadata=metadata, timeout=10)
        assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_system_rpcs_refuse_tenant_callers(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.ingest.ListTenants(pb.ListTenantsRequest(), metadata=stack.md(tenant), timeout=10)
    assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_resolve_channel_routes_by_phone_number_id(stack: Stack) -> None:
    pnid_a, pnid_b = str(secrets.randbelow(10**15)), str(secrets.randbelow(10**15))
    a = await stack.new_tenant(meta_phone_number_id=pnid_a, meta_app_secret="secret-a")
    b = await stack.new_tenant(meta_phone_number_id=pnid_b)
    for pnid, slug in ((pnid_a, a), (pnid_b, b)):
        reply = await stack.ingest.ResolveChannel(
            pb.ResolveChannelRequest(meta_phone_number_id=pnid), metadata=stack.system_md(), timeout=10
        )
        assert reply.tenant.slug == slug
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.ingest.ResolveChannel(
            pb.ResolveChannelRequest(meta_phone_number_id="999"), metadata=stack.system_md(), timeout=10
        )
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.new_tenant(meta_phone_number_id=pnid_a)
    assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_ticket_list_paginates_newest_first(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    base = datetime.now(UTC) - timedelta(hours=1)
    for i in range(5):
        await stack.ingest.IngestMessage(
            inbound(a_phone(), f"m{i}", at=base + timedelta(minutes=i)), metadata=md, timeout=10
        )
    seen: list[str] = []
    token = ""
    while True:
        page = await stack.ingest.ListTickets(
            pb.ListTicketsRequest(page_size=2, page_token=token), metadata=md, timeout=10
        )
        seen += [t.last_message_snippet for t in page.tickets]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


async def test_ticket_update_applies_once_per_dedupe_key(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    stored = await stack.ingest.IngestMessage(inbound(a_phone()), metadata=md, timeout=10)
    when = timestamp_pb2.Timestamp()
    when.FromDatetime(datetime(2030, 1, 2, 15, 0, tzinfo=UTC))
    update = pb.ApplyTicketUpdateRequest(
        ticket_id=stored.ticket_id,
        dedupe_key="visit.confirmed:abc",
        event_type="visit.confirmed",
        stage="Visita confirmada",
        visit_scheduled_at=when,
    )
    replies = await asyncio.gather(*(stack.ingest.ApplyTicketUpdate(update, metadata=md, timeout=10) for _ in range(5)))
    assert sum(r.applied for r in replies) == 1
    ticket = await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=stored.ticket_id), metadata=md, timeout=10)
    assert ticket.ticket.stage == "Visita confirmada"
    assert ticket.ticket.visit_scheduled_at.ToDatetime(tzinfo=UTC) == datetime(2030, 1, 2, 15, 0, tzinfo=UTC)
    assert [e.type for e in ticket.events].count("visit.confirmed") == 1


async def test_dead_letters_are_kept_and_listable(stack: Stack) -> None:
    marker = secrets.token_hex(6)
    request = pb.RecordDeadLetterRequest(source="meta", reason="unknown phone_number_id", payload=f'{{"m":"{marker}"}}')
    first = await stack.ingest.RecordDeadLetter(request, metadata=stack.system_md(), timeout=10)
    again = await stack.ingest.RecordDeadLetter(request, metadata=stack.system_md(), timeout=10)
    assert first.id == again.id
    listed = await stack.ingest.ListDeadLetters(
        pb.ListDeadLettersRequest(page_size=50), metadata=stack.system_md(), timeout=10
    )
    assert any(marker in d.payload and d.reason == "unknown phone_number_id" for d in listed.dead_letters)


async def test_asset_codes_match_whole_words_only(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    md = stack.md(tenant)
    await stack.ingest.UpsertProject(
        pb.UpsertProjectRequest(project=pb.Project(code="NUNEZ-01", name="Núñez Lofts")), metadata=md, timeout=10
    )
    await stack.ingest.UpsertMarketingAsset(
        pb.UpsertMarketingAssetRequest(asset=pb.MarketingAsset(code="A1", name="Cartel A1", project_code="NUNEZ-01")),
        metadata=md,
        timeout=10,
    )
    inside = await stack.ingest.IngestMessage(inbound(a_phone(), "Busco casa1 con patio"), metadata=md, timeout=10)
    named = await stack.ingest.IngestMessage(inbound(a_phone(), "Vi el cartel A1, info?"), metadata=md, timeout=10)
    projects = [
        (
            await stack.ingest.GetTicket(pb.GetTicketRequest(ticket_id=r.ticket_id), metadata=md, timeout=10)
        ).ticket.project_code
        for r in (inside, named)
    ]
    assert projects == ["", "NUNEZ-01"]


async def test_values_the_database_cannot_hold_are_invalid_argument(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.ingest.IngestMessage(inbound(a_phone(), "hola\x00mundo"), metadata=stack.md(tenant), timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    listed = await stack.ingest.ListTickets(pb.ListTicketsRequest(), metadata=stack.md(tenant), timeout=10)
    assert list(listed.tickets) == []


async def test_whatsapp_ids_are_international(stack: Stack) -> None:
    tenant = await stack.new_tenant(region="AR")
    meta = await stack.ingest.IngestMessage(inbound("2975601234"), metadata=stack.md(tenant), timeout=10)
    typed = await stack.ingest.IngestMessage(
        inbound("1155551234", provider=pb.PROVIDER_MANUAL), metadata=stack.md(tenant), timeout=10
    )
    assert (meta.phone_e164, typed.phone_e164) == ("+2975601234", "+5491155551234")


async def test_people_may_ingest_only_on_the_manual_channel(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    phone, wamid = a_phone(), f"wamid.{secrets.token_hex(8)}"
    denied = grpc.StatusCode.PERMISSION_DENIED
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        person = stack.md(tenant, role, "user-1")
        for provider in (pb.PROVIDER_META, pb.PROVIDER_GUPSHUP):
            forged = inbound(phone, "no lo escribí yo", wamid=wamid, provider=provider)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stack.ingest.IngestMessage(forged, metadata=person, timeout=10)
            assert refused.value.code() == denied
            batch = await stack.ingest.IngestMessages(
                pb.IngestMessagesRequest(messages=[forged.message]), metadata=person, timeout=10
            )
            (outcome,) = batch.outcomes
            assert (outcome.error.code, outcome.error.field) == (denied.value[0], "provider")
    # The genuine message, from the gateway's service identity, is stored, not dropped as a duplicate.
    genuine = await stack.ingest.IngestMessage(
        inbound(phone, "hola", wamid=wamid), metadata=stack.md(tenant), timeout=10
    )
    assert not genuine.duplicate
    assert await counts(stack, tenant, genuine.ticket_id) == (1, 1)
    # People still type a lead's message in by hand.
    typed = inbound(phone, "me llamó por teléfono", provider=pb.PROVIDER_MANUAL)
    manual = await stack.ingest.IngestMessage(typed, metadata=stack.md(tenant, Role.AGENT, "user-1"), timeout=10)
    assert not manual.duplicate

"""Tenant isolation: another tenant's rows can't be read or changed, through the gateway or straight over gRPC.

Tenant B owns a ticket with an active visit proposal (and the reply that proposal sent its lead); tenant A's
callers try to read and write them. Every attempt is refused as "not found" (or an empty list), never with B's data, and
B's ticket, timeline and visits stay exactly as they were.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from libs.common.auth import Role, issue_token
from libs.common.clients import metadata_for
from tests.support.builders import a_phone, inbound, timestamp, tomorrow_at
from tests.support.gateway import PREFIX, Api
from tests.support.stack import Stack, running_stack
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

pytestmark = pytest.mark.integration

ERROR_KEYS = {"code", "message", "details"}


@dataclass
class Owner:
    """Tenant B and what it owns."""

    tenant: str
    phone: str
    ticket_id: str
    proposal_id: str
    agent: str


@dataclass
class Pair:
    """An attacker tenant `a` and the owner of the rows, `b`."""

    a: str
    b: Owner


async def ingest_http(api: Api, tenant: str, phone: str, text: str = "Hola, quiero visitar") -> str:
    reply = await api.client.post(
        f"{PREFIX}/ingest_message", json={"phone": phone, "text": text, "name": "Lucía"}, headers=api.auth(tenant)
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["ticket_id"])


async def propose_http(api: Api, tenant: str, ticket_id: str, hour: int, agent: str) -> str:
    reply = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket_id, "starts_at": tomorrow_at(hour, days=3).isoformat()},
        headers=api.auth(tenant, Role.AGENT, agent),
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["proposal"]["id"])


@pytest.fixture
async def pair(api: Api) -> Pair:
    """Two fresh tenants; B has a ticket with a proposed visit, A has a ticket of its own."""
    a, b = await api.stack.new_tenant(), await api.stack.new_tenant()
    phone = a_phone()
    ticket_id = await ingest_http(api, b, phone, "Soy de B, quiero visitar Palermo")
    agent = await api.stack.new_user(b)
    proposal_id = await propose_http(api, b, ticket_id, hour=14, agent=agent)
    await ingest_http(api, a, a_phone(), "Soy de A")
    return Pair(a=a, b=Owner(tenant=b, phone=phone, ticket_id=ticket_id, proposal_id=proposal_id, agent=agent))


async def owner_view(stack: Stack, owner: Owner) -> dict[str, Any]:
    """B's ticket, timeline and visits as B sees them over gRPC."""
    md = stack.md(owner.tenant)
    detail = await stack.ingest.GetTicket(
        ingest_pb2.GetTicketRequest(ticket_id=owner.ticket_id), metadata=md, timeout=10
    )
    visits = await stack.visits.ListVisits(
        visits_pb2.ListVisitsRequest(ticket_id=owner.ticket_id), metadata=md, timeout=10
    )
    ticket = detail.ticket
    return {
        "stage": ticket.stage,
        "visit_scheduled_at": ticket.visit_scheduled_at.ToJsonString() if ticket.HasField("visit_scheduled_at") else "",
        "assignee": ticket.assignee_user_id,
        "snippet": ticket.last_message_snippet,
        "messages": [(m.id, m.direction, m.text) for m in detail.messages],
        "events": [(e.id, e.type) for e in detail.events],
        "proposals": [(p.id, p.status, p.starts_at.ToJsonString()) for p in visits.proposals],
        "confirmations": [c.id for c in visits.confirmations],
    }


async def outbound_ids(stack: Stack, owner: Owner) -> list[str]:
    """Ids of the replies to B's lead, as B's supervisor lists them."""
    listed = await stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=owner.ticket_id),
        metadata=stack.md(owner.tenant),
        timeout=10,
    )
    return [m.id for m in listed.messages]


async def rpc_code(call: Awaitable[Any]) -> grpc.StatusCode:
    """The status code a unary call ends with."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def assert_error(reply: Any, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == ERROR_KEYS, body
    assert body["error"]["code"] == code, body


# --- over HTTP, through the gateway ---------------------------------------------------------------------------------


async def test_dashboard_of_another_cliente_is_403_and_lists_nothing_of_it(api: Api, pair: Pair) -> None:
    for role in (Role.ADMIN, Role.AGENT):
        reply = await api.client.get(
            f"{PREFIX}/dashboard", params={"cliente": pair.b.tenant}, headers=api.auth(pair.a, role)
        )
        assert_error(reply, 403, "PERMISSION_DENIED")
        assert pair.b.ticket_id not in reply.text
    # A's own dashboard, even searching for B's lead, never shows B's ticket.
    for params in ({}, {"q": pair.b.phone}, {"q": pair.b.phone[-8:]}, {"q": "Lucía"}):
        own = await api.client.get(
            f"{PREFIX}/dashboard", params={"cliente": pair.a, **params}, headers=api.auth(pair.a)
        )
        assert own.status_code == 200, own.text
        assert pair.b.ticket_id not in own.text
        assert pair.b.phone not in own.text


async def test_another_tenants_ticket_is_404_and_gives_nothing_away(api: Api, pair: Pair) -> None:
    reply = await api.client.get(f"{PREFIX}/tickets/{pair.b.ticket_id}", headers=api.auth(pair.a))
    assert_error(reply, 404, "NOT_FOUND")
    # Exactly what an id that exists nowhere gets: nothing tells A that B's ticket exists.
    unknown = await api.client.get(f"{PREFIX}/tickets/{uuid.uuid4()}", headers=api.auth(pair.a))
    assert reply.json() == unknown.json()
    for secret in (pair.b.phone, pair.b.phone[-6:], "Palermo", pair.b.proposal_id, pair.b.tenant):
        assert secret not in reply.text
    owners = await api.client.get(f"{PREFIX}/tickets/{pair.b.ticket_id}", headers=api.auth(pair.b.tenant))
    assert owners.status_code == 200, owners.text


VISIT_STEPS: dict[str, Callable[[Owner], tuple[str, dict[str, Any]]]] = {
    "propose": lambda b: ("propose", {"ticket_id": b.ticket_id, "starts_at": tomorrow_at(10, days=4).isoformat()}),
    # Naming the project spares visits its own ticket lookup; the tenant check must hold all the same.
    "propose with project": lambda b: (
        "propose",
        {"ticket_id": b.ticket_id, "starts_at": tomorrow_at(11, days=4).isoformat(), "project_code": "PALERMO-01"},
    ),
    "confirm proposal": lambda b: ("confirm", {"proposal_id": b.proposal_id}),
    "confirm ticket": lambda b: ("confirm", {"ticket_id": b.ticket_id}),
    "reschedule": lambda b: (
        "reschedule",
        {"proposal_id": b.proposal_id, "starts_at": tomorrow_at(16, days=5).isoformat()},
    ),
    "cancel": lambda b: ("cancel", {"proposal_id": b.proposal_id, "reason": "no"}),
}


@pytest.mark.parametrize("step", list(VISIT_STEPS))
async def test_visit_steps_on_another_tenants_ticket_are_404_and_change_nothing(
    api: Api, pair: Pair, step: str
) -> None:
    before = await owner_view(api.stack, pair.b)
    path, body = VISIT_STEPS[step](pair.b)
    for role in (Role.AGENT, Role.ADMIN):
        reply = await api.client.post(
            f"{PREFIX}/visit/{path}", json=body, headers=api.auth(pair.a, role, f"agente-{pair.a}")
        )
        assert_error(reply, 404, "NOT_FOUND")
        assert pair.b.phone not in reply.text
    assert await owner_view(api.stack, pair.b) == before
    # Nor was anything stored on A's side under B's ticket id.
    mine = await api.stack.visits.ListVisits(
        visits_pb2.ListVisitsRequest(ticket_id=pair.b.ticket_id), metadata=api.stack.md(pair.a), timeout=10
    )
    assert list(mine.proposals) == []
    assert list(mine.confirmations) == []


@pytest.mark.parametrize("step", ["send", "send template", "assign", "escalate"])
async def test_supervisor_steps_on_another_tenants_ticket_are_404_and_change_nothing(
    api: Api, pair: Pair, step: str
) -> None:
    # A has an active supervisor, so assignment and escalation get as far as looking for the ticket.
    boss = await a_user(api.stack, pair.a, "jefa", supervisor_pb2.ROLE_SUPERVISOR)
    before = await owner_view(api.stack, pair.b)
    replies_before = await outbound_ids(api.stack, pair.b)
    path, body = {
        "send": ("send", {"ticket_id": pair.b.ticket_id, "text": "Hola, soy A"}),
        "send template": ("send", {"ticket_id": pair.b.ticket_id, "template": {"name": "visita", "parameters": ["x"]}}),
        "assign": ("assign", {"ticket_id": pair.b.ticket_id, "user_id": boss.id}),
        "escalate": ("escalate", {"ticket_id": pair.b.ticket_id, "reason": "lo toma A"}),
    }[step]
    for role, user_id in ((Role.SUPERVISOR, boss.id), (Role.ADMIN, "admin-a")):
        reply = await api.client.post(
            f"{PREFIX}/supervisor/{path}",
            json=body,
            headers={**api.auth(pair.a, role, user_id), "Idempotency-Key": f"a-{secrets.token_hex(4)}"},
        )
        assert_error(reply, 404, "NOT_FOUND")
        assert pair.b.phone not in reply.text
    assert await owner_view(api.stack, pair.b) == before
    assert await outbound_ids(api.stack, pair.b) == replies_before


async def test_ingest_message_for_another_cliente_is_403_and_stores_nothing(api: Api, pair: Pair) -> None:
    before = await owner_view(api.stack, pair.b)
    for phone in (pair.b.phone, a_phone()):
        reply = await api.client.post(
            f"{PREFIX}/ingest_message",
            json={"phone": phone, "text": "mensaje colado", "cliente": pair.b.tenant},
            headers=api.auth(pair.a),
        )
        assert_error(reply, 403, "PERMISSION_DENIED")
    assert await owner_view(api.stack, pair.b) == before
    for tenant in (pair.a, pair.b.tenant):
        listed = await api.client.get(f"{PREFIX}/dashboard", params={"cliente": tenant}, headers=api.auth(tenant))
        assert listed.status_code == 200, listed.text
        assert "mensaje colado" not in listed.text
        assert len(listed.json()["tickets"]) == 1


async def test_gateway_refuses_forged_and_expired_tokens(api: Api, pair: Pair) -> None:
    forged = issue_token("another-secret-" + "y" * 32, tenant=pair.b.tenant, role=Role.ADMIN, user_id="x")
    expired = issue_token(api.stack.secret, tenant=pair.b.tenant, role=Role.ADMIN, user_id="x", ttl_seconds=-60)
    for token in (forged, expired):
        headers = {"Authorization": f"Bearer {token}"}
        for reply in (
            await api.client.get(f"{PREFIX}/tickets/{pair.b.ticket_id}", headers=headers),
            await api.client.get(f"{PREFIX}/dashboard", params={"cliente": pair.b.tenant}, headers=headers),
            await api.client.post(f"{PREFIX}/visit/cancel", json={"proposal_id": pair.b.proposal_id}, headers=headers),
        ):
            assert_error(reply, 401, "UNAUTHENTICATED")
            assert pair.b.phone not in reply.text


# --- straight over gRPC, with tenant A's token ------------------------------------------------------------------------


async def test_ingest_never_reads_or_writes_another_tenants_ticket(stack: Stack, pair: Pair) -> None:
    before = await owner_view(stack, pair.b)
    md = stack.md(pair.a)  # `service`: the strongest role a tenant token can carry.
    b_ticket = pair.b.ticket_id

    read = stack.ingest.GetTicket(ingest_pb2.GetTicketRequest(ticket_id=b_ticket), metadata=md, timeout=10)
    assert await rpc_code(read) == grpc.StatusCode.NOT_FOUND
    for query in ("", pair.b.phone, pair.b.phone[-8:], "Lucía"):
        listed = await stack.ingest.ListTickets(
            ingest_pb2.ListTicketsRequest(page_size=200, query=query), metadata=md, timeout=10
        )
        assert b_ticket not in {t.id for t in listed.tickets}
        assert pair.b.phone not in {t.phone_e164 for t in listed.tickets}
    update = ingest_pb2.ApplyTicketUpdateRequest(
        ticket_id=b_ticket,
        dedupe_key=f"attack:{secrets.token_hex(4)}",
        event_type="ticket.assigned",
        event_payload=json_format.ParseDict({"by": "A"}, struct_pb2.Struct()),
        stage="Visita confirmada",
        visit_scheduled_at=timestamp(tomorrow_at(9)),
        assignee_user_id="intruso",
    )
    assert await rpc_code(stack.ingest.ApplyTicketUpdate(update, metadata=md, timeout=10)) == grpc.StatusCode.NOT_FOUND
    append = ingest_pb2.AppendOutboundMessageRequest(
        ticket_id=b_ticket,
        dedupe_key=f"attack:{secrets.token_hex(4)}",
        actor=ingest_pb2.ACTOR_AGENT,
        author_user_id="intruso",
        text="mensaje de A en el ticket de B",
        type=ingest_pb2.MESSAGE_TYPE_TEXT,
    )
    appended = stack.ingest.AppendOutboundMessage(append, metadata=md, timeout=10)
    assert await rpc_code(appended) == grpc.StatusCode.NOT_FOUND
    assert await owner_view(stack, pair.b) == before
    # A's own tickets are untouched by the refused writes too.
    own = await stack.ingest.ListTickets(ingest_pb2.ListTicketsRequest(), metadata=md, timeout=10)
    assert [t.assignee_user_id for t in own.tickets] == [""]


async def test_visits_never_read_or_change_another_tenants_proposals(stack: Stack, pair: Pair) -> None:
    before = await owner_view(stack, pair.b)
    b = pair.b
    for md in (stack.md(pair.a), stack.md(pair.a, Role.AGENT, f"agente-{pair.a}")):
        listed = await stack.visits.ListVisits(
            visits_pb2.ListVisitsRequest(ticket_id=b.ticket_id), metadata=md, timeout=10
        )
        assert (list(listed.proposals), list(listed.confirmations)) == ([], [])
        calls = {
            "propose": stack.visits.ProposeVisit(
                visits_pb2.ProposeVisitRequest(
                    ticket_id=b.ticket_id, agent_user_id="agente-a", starts_at=timestamp(tomorrow_at(12, days=6))
                ),
                metadata=md,
                timeout=10,
            ),
            "confirm proposal": stack.visits.ConfirmVisit(
                visits_pb2.ConfirmVisitRequest(proposal_id=b.proposal_id, channel="dashboard"), metadata=md, timeout=10
            ),
            "confirm ticket": stack.visits.ConfirmVisit(
                visits_pb2.ConfirmVisitRequest(ticket_id=b.ticket_id, channel="dashboard"), metadata=md, timeout=10
            ),
            "reschedule": stack.visits.RescheduleVisit(
                visits_pb2.RescheduleVisitRequest(
                    proposal_id=b.proposal_id, starts_at=timestamp(tomorrow_at(17, days=6)), duration_minutes=30
                ),
                metadata=md,
                timeout=10,
            ),
            "cancel": stack.visits.CancelVisit(
                visits_pb2.CancelVisitRequest(proposal_id=b.proposal_id, reason="A says no"), metadata=md, timeout=10
            ),
        }
        codes = {name: await rpc_code(call) for name, call in calls.items()}
        assert codes == dict.fromkeys(calls, grpc.StatusCode.NOT_FOUND)
    assert await owner_view(stack, pair.b) == before


async def test_propose_with_a_project_code_checks_the_ticket_and_never_blocks_its_owner(api: Api) -> None:
    a, b = await api.stack.new_tenant(), await api.stack.new_tenant()
    ticket_id = await ingest_http(api, b, a_phone())
    agent_a, agent_b = await api.stack.new_user(a), await api.stack.new_user(b)
    md = api.stack.md(a, Role.AGENT, agent_a)
    code = await rpc_code(
        api.stack.visits.ProposeVisit(
            visits_pb2.ProposeVisitRequest(
                ticket_id=ticket_id,
                agent_user_id=agent_a,
                starts_at=timestamp(tomorrow_at(13, days=6)),
                project_code="PALERMO-01",
            ),
            metadata=md,
            timeout=10,
        )
    )
    # B can still propose a visit on its own ticket, whatever A tried.
    owners = await api.client.post(
        f"{PREFIX}/visit/propose",
        json={"ticket_id": ticket_id, "starts_at": tomorrow_at(15, days=6).isoformat()},
        headers=api.auth(b, Role.AGENT, agent_b),
    )
    assert (code, owners.status_code) == (grpc.StatusCode.NOT_FOUND, 201), owners.text


async def test_propose_while_ingest_is_down_never_takes_another_tenants_ticket(
    database_url: str, redis_url: str
) -> None:
    # A stack of its own, so stopping its ingest disturbs no other test.
    async with running_stack(database_url=database_url, redis_url=redis_url) as own:
        a, b = await own.new_tenant(), await own.new_tenant()
        stored = await own.ingest.IngestMessage(inbound(a_phone()), metadata=own.md(b), timeout=10)
        agent_a, agent_b = await own.new_user(a), await own.new_user(b)
        propose = visits_pb2.ProposeVisitRequest(
            ticket_id=stored.ticket_id, agent_user_id=agent_a, starts_at=timestamp(tomorrow_at(13, days=7))
        )
        await own.stop_service("ingest")
        try:
            code = await rpc_code(own.visits.ProposeVisit(propose, metadata=own.md(a, Role.AGENT, "a"), timeout=10))
        finally:
            await own.start_service("ingest")
        owners = await rpc_code(
            own.visits.ProposeVisit(
                visits_pb2.ProposeVisitRequest(
                    ticket_id=stored.ticket_id, agent_user_id=agent_b, starts_at=timestamp(tomorrow_at(15, days=7))
                ),
                metadata=own.md(b, Role.AGENT, "b"),
                timeout=10,
            )
        )
        # While ingest is down visits can't tell whose ticket it is, so A's proposal may be stored
        # (the issue wants proposals to survive an ingest outage) — but only in A's own namespace:
        # it never blocks B, and once ingest answers "not found" it is cancelled, freeing A's agent.
        assert code in {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND}, code
        assert owners == grpc.StatusCode.OK
        if code == grpc.StatusCode.OK:
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                listed = await own.visits.ListVisits(
                    visits_pb2.ListVisitsRequest(ticket_id=stored.ticket_id), metadata=own.md(a, Role.AGENT), timeout=10
                )
                if [p.status for p in listed.proposals] == [visits_pb2.PROPOSAL_STATUS_CANCELLED]:
                    break
                assert asyncio.get_running_loop().time() < deadline, listed
                await asyncio.sleep(0.2)


async def a_user(stack: Stack, tenant: str, name: str, role: int) -> supervisor_pb2.User:
    reply = await stack.supervisor.UpsertUser(
        supervisor_pb2.UpsertUserRequest(
            user=supervisor_pb2.User(name=name, email=f"{name}.{tenant}@example.com", role=role, active=True)
        ),
        metadata=stack.md(tenant, Role.ADMIN, "admin-1"),
        timeout=10,
    )
    return reply.user


async def test_supervisor_lists_only_the_callers_users(stack: Stack, pair: Pair) -> None:
    mine = {(await a_user(stack, pair.a, f"ana{i}", supervisor_pb2.ROLE_AGENT)).id for i in range(2)}
    theirs = {
        (await a_user(stack, pair.b.tenant, "beto", supervisor_pb2.ROLE_AGENT)).id,
        (await a_user(stack, pair.b.tenant, "bea", supervisor_pb2.ROLE_SUPERVISOR)).id,
        pair.b.agent,
    }
    for md in (stack.md(pair.a), stack.md(pair.a, Role.AGENT, "ana")):
        listed = await stack.supervisor.ListUsers(
            supervisor_pb2.ListUsersRequest(include_inactive=True), metadata=md, timeout=10
        )
        assert {u.id for u in listed.users} == mine
        assert not any(pair.b.tenant in u.email for u in listed.users)
    listed = await stack.supervisor.ListUsers(
        supervisor_pb2.ListUsersRequest(), metadata=stack.md(pair.b.tenant), timeout=10
    )
    assert {u.id for u in listed.users} == theirs


async def test_supervisor_never_shows_or_writes_another_tenants_replies(stack: Stack, pair: Pair) -> None:
    b = pair.b
    sent = await rpc_code(
        stack.supervisor.SendReply(
            supervisor_pb2.SendReplyRequest(ticket_id=b.ticket_id, text="Hola de B", idempotency_key="b-1"),
            metadata=stack.md(b.tenant, Role.AGENT, "agente-b"),
            timeout=10,
        )
    )
    if sent == grpc.StatusCode.UNIMPLEMENTED:
        # supervisor.SendReply is still being built (issue 5): B has no reply of its own to leak yet.
        pytest.skip("supervisor SendReply is UNIMPLEMENTED on this build")
    assert sent == grpc.StatusCode.OK
    theirs = await stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=b.ticket_id), metadata=stack.md(b.tenant), timeout=10
    )
    # B's reply, next to the visit proposal the relay already sent to B's lead.
    assert "Hola de B" in [m.text for m in theirs.messages]
    before = await owner_view(stack, b)

    intruder = await a_user(stack, pair.a, "ana", supervisor_pb2.ROLE_AGENT)
    md = stack.md(pair.a, Role.SUPERVISOR, intruder.id)
    listed = await stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=b.ticket_id), metadata=md, timeout=10
    )
    assert list(listed.messages) == []
    codes = {
        "send": await rpc_code(
            stack.supervisor.SendReply(
                supervisor_pb2.SendReplyRequest(ticket_id=b.ticket_id, text="Hola de A", idempotency_key="a-1"),
                metadata=md,
                timeout=10,
            )
        ),
        # B's key from A: a different tenant's key space, so it can't replay B's reply either.
        "replay": await rpc_code(
            stack.supervisor.SendReply(
                supervisor_pb2.SendReplyRequest(ticket_id=b.ticket_id, text="Hola de B", idempotency_key="b-1"),
                metadata=md,
                timeout=10,
            )
        ),
        "assign": await rpc_code(
            stack.supervisor.AssignTicket(
                supervisor_pb2.AssignTicketRequest(ticket_id=b.ticket_id, user_id=intruder.id), metadata=md, timeout=10
            )
        ),
    }
    assert codes == dict.fromkeys(codes, grpc.StatusCode.NOT_FOUND)
    after = await stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=b.ticket_id), metadata=stack.md(b.tenant), timeout=10
    )
    assert [m.id for m in after.messages] == [m.id for m in theirs.messages]
    assert await owner_view(stack, b) == before


# --- authentication and roles on every service ------------------------------------------------------------------------


def service_calls(stack: Stack, ticket_id: str) -> dict[str, Callable[[tuple[tuple[str, str], ...]], Awaitable[Any]]]:
    """One tenant-scoped read per service."""
    return {
        "ingest.GetTicket": lambda md: stack.ingest.GetTicket(
            ingest_pb2.GetTicketRequest(ticket_id=ticket_id), metadata=md, timeout=10
        ),
        "ingest.GetCatalog": lambda md: stack.ingest.GetCatalog(
            ingest_pb2.GetCatalogRequest(), metadata=md, timeout=10
        ),
        "visits.ListVisits": lambda md: stack.visits.ListVisits(
            visits_pb2.ListVisitsRequest(ticket_id=ticket_id), metadata=md, timeout=10
        ),
        "supervisor.ListUsers": lambda md: stack.supervisor.ListUsers(
            supervisor_pb2.ListUsersRequest(), metadata=md, timeout=10
        ),
        "supervisor.ListOutboundMessages": lambda md: stack.supervisor.ListOutboundMessages(
            supervisor_pb2.ListOutboundMessagesRequest(ticket_id=ticket_id), metadata=md, timeout=10
        ),
    }


@pytest.mark.parametrize("token", ["forged", "expired", "garbage", "missing"])
async def test_every_service_refuses_a_bad_token(stack: Stack, pair: Pair, token: str) -> None:
    tenant = pair.b.tenant
    metadata: tuple[tuple[str, str], ...] = {
        "forged": metadata_for(issue_token("another-secret-" + "y" * 32, tenant=tenant, role=Role.SERVICE)),
        "expired": metadata_for(issue_token(stack.secret, tenant=tenant, role=Role.SERVICE, ttl_seconds=-60)),
        "garbage": metadata_for("not.a.token"),
        "missing": (),
    }[token]
    calls = service_calls(stack, pair.b.ticket_id)
    codes = {name: await rpc_code(call(metadata)) for name, call in calls.items()}
    assert codes == dict.fromkeys(calls, grpc.StatusCode.UNAUTHENTICATED)
    # The same calls with B's valid token pass, so the refusal is the token's doing.
    valid = {name: await rpc_code(call(stack.md(tenant))) for name, call in calls.items()}
    assert valid == dict.fromkeys(calls, grpc.StatusCode.OK)


async def test_agents_cant_call_admin_or_service_rpcs(stack: Stack, pair: Pair) -> None:
    agent = stack.md(pair.a, Role.AGENT, "agente-1")
    supervisor = stack.md(pair.a, Role.SUPERVISOR, "super-1")
    tenant_service = stack.md(pair.a)
    own = await stack.ingest.ListTickets(ingest_pb2.ListTicketsRequest(), metadata=tenant_service, timeout=10)
    own_ticket = own.tickets[0]
    refused = {
        "ingest.UpsertProject": stack.ingest.UpsertProject(
            ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="HACK-01", name="Hack")),
            metadata=agent,
            timeout=10,
        ),
        "ingest.UpsertMarketingAsset": stack.ingest.UpsertMarketingAsset(
            ingest_pb2.UpsertMarketingAssetRequest(asset=ingest_pb2.MarketingAsset(code="HACK-AD", name="Hack")),
            metadata=supervisor,
            timeout=10,
        ),
        "ingest.ApplyTicketUpdate": stack.ingest.ApplyTicketUpdate(
            ingest_pb2.ApplyTicketUpdateRequest(
                ticket_id=own_ticket.id, dedupe_key="agent-1", event_type="ticket.assigned", assignee_user_id="me"
            ),
            metadata=agent,
            timeout=10,
        ),
        "supervisor.UpsertUser": stack.supervisor.UpsertUser(
            supervisor_pb2.UpsertUserRequest(
                user=supervisor_pb2.User(
                    name="Eve", email="eve@example.com", role=supervisor_pb2.ROLE_ADMIN, active=True
                )
            ),
            metadata=agent,
            timeout=10,
        ),
        # A tenant's own service token can't manage tenants: only the system tenant acts across tenants.
        "ingest.UpsertTenant": stack.ingest.UpsertTenant(
            ingest_pb2.UpsertTenantRequest(tenant=ingest_pb2.Tenant(slug=pair.b.tenant, name="taken over")),
            metadata=tenant_service,
            timeout=10,
        ),
        "ingest.ListTenants": stack.ingest.ListTenants(
            ingest_pb2.ListTenantsRequest(), metadata=tenant_service, timeout=10
        ),
    }
    codes = {name: await rpc_code(call) for name, call in refused.items()}
    assert codes == dict.fromkeys(refused, grpc.StatusCode.PERMISSION_DENIED)
    catalog = await stack.ingest.GetCatalog(ingest_pb2.GetCatalogRequest(), metadata=tenant_service, timeout=10)
    assert "HACK-01" not in {p.code for p in catalog.projects}
    assert "HACK-AD" not in {a.code for a in catalog.marketing_assets}
    users = await stack.supervisor.ListUsers(supervisor_pb2.ListUsersRequest(), metadata=tenant_service, timeout=10)
    assert "eve@example.com" not in {u.email for u in users.users}
    again = await stack.ingest.GetTicket(
        ingest_pb2.GetTicketRequest(ticket_id=own_ticket.id), metadata=tenant_service, timeout=10
    )
    assert again.ticket.assignee_user_id == ""
    b_tenant = await stack.ingest.GetTenant(ingest_pb2.GetTenantRequest(), metadata=stack.md(pair.b.tenant), timeout=10)
    assert b_tenant.tenant.name == pair.b.tenant

"""Property-based fuzzing of every gRPC method of every service over real gRPC, with callers of every kind.

The methods are read from the generated descriptors, so a new RPC is fuzzed without touching this file, and
a test checks against server reflection that the running services serve exactly those. Each method gets
requests drawn from its descriptor (tests/fuzz/strategies.py): plausible ones made of real ids, times and
codes of two seeded tenants, ones with a field or so spoiled, and wholly hostile ones; sent with tokens of
every role, of the system, of another tenant, of a tenant that doesn't exist, or forged. Every answer must
be a status a caller can act on (never INTERNAL, UNKNOWN, DATA_LOSS, nor UNAVAILABLE: every service is up),
no service may log an exception, and a refused request must leave every table as it was (invariants.py).
"""

from __future__ import annotations

import asyncio
import importlib
import math
import pkgutil
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import grpc
import jwt
import pytest
from google.protobuf import descriptor_pool, message_factory, struct_pb2, text_format
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from hypothesis import given, settings
from hypothesis import strategies as st

import vertice360
from libs.common.auth import SYSTEM_TENANT, Role, issue_token
from libs.common.clients import metadata_for
from libs.common.server import MAX_RECEIVE_BYTES
from services.ingest.models import STAGES
from services.ingest.service import encode_cursor
from tests.fuzz.invariants import FUZZ, ExceptionLog, Ledger, LoopBridge, watching_logs
from tests.fuzz.strategies import (
    MAX_SECONDS,
    MIN_SECONDS,
    Hints,
    around_now,
    message_strategy,
    nested,
    timestamp,
    weighted,
)
from tests.support.builders import a_phone, inbound, tomorrow_at
from tests.support.builders import timestamp as timestamp_at
from tests.support.provider_double import ProviderDouble, running_provider_double
from tests.support.stack import Stack
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

pytestmark = [
    pytest.mark.integration,
    # Hypothesis warns when it reprs a 70 kB request; the failure message shows it shortened anyway.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

# Requests per method; with the other modes this keeps tests/fuzz within about a minute on two cores.
EXAMPLES = 60
CALL_TIMEOUT = 15.0
PASSWORD = "fuzz-password-123"
# What a caller can act on. INTERNAL, UNKNOWN and DATA_LOSS are bugs; UNAVAILABLE and DEADLINE_EXCEEDED
# would tell a caller to retry while every service is up, so here they are bugs too.
ACCEPTABLE = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
    }
)


def _generated_modules() -> list[Any]:
    """Every `*_pb2` module generated from protos/vertice360 (a new service's file included)."""
    found = pkgutil.walk_packages(vertice360.__path__, "vertice360.")
    return [importlib.import_module(info.name) for info in found if info.name.endswith("_pb2")]


def _methods() -> list[MethodDescriptor]:
    return [
        method
        for module in _generated_modules()
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    ]


METHODS = _methods()


@dataclass(frozen=True)
class Caller:
    """Who a fuzzed request claims to be: a label, its call metadata, and whether its token is genuine."""

    label: str
    metadata: tuple[tuple[str, str], ...]
    genuine: bool = True
    tenant: str = ""


@dataclass
class World:
    """Two seeded tenants, the real rows behind the plausible values, and the callers."""

    stack: Stack
    double: ProviderDouble
    ledger: Ledger
    logs: ExceptionLog
    bridge: LoopBridge
    served: dict[str, str]
    a: str
    b: str
    users: dict[str, str]
    emails: list[str]
    tickets: list[str]
    other_ticket: str
    proposals: list[str]
    reply_ids: list[str]
    wamids: list[str]
    cursors: list[str]
    channels: dict[str, dict[str, str]]
    callers: list[Caller] = field(default_factory=list)
    forged: list[Caller] = field(default_factory=list)

    @property
    def tenants(self) -> list[str]:
        """Every tenant a fuzzed request may act for (the unknown one included)."""
        return sorted({self.a, self.b, SYSTEM_TENANT, *(c.tenant for c in self.callers if c.tenant)})


# Tenant settings, provider accounts and users the fuzzing may change; put back after each change so the
# plausible values keep reaching the rows behind them (replies keep going to the provider double).
async def _seed_tenant(stack: Stack, slug: str, channels: dict[str, str]) -> None:
    await stack.ingest.UpsertTenant(
        ingest_pb2.UpsertTenantRequest(
            tenant=ingest_pb2.Tenant(
                slug=slug, name=f"Fuzz {slug}", region="AR", timezone="America/Argentina/Buenos_Aires", **channels
            )
        ),
        metadata=stack.system_md(),
        timeout=10,
    )


async def _seed_accounts(stack: Stack, double: ProviderDouble, slug: str, channels: dict[str, str]) -> None:
    for account in (
        supervisor_pb2.ProviderAccount(
            provider="meta",
            sender_id=channels["meta_phone_number_id"],
            secret=f"tok-{slug}",
            base_url=double.meta_base_url,
        ),
        supervisor_pb2.ProviderAccount(
            provider="gupshup",
            sender_id="5491100000000",
            secret=f"key-{slug}",
            app_name=channels["gupshup_app"],
            base_url=double.gupshup_base_url,
        ),
    ):
        await stack.supervisor.UpsertProviderAccount(
            supervisor_pb2.UpsertProviderAccountRequest(account=account), metadata=stack.md(slug), timeout=10
        )


async def _seed_users(stack: Stack, slug: str) -> dict[str, str]:
    ids = {}
    for role, number in (("agent", 1), ("supervisor", 2), ("admin", 3)):
        reply = await stack.supervisor.UpsertUser(
            supervisor_pb2.UpsertUserRequest(
                user=supervisor_pb2.User(name=f"Fuzz {role}", email=f"{role}@{slug}.example", role=number, active=True),
                password=PASSWORD,
            ),
            metadata=stack.md(slug),
            timeout=10,
        )
        ids[role] = reply.user.id
    return ids


def _channels(slug: str) -> dict[str, str]:
    return {
        "meta_phone_number_id": f"pn-{slug}",
        "meta_app_secret": f"app-secret-{slug}",
        "meta_verify_token": f"verify-{slug}",
        "gupshup_app": f"app-{slug}",
        "gupshup_token": f"gs-token-{slug}",
    }


def _forged(world_secret: str, a: str) -> list[Caller]:
    now = int(time.time())
    claims = {"iss": "vertice360", "sub": "x", "tenant": a, "role": "admin", "uid": "", "iat": now, "exp": now + 600}
    forged = [
        Caller("no token", ()),
        Caller("wrong secret", metadata_for(issue_token("not-the-secret-" + "y" * 32, tenant=a, role=Role.ADMIN))),
        Caller("expired", metadata_for(issue_token(world_secret, tenant=a, role=Role.ADMIN, ttl_seconds=-60))),
        Caller("not a jwt", (("authorization", "Bearer not.a.jwt"),)),
        Caller("basic scheme", (("authorization", "Basic YWRtaW46YWRtaW4="),)),
        Caller("unknown role", metadata_for(jwt.encode({**claims, "role": "root"}, world_secret, algorithm="HS256"))),
        Caller("alg none", metadata_for(jwt.encode(claims, None, algorithm="none"))),
        Caller("null tenant claim", metadata_for(jwt.encode({**claims, "tenant": None}, world_secret, "HS256"))),
    ]
    return [replace(caller, genuine=False) for caller in forged]


async def _served(stack: Stack) -> dict[str, str]:
    """Service name -> the stack target serving it, as server reflection tells."""
    served = {}
    for name, chan in stack.channels.items():
        stub = reflection_pb2_grpc.ServerReflectionStub(chan)
        call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
        async for reply in call:
            for service in reply.list_services_response.service:
                if not service.name.startswith("grpc."):
                    served[service.name] = name
    return served


async def _ingest(stack: Stack, slug: str, provider: int) -> tuple[str, str]:
    wamid = f"wamid.fuzz-{secrets.token_hex(8)}"
    reply = await stack.ingest.IngestMessage(
        inbound(a_phone(), "Hola, quiero visitar", wamid=wamid, provider=provider),
        metadata=stack.md(slug),
        timeout=10,
    )
    return reply.ticket_id, wamid


@pytest.fixture(scope="module")
async def world(stack: Stack, database_url: str) -> AsyncIterator[World]:
    """Tenants A and B with users, a project, tickets, a proposed visit and a delivered reply, then the ledger."""
    async with running_provider_double() as double:
        a, b = f"fz-a-{secrets.token_hex(4)}", f"fz-b-{secrets.token_hex(4)}"
        channels = {slug: _channels(slug) for slug in (a, b)}
        for slug in (a, b):
            await _seed_tenant(stack, slug, channels[slug])
            await _seed_accounts(stack, double, slug, channels[slug])
        users = await _seed_users(stack, a)
        b_users = await _seed_users(stack, b)
        await stack.ingest.UpsertProject(
            ingest_pb2.UpsertProjectRequest(project=ingest_pb2.Project(code="palermo", name="Palermo Soho")),
            metadata=stack.md(a),
            timeout=10,
        )
        await stack.ingest.UpsertMarketingAsset(
            ingest_pb2.UpsertMarketingAssetRequest(
                asset=ingest_pb2.MarketingAsset(code="aviso-1", name="Aviso", keyword="palermo", project_code="palermo")
            ),
            metadata=stack.md(a),
            timeout=10,
        )
        seeded = [await _ingest(stack, a, p) for p in (ingest_pb2.PROVIDER_META,) * 3 + (ingest_pb2.PROVIDER_GUPSHUP,)]
        tickets = [ticket for ticket, _ in seeded]
        other_ticket, _ = await _ingest(stack, b, ingest_pb2.PROVIDER_META)
        proposed = await stack.visits.ProposeVisit(
            visits_pb2.ProposeVisitRequest(
                ticket_id=tickets[0], starts_at=timestamp_at(tomorrow_at(15, days=20)), duration_minutes=60
            ),
            metadata=stack.md(a, Role.AGENT, users["agent"]),
            timeout=10,
        )
        sent = await stack.supervisor.SendReply(
            supervisor_pb2.SendReplyRequest(ticket_id=tickets[1], text="¡Hola! ¿Cuándo te queda bien?"),
            metadata=stack.md(a, Role.SUPERVISOR, users["supervisor"]),
            timeout=10,
        )
        await stack.ingest.RecordDeadLetter(
            ingest_pb2.RecordDeadLetterRequest(source="meta", reason="fuzz seed", payload="{}", tenant_slug=a),
            metadata=stack.system_md(),
            timeout=10,
        )
        page = await stack.ingest.ListTickets(
            ingest_pb2.ListTicketsRequest(page_size=1), metadata=stack.md(a), timeout=10
        )
        # Visits looks each tenant's users up on first use: warm that cache before the ledger compares rows.
        for slug, team in ((a, users), (b, b_users)):
            await stack.visits.GetAvailability(
                visits_pb2.GetAvailabilityRequest(agent_user_id=team["agent"]), metadata=stack.md(slug), timeout=10
            )
        ledger = await Ledger.open(database_url, fuzz_tenants=(a, b))
        try:
            await ledger.settle([a, b])
            token = await (
                await ledger.conn.execute(
                    "SELECT reply_token FROM visits.visit_proposals WHERE id = %s", (proposed.proposal.id,)
                )
            ).fetchone()
            provider_id = await (
                await ledger.conn.execute(
                    "SELECT provider_message_id FROM supervisor.outbound_messages WHERE id = %s", (sent.message.id,)
                )
            ).fetchone()
            assert token is not None and provider_id is not None and provider_id[0], "the seed did not settle"
            with watching_logs() as logs:
                world = World(
                    stack=stack,
                    double=double,
                    ledger=ledger,
                    logs=logs,
                    bridge=LoopBridge(asyncio.get_running_loop()),
                    served=await _served(stack),
                    a=a,
                    b=b,
                    users={**users, "b-admin": b_users["admin"]},
                    emails=[f"{role}@{a}.example" for role in users],
                    tickets=tickets,
                    other_ticket=other_ticket,
                    proposals=[proposed.proposal.id],
                    reply_ids=[f"v360v:c:{token[0]}", f"v360v:r:{token[0]}"],
                    wamids=[wamid for _, wamid in seeded] + [provider_id[0]],
                    cursors=[
                        page.next_page_token,
                        encode_cursor(datetime(9999, 12, 31, tzinfo=UTC), uuid.UUID(int=0)),
                        encode_cursor(datetime(1, 1, 1, tzinfo=UTC), uuid.uuid4()),
                    ],
                    channels=channels,
                )
                nobody = f"fz-nobody-{secrets.token_hex(3)}"
                # The system and A's service caller twice: half the methods are theirs alone.
                world.callers = [
                    Caller("A service", stack.md(a), tenant=a),
                    Caller("system", stack.system_md(), tenant=SYSTEM_TENANT),
                    Caller("A service", stack.md(a), tenant=a),
                    Caller("A admin", stack.md(a, Role.ADMIN, users["admin"]), tenant=a),
                    Caller("A supervisor", stack.md(a, Role.SUPERVISOR, users["supervisor"]), tenant=a),
                    Caller("A agent", stack.md(a, Role.AGENT, users["agent"]), tenant=a),
                    Caller("A agent, unknown user", stack.md(a, Role.AGENT, "agente-x"), tenant=a),
                    Caller("system", stack.system_md(), tenant=SYSTEM_TENANT),
                    Caller("B admin", stack.md(b, Role.ADMIN, b_users["admin"]), tenant=b),
                    Caller("B service", stack.md(b), tenant=b),
                    Caller("unknown tenant service", stack.md(nobody), tenant=nobody),
                    Caller("unknown tenant agent", stack.md(nobody, Role.AGENT, "agente-1"), tenant=nobody),
                ]
                world.forged = _forged(stack.secret, a)
                yield world
        finally:
            await ledger.close()


def hints(world: World) -> Hints:
    """Plausible values per field name: the seeded rows, valid codes and times, ordinary text."""
    user_ids = list(world.users.values())
    uuids = st.uuids().map(str)
    own_ids = st.sampled_from(world.tickets)
    keys = st.one_of(st.uuids().map(lambda u: f"fuzz-{u.hex}"), st.just("fuzz-repeated-key"))
    a_channels = world.channels[world.a]
    return {
        "ticket_id": st.one_of(own_ids, own_ids, st.just(world.other_ticket), uuids),
        "proposal_id": st.one_of(st.sampled_from(world.proposals), uuids),
        "user_id": st.one_of(st.sampled_from(user_ids), uuids),
        "agent_user_id": st.one_of(st.sampled_from([world.users["agent"], "", "agente-2"]), uuids),
        "assignee_user_id": st.sampled_from(["", *user_ids]),
        "author_user_id": st.sampled_from(["", world.users["agent"]]),
        "reply_id": st.sampled_from([*world.reply_ids, "v360v:c:forged", "btn-1", ""]),
        "provider_message_id": st.one_of(st.sampled_from(world.wamids), st.uuids().map(lambda u: f"wamid.{u.hex}")),
        "context_message_id": st.sampled_from(["", *world.wamids]),
        "from_phone": st.one_of(
            st.sampled_from(["1155551234", "+54 9 11 5555-1234", "5491155551234", "+14155552671"]),
            st.builds(a_phone),
        ),
        "profile_name": st.sampled_from(["Lucía", "", "Ana María"]),
        "text": st.sampled_from(["Hola", "¿Tienen cochera?", "Quiero visitar Palermo"]),
        "email": st.one_of(st.sampled_from(world.emails), st.sampled_from(world.emails).map(str.upper)),
        "password": st.sampled_from([PASSWORD, "short", "x" * 201]),
        "User.name": st.sampled_from(["Ana", "Fuzz agent"]),
        "User.role": st.sampled_from([1, 2, 3]),
        "User.active": st.just(True),
        "slug": st.one_of(st.sampled_from([world.a, world.b]), st.uuids().map(lambda u: f"fz-new-{u.hex[:8]}")),
        "tenant_slug": st.sampled_from(["", world.a, world.b, "fz-unknown"]),
        "Tenant.name": st.just("Fuzz tenant"),
        "region": st.sampled_from(["", "AR", "US", "ar", "XX"]),
        "timezone": st.sampled_from(["", "America/Argentina/Buenos_Aires", "UTC", "Mars/Olympus"]),
        "meta_phone_number_id": st.one_of(st.just(a_channels["meta_phone_number_id"]), st.just("")),
        "gupshup_app": st.sampled_from(["", a_channels["gupshup_app"]]),
        "gupshup_token": st.sampled_from(["", a_channels["gupshup_token"]]),
        "meta_verify_token": st.sampled_from(["", a_channels["meta_verify_token"]]),
        "meta_app_secret": st.sampled_from(["", "fuzz-secret"]),
        "code": st.sampled_from(["palermo", "aviso-1", "nuevo-1"]),
        "project_code": st.sampled_from(["", "palermo", "no-such-project"]),
        "asset_code": st.sampled_from(["", "aviso-1"]),
        "keyword": st.sampled_from(["palermo", ""]),
        "stage": st.sampled_from(["", *STAGES]),
        "page_size": st.sampled_from([0, 1, 2, 50, 200, 201]),
        "page_token": st.sampled_from(["", *world.cursors]),
        "query": st.sampled_from(["", "Lu", "5491155", "%", "_"]),
        "dedupe_key": keys,
        "idempotency_key": st.one_of(keys, st.just("")),
        "event_type": st.sampled_from(["visit.proposed", "ticket.note"]),
        "starts_at": around_now(3600, 300 * 86400),
        "visit_scheduled_at": around_now(3600, 300 * 86400),
        "sent_at": around_now(-20 * 3600, 0),
        "at": around_now(-60, 0),
        "duration_minutes": st.sampled_from([0, 15, 60, 480]),
        "message_to_lead": st.sampled_from(["", "¿Te queda bien el jueves?"]),
        "reason": st.sampled_from(["el lead pidió hablar con una persona", ""]),
        "source": st.sampled_from(["meta", "gupshup"]),
        "RecordDeadLetterRequest.payload": st.sampled_from(["{}", '{"object": "page"}']),
        "StatusUpdate.provider": st.sampled_from(["meta", "gupshup", "sandbox"]),
        "ProviderAccount.provider": st.sampled_from(["meta", "gupshup"]),
        "sender_id": st.just(a_channels["meta_phone_number_id"]),
        "secret": st.just("fuzz-token"),
        "app_name": st.just(a_channels["gupshup_app"]),
        "base_url": st.sampled_from(["", world.double.meta_base_url]),
        "Template.name": st.sampled_from(["visita_confirmada", "hello_world"]),
        "Template.language": st.sampled_from(["", "es_AR", "es"]),
        "Template.parameters[]": st.lists(st.sampled_from(["Lucía", "jueves 15 h"]), max_size=2),
        # A reply is text or a template, with buttons only under text: mostly the text kind, to get past that.
        "SendReplyRequest.template": weighted(
            st.none(), st.just(supervisor_pb2.Template(name="visita_confirmada", language="es_AR", parameters=["Ana"]))
        ),
        "SendReplyRequest.buttons[]": weighted(
            st.just([]),
            st.just([supervisor_pb2.ReplyButton(id="si", title="Sí"), supervisor_pb2.ReplyButton(id="no", title="No")]),
        ),
        "ReplyButton.id": st.sampled_from(["confirmar", "reprogramar"]),
        "ReplyButton.title": st.sampled_from(["Confirmar", "Reprogramar"]),
        "channel": st.sampled_from(["", "dashboard", "whatsapp"]),
        "InboundMessage.provider": st.sampled_from([1, 2, 3]),
        "InboundMessage.type": st.sampled_from([1, 1, 2, 8, 10]),
        "AppendOutboundMessageRequest.type": st.sampled_from([0, 1]),
        "actor": st.sampled_from([2, 3, 4]),
        "include_inactive": st.booleans(),
        "clear_visit_scheduled_at": st.booleans(),
    }


@dataclass
class Outcome:
    """What one call got, and what it did."""

    code: grpc.StatusCode
    details: str
    changes: list[str]
    logs: list[str]
    # The request field a refusal names (the `x-error-field` trailer).
    field: str = ""


def serialize(request: Message | bytes) -> bytes:
    """Messages are serialized here, raw wire bytes go as they are."""
    return request if isinstance(request, bytes) else request.SerializeToString()


def _rpc(world: World, method: MethodDescriptor) -> Callable[..., Awaitable[Message]]:
    service = method.containing_service.full_name
    chan = world.stack.channels[world.served[service]]
    path = f"/{service}/{method.name}"
    deserialize = message_factory.GetMessageClass(method.output_type).FromString
    if not method.server_streaming:
        return chan.unary_unary(path, request_serializer=serialize, response_deserializer=deserialize)
    stream = chan.unary_stream(path, request_serializer=serialize, response_deserializer=deserialize)

    async def first(request: Message | bytes, **options: Any) -> Message:
        # A live feed answers `ready` first and then waits for changes: that first answer is the call's outcome.
        call = stream(request, **options)
        try:
            async for response in call:
                return response
            raise AssertionError(f"{method.full_name} ended without its first message")
        finally:
            call.cancel()

    return first


# Methods that change what the plausible values point at; their effect is undone after each success.
REPAIRS = {"UpsertTenant", "UpsertProviderAccount", "UpsertUser"}


async def _repair(world: World, method: MethodDescriptor, request: Message | bytes) -> None:
    if method.name == "UpsertUser":
        # Only a seeded user's change matters (and re-hashing three passwords costs a tenth of a second).
        email = getattr(getattr(request, "user", None), "email", "").strip().lower()
        if email in world.emails:
            await _seed_users(world.stack, world.a)
        return
    for slug in (world.a, world.b):
        if method.name == "UpsertTenant":
            await _seed_tenant(world.stack, slug, world.channels[slug])
        elif method.name == "UpsertProviderAccount":
            await _seed_accounts(world.stack, world.double, slug, world.channels[slug])


async def _learn(world: World, response: Message) -> None:
    """Adds a proposal a fuzzed call made to the plausible values, with its reply-button ids."""
    proposal = getattr(response, "proposal", None)
    if proposal is None or not proposal.id or proposal.id in world.proposals:
        return
    world.proposals.append(proposal.id)
    row = await (
        await world.ledger.conn.execute("SELECT reply_token FROM visits.visit_proposals WHERE id = %s", (proposal.id,))
    ).fetchone()
    if row is not None:
        world.reply_ids.extend([f"v360v:c:{row[0]}", f"v360v:r:{row[0]}"])


async def attempt(world: World, method: MethodDescriptor, request: Message | bytes, caller: Caller) -> Outcome:
    """Calls once over real gRPC, between two ledger snapshots taken while the workers owe nothing."""
    await world.ledger.settle(world.tenants)
    before = await world.ledger.snapshot()
    try:
        response = await _rpc(world, method)(request, metadata=caller.metadata, timeout=CALL_TIMEOUT)
        code, details, field = grpc.StatusCode.OK, "", ""
    except grpc.aio.AioRpcError as exc:
        response, code, details = None, exc.code(), exc.details() or ""
        field = dict(exc.trailing_metadata() or ()).get("x-error-field", "")
    after = await world.ledger.snapshot()
    changes = world.ledger.changes(before, after) if code != grpc.StatusCode.OK else []
    if response is not None:
        await _learn(world, response)
        if method.name in REPAIRS:
            await _repair(world, method, request)
    return Outcome(code=code, details=details, changes=changes, logs=world.logs.take(), field=str(field))


def _shown(request: Message | bytes) -> str:
    if isinstance(request, bytes):
        return f"wire bytes {request[:600]!r}" + (f"... ({len(request)} bytes)" if len(request) > 600 else "")
    try:
        text = text_format.MessageToString(request, as_utf8=True)
    except DecodeError:
        # Printing re-parses nested Structs, which fails past protobuf's depth limit just as the server did.
        text = f"<{request.DESCRIPTOR.name} nested past protobuf's depth limit, {request.ByteSize()} bytes>"
    return text if len(text) < 3000 else text[:3000] + f"... ({len(text)} characters)"


def _over_the_size_limit(request: Message | bytes, outcome: Outcome) -> bool:
    # gRPC refuses a request past the servers' receive limit before any code of ours runs: a clean refusal.
    size = len(request) if isinstance(request, bytes) else request.ByteSize()
    return outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED and size > MAX_RECEIVE_BYTES


def check(method: MethodDescriptor, request: Message | bytes, caller: Caller, outcome: Outcome) -> None:
    """The invariants of one fuzzed call."""
    acceptable = outcome.code in ACCEPTABLE or _over_the_size_limit(request, outcome)
    ok = acceptable and not outcome.logs and not outcome.changes
    if ok and (caller.genuine or outcome.code == grpc.StatusCode.UNAUTHENTICATED):
        return
    about = f"{method.full_name} as {caller.label}: {outcome.code.name} {outcome.details!r}\n{_shown(request)}"
    assert acceptable, f"unacceptable status from {about}"
    assert outcome.logs == [], f"exception logged during {about}\n" + "\n".join(outcome.logs)
    assert outcome.changes == [], f"a refused request wrote to the database: {about}\n" + "\n".join(outcome.changes)
    assert outcome.code == grpc.StatusCode.UNAUTHENTICATED, f"a forged token got through: {about}"


def fuzz_method(world: World, method: MethodDescriptor, *, examples: int) -> dict[str, int]:
    """Runs Hypothesis on one method (in the calling thread); returns the count of each status answered."""
    requests = message_strategy(method.input_type, hints(world))
    # Three genuine callers for each forged one: forged tokens stop at the door, genuine ones get further.
    callers = weighted(st.sampled_from(world.callers), st.sampled_from(world.forged))
    seen: dict[str, int] = {}

    @settings(FUZZ, max_examples=examples)
    @given(request=requests, caller=callers)
    def run(request: Message, caller: Caller) -> None:
        outcome = world.bridge.run(attempt(world, method, request, caller))
        seen[outcome.code.name] = seen.get(outcome.code.name, 0) + 1
        check(method, request, caller, outcome)

    run()
    return seen


def test_every_rpc_the_services_serve_is_fuzzed(world: World) -> None:
    served_methods = {
        f"{name}.{method.name}"
        for name in world.served
        for method in descriptor_pool.Default().FindServiceByName(name).methods
    }
    fuzzed = {method.full_name for method in METHODS}
    assert fuzzed == served_methods
    services = [service for module in _generated_modules() for service in module.DESCRIPTOR.services_by_name.values()]
    declared = sum(len(service.methods) for service in services)
    assert len(METHODS) == declared == len(served_methods)


@pytest.mark.parametrize("method", METHODS, ids=[f"{m.containing_service.name}.{m.name}" for m in METHODS])
async def test_hostile_requests_get_a_clean_refusal_and_store_nothing(world: World, method: MethodDescriptor) -> None:
    seen = await asyncio.to_thread(fuzz_method, world, method, examples=EXAMPLES)
    await world.ledger.settle(world.tenants)
    assert world.logs.take() == [], f"exception logged after fuzzing {method.full_name}"
    print(f"\n  {method.full_name}: {dict(sorted(seen.items()))}", end="")


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited field on the wire (tag and length as varints)."""

    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
            value >>= 7
            if not value:
                return bytes(out)

    return varint(number << 3 | 2) + varint(len(payload)) + payload


# Bodies no client library would send: invalid UTF-8 in a string, a length past the end, a varint that never
# ends, nesting past protobuf's limit of 100.
ODD_WIRE = (
    b"\xff" * 16,
    b"\x0a\x10short",
    b"\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
    b"\x12\x00" * 200,
)


def wire_requests(world: World) -> st.SearchStrategy[tuple[MethodDescriptor, bytes]]:
    """A method and bytes for it: random, a plausible request cut short, or a string field that is not UTF-8."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[MethodDescriptor, bytes]:
        method = draw(st.sampled_from(METHODS))
        message = draw(message_strategy(method.input_type, hints(world), mode="plausible"))
        encoded = message.SerializeToString()
        strings = [f.number for f in method.input_type.fields if f.type == f.TYPE_STRING] or [1]
        body = draw(
            st.one_of(
                st.binary(max_size=200),
                st.integers(0, max(len(encoded) - 1, 0)).map(lambda cut: encoded[:cut] + b"\x0a\x7f"),
                st.sampled_from(strings).map(lambda number: encoded + _field(number, b"caf\xc3\x28\xff")),
                st.sampled_from(ODD_WIRE),
            )
        )
        return method, body

    return build()


RAW_EXAMPLES = 60


def fuzz_wire(world: World) -> dict[str, int]:
    """Runs Hypothesis over every method with raw bytes; returns the count of each status answered."""
    seen: dict[str, int] = {}

    @settings(FUZZ, max_examples=RAW_EXAMPLES)
    @given(sent=wire_requests(world), caller=st.sampled_from(world.callers))
    def run(sent: tuple[MethodDescriptor, bytes], caller: Caller) -> None:
        method, body = sent
        outcome = world.bridge.run(attempt(world, method, body, caller))
        seen[outcome.code.name] = seen.get(outcome.code.name, 0) + 1
        check(method, body, caller, outcome)

    run()
    return seen


async def test_bytes_that_are_no_valid_request_get_invalid_argument_not_an_error(world: World) -> None:
    seen = await asyncio.to_thread(fuzz_wire, world)
    await world.ledger.settle(world.tenants)
    assert world.logs.take() == [], "exception logged after the wire fuzzing"
    assert seen.get("INVALID_ARGUMENT", 0) > 0, seen
    print(f"\n  wire bytes to every method: {dict(sorted(seen.items()))}", end="")


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _deep_payload() -> ingest_pb2.IngestMessageRequest:
    request = inbound("5491155551234")
    # Set in place: copying a Struct nested past 100 levels into a message re-parses it, and fails here.
    request.message.payload.update(nested(120))
    return request


def _method(full_name: str) -> MethodDescriptor:
    return next(method for method in METHODS if method.full_name == full_name)


# Inputs the fuzzing found answered INTERNAL or UNKNOWN (with the exception logged), kept as fixed cases:
# Timestamps outside years 1..9999 or with nanos out of range, Structs holding NaN or infinity, nesting past
# protobuf's limit, bytes that are no message. Each is refused as INVALID_ARGUMENT naming the field.
REGRESSIONS: list[tuple[str, str, Callable[[World], Message | bytes], str]] = [
    (
        "vertice360.ingest.v1.IngestService.IngestMessage",
        "A service",
        lambda w: inbound("5491155551234", sent_at=timestamp(MAX_SECONDS + 1)),
        "sent_at",
    ),
    (
        "vertice360.ingest.v1.IngestService.IngestMessage",
        "A service",
        lambda w: inbound("5491155551234", payload=_struct({"latitude": math.inf})),
        "payload",
    ),
    (
        "vertice360.ingest.v1.IngestService.ApplyTicketUpdate",
        "A service",
        lambda w: ingest_pb2.ApplyTicketUpdateRequest(
            ticket_id=w.tickets[2], dedupe_key="fuzz-r1", event_type="x", visit_scheduled_at=timestamp(0, -1)
        ),
        "visit_scheduled_at",
    ),
    (
        "vertice360.ingest.v1.IngestService.ApplyTicketUpdate",
        "A service",
        lambda w: ingest_pb2.ApplyTicketUpdateRequest(
            ticket_id=w.tickets[2], dedupe_key="fuzz-r2", event_type="x", event_payload=_struct({"n": math.nan})
        ),
        "event_payload",
    ),
    (
        "vertice360.ingest.v1.IngestService.AppendOutboundMessage",
        "A service",
        lambda w: ingest_pb2.AppendOutboundMessageRequest(
            ticket_id=w.tickets[2],
            dedupe_key="fuzz-r3",
            actor=ingest_pb2.ACTOR_AGENT,
            text="Hola",
            payload=_struct({"n": -math.inf}),
        ),
        "payload",
    ),
    (
        "vertice360.visits.v1.VisitsService.ProposeVisit",
        "A agent",
        lambda w: visits_pb2.ProposeVisitRequest(ticket_id=w.tickets[2], starts_at=timestamp(2**62)),
        "starts_at",
    ),
    (
        "vertice360.visits.v1.VisitsService.RescheduleVisit",
        "A agent",
        lambda w: visits_pb2.RescheduleVisitRequest(proposal_id=w.proposals[0], starts_at=timestamp(MIN_SECONDS - 1)),
        "starts_at",
    ),
    (
        "vertice360.supervisor.v1.SupervisorService.RecordDeliveryStatuses",
        "A service",
        lambda w: supervisor_pb2.RecordDeliveryStatusesRequest(
            statuses=[
                supervisor_pb2.StatusUpdate(provider="meta", provider_message_id="wamid.r", at=timestamp(-(2**63)))
            ]
        ),
        "statuses.at",
    ),
    (
        "vertice360.supervisor.v1.SupervisorService.RecordDeliveryStatuses",
        "A service",
        lambda w: supervisor_pb2.RecordDeliveryStatusesRequest(
            statuses=[
                supervisor_pb2.StatusUpdate(
                    provider="meta", provider_message_id="wamid.r", raw=_struct({"x": math.nan})
                )
            ]
        ),
        "statuses.raw",
    ),
    (
        "vertice360.ingest.v1.IngestService.IngestMessage",
        "A service",
        lambda w: _deep_payload(),
        "",
    ),
    ("vertice360.ingest.v1.IngestService.GetTenant", "A service", lambda w: b"\x00", ""),
]


@pytest.mark.parametrize(("name", "caller_label", "build", "field"), REGRESSIONS)
async def test_requests_the_fuzzing_once_broke_are_invalid_arguments(
    world: World, name: str, caller_label: str, build: Callable[[World], Message | bytes], field: str
) -> None:
    method = _method(name)
    caller = next(c for c in world.callers if c.label == caller_label)
    request = build(world)
    outcome = await attempt(world, method, request, caller)
    check(method, request, caller, outcome)
    assert (outcome.code, outcome.field) == (grpc.StatusCode.INVALID_ARGUMENT, field), outcome.details

"""SupervisorService over real gRPC, Postgres and HTTP: replies, delivery to a provider double, statuses, team.

These tests run their own ingest, visits and supervisor on a database of their own: the session
stack's supervisor runs a delivery worker with production retry timings on the shared database, and
it would take jobs of these tests from under them.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from psycopg_pool import AsyncConnectionPool

from libs.common.auth import Role
from libs.common.clients import channel
from libs.common.db import libpq_url
from services.supervisor.repository import Repository
from tests.support.builders import a_phone, inbound, timestamp
from tests.support.provider_double import (
    ProviderDouble,
    Reply,
    meta_error,
    running_provider_double,
    supervisor_env,
)
from tests.support.servers import ROOT, fresh_database, migrate_all
from tests.support.stack import Stack, free_port, running_stack
from vertice360.ingest.v1 import ingest_pb2 as ingest_pb
from vertice360.ingest.v1 import ingest_pb2_grpc
from vertice360.supervisor.v1 import supervisor_pb2 as pb
from vertice360.supervisor.v1 import supervisor_pb2_grpc

pytestmark = pytest.mark.integration

T = TypeVar("T")
DS = pb.DeliveryStatus
REFUSE_RECORDING_SENDS = """
CREATE OR REPLACE FUNCTION supervisor.refuse_recording() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = 'admin_shutdown';
END $$;
CREATE TRIGGER refuse_recording BEFORE UPDATE OF provider_message_id ON supervisor.outbound_messages
    FOR EACH ROW WHEN (NEW.provider_message_id IS NOT NULL) EXECUTE FUNCTION supervisor.refuse_recording();
"""


@dataclass
class World:
    stack: Stack
    double: ProviderDouble
    repository: Repository
    database_url: str
    redis_url: str

    @property
    def supervisor(self) -> supervisor_pb2_grpc.SupervisorServiceStub:
        return self.stack.supervisor

    async def restart_supervisor(self, *, running: bool = True, **overrides: str) -> None:
        """Stops the stack's supervisor and, if `running`, serves it again with `overrides`."""
        if "supervisor" in self.stack._running:
            await self.stack.stop_service("supervisor")
        if running:
            await self.stack.start_service("supervisor", **overrides)
            # The old channel saw the server go and backs off before reconnecting (in gRPC's shared
            # subchannel pool): a channel with its own pool connects at once.
            await self.stack.channels["supervisor"].close()
            self.stack.channels["supervisor"] = grpc.aio.insecure_channel(
                self.stack.targets["supervisor"], options=[("grpc.use_local_subchannel_pool", 1)]
            )

    async def meta_tenant(self) -> tuple[str, str]:
        """A tenant with a Meta account served by the double; returns (tenant, phone_number_id)."""
        tenant = await self.stack.new_tenant()
        phone_number_id = f"pn{secrets.token_hex(6)}"
        await self.stack.supervisor.UpsertProviderAccount(
            pb.UpsertProviderAccountRequest(
                account=pb.ProviderAccount(provider="meta", sender_id=phone_number_id, secret=f"tok-{tenant}")
            ),
            metadata=self.stack.md(tenant, Role.ADMIN),
            timeout=10,
        )
        return tenant, phone_number_id

    async def lead(self, tenant: str, *, hours_ago: float = 0.0, provider: int = ingest_pb.PROVIDER_META) -> str:
        """A lead who wrote `hours_ago`; returns the ticket id."""
        at = datetime.now(UTC) - timedelta(hours=hours_ago)
        stored = await self.stack.ingest.IngestMessage(
            inbound(a_phone(), "Hola, quiero info", at=at, provider=provider),
            metadata=self.stack.md(tenant),
            timeout=10,
        )
        return stored.ticket_id

    async def send(
        self, tenant: str, ticket_id: str, text: str = "", *, role: Role = Role.SUPERVISOR, user_id: str = "", **kw: Any
    ) -> pb.SendReplyResponse:
        return await self.supervisor.SendReply(
            pb.SendReplyRequest(ticket_id=ticket_id, text=text, **kw),
            metadata=self.stack.md(tenant, role, user_id or str(uuid.uuid4())),
            timeout=10,
        )

    async def outbound(self, tenant: str, ticket_id: str) -> list[pb.OutboundMessage]:
        reply = await self.supervisor.ListOutboundMessages(
            pb.ListOutboundMessagesRequest(ticket_id=ticket_id), metadata=self.stack.md(tenant, Role.AGENT), timeout=10
        )
        return list(reply.messages)

    async def settled(
        self, tenant: str, ticket_id: str, status: int, *, index: int = 0, within: float = 10.0
    ) -> pb.OutboundMessage:
        """The ticket's reply number `index` once it reaches `status`."""

        async def check() -> pb.OutboundMessage | None:
            messages = await self.outbound(tenant, ticket_id)
            return messages[index] if len(messages) > index and messages[index].status == status else None

        return await eventually(check, within=within, what=f"status {DS.Name(status)}")

    async def timeline(self, tenant: str, ticket_id: str) -> ingest_pb.GetTicketResponse:
        return await self.stack.ingest.GetTicket(
            ingest_pb.GetTicketRequest(ticket_id=ticket_id), metadata=self.stack.md(tenant), timeout=10
        )

    async def statuses(self, tenant: str, *updates: tuple[str, int], error: tuple[str, str] = ("", "")) -> int:
        reply = await self.supervisor.RecordDeliveryStatuses(
            pb.RecordDeliveryStatusesRequest(
                statuses=[
                    pb.StatusUpdate(
                        provider="meta",
                        provider_message_id=wamid,
                        status=status,
                        at=timestamp(datetime.now(UTC)),
                        error_code=error[0] if status == DS.DELIVERY_STATUS_FAILED else "",
                        error_title=error[1] if status == DS.DELIVERY_STATUS_FAILED else "",
                    )
                    for wamid, status in updates
                ]
            ),
            metadata=self.stack.md(tenant),
            timeout=10,
        )
        return reply.recorded


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float = 10.0, what: str = "") -> T:
    """Polls `check` until it returns a value; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within}s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def world(postgres_server_url: str, redis_url: str) -> AsyncIterator[World]:
    async with running_provider_double() as double:
        with fresh_database(postgres_server_url, prefix="v360_supervisor") as url:
            migrate_all(url)
            pool = AsyncConnectionPool(libpq_url(url), min_size=1, max_size=4, open=False)
            await pool.open(wait=True)
            try:
                async with running_stack(database_url=url, redis_url=redis_url, **supervisor_env(double)) as stack:
                    yield World(
                        stack=stack, double=double, repository=Repository(pool), database_url=url, redis_url=redis_url
                    )
            finally:
                await pool.close()


async def test_reply_goes_into_the_timeline_and_the_sandbox_ticks_it_to_read(world: World) -> None:
    tenant = await world.stack.new_tenant()
    ticket_id = await world.lead(tenant)
    author = str(uuid.uuid4())
    sent = await world.send(tenant, ticket_id, "Hola Lucía, te paso la info", user_id=author)
    assert not sent.duplicate
    assert sent.message.message_id
    assert sent.message.author_user_id == author
    timeline = await world.timeline(tenant, ticket_id)
    out = [m for m in timeline.messages if m.direction == ingest_pb.DIRECTION_OUT]
    assert [(m.id, m.actor, m.author_user_id, m.text) for m in out] == [
        (sent.message.message_id, ingest_pb.ACTOR_SUPERVISOR, author, "Hola Lucía, te paso la info")
    ]
    events = [e for e in timeline.events if e.type == "message.sent"]
    assert len(events) == 1 and events[0].payload["message_id"] == sent.message.message_id
    assert timeline.ticket.last_message_snippet == "Hola Lucía, te paso la info"
    read = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_READ)
    assert read.provider_message_id.startswith("sandbox.")
    as_agent = await world.send(tenant, ticket_id, "Soy el agente", role=Role.AGENT)
    timeline = await world.timeline(tenant, ticket_id)
    assert next(m for m in timeline.messages if m.id == as_agent.message.message_id).actor == ingest_pb.ACTOR_AGENT


async def test_meta_requests_carry_the_token_and_cloud_api_bodies(world: World) -> None:
    tenant, phone_number_id = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    phone = (await world.timeline(tenant, ticket_id)).ticket.phone_e164
    await world.send(tenant, ticket_id, "Texto libre")
    await world.send(tenant, ticket_id, template=pb.Template(name="visita_recordatorio", parameters=["Lucía", "10:00"]))
    await world.send(
        tenant,
        ticket_id,
        "¿Confirmás la visita?",
        buttons=[
            pb.ReplyButton(id="visit:confirm", title="Confirmo"),
            pb.ReplyButton(id="visit:move", title="Otro día"),
        ],
    )
    await world.double.wait_for(lambda: len(world.double.accepted(phone_number_id)) == 3)
    requests = world.double.for_account(phone_number_id)
    head = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": phone.removeprefix("+")}
    # One ticket's replies go out in the order they were written.
    assert [r.json for r in requests] == [
        {**head, "type": "text", "text": {"body": "Texto libre"}},
        {
            **head,
            "type": "template",
            "template": {
                "name": "visita_recordatorio",
                "language": {"code": "es_AR"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": "Lucía"}, {"type": "text", "text": "10:00"}],
                    }
                ],
            },
        },
        {
            **head,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "¿Confirmás la visita?"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "visit:confirm", "title": "Confirmo"}},
                        {"type": "reply", "reply": {"id": "visit:move", "title": "Otro día"}},
                    ]
                },
            },
        },
    ]
    for request in requests:
        assert request.path == f"/meta/v21.0/{phone_number_id}/messages"
        assert request.headers["authorization"] == f"Bearer tok-{tenant}"
        assert request.headers["content-type"] == "application/json"

    async def all_sent() -> list[pb.OutboundMessage]:
        stored = await world.outbound(tenant, ticket_id)
        return stored if {m.status for m in stored} == {DS.DELIVERY_STATUS_SENT} else []

    stored = await eventually(all_sent, what="three replies sent")
    assert [m.provider_message_id for m in stored] == [r.message_id for r in requests]


async def test_gupshup_requests_are_forms_with_the_api_key(world: World) -> None:
    tenant = await world.stack.new_tenant()
    source = "91" + str(secrets.randbelow(10**10)).zfill(10)
    reply = await world.stack.supervisor.UpsertProviderAccount(
        pb.UpsertProviderAccountRequest(
            account=pb.ProviderAccount(provider="gupshup", sender_id=source, secret="gs-key", app_name="AcmeApp")
        ),
        metadata=world.stack.md(tenant, Role.ADMIN),
        timeout=10,
    )
    assert reply.account.secret == ""
    ticket_id = await world.lead(tenant, provider=ingest_pb.PROVIDER_GUPSHUP)
    phone = (await world.timeline(tenant, ticket_id)).ticket.phone_e164
    first = await world.send(tenant, ticket_id, "Hola por Gupshup")
    await world.send(tenant, ticket_id, "¿Vamos?", buttons=[pb.ReplyButton(id="yes", title="Sí")])
    await world.send(tenant, ticket_id, template=pb.Template(name="tpl-uuid-1", language="es", parameters=["Ana"]))
    await world.double.wait_for(lambda: len(world.double.accepted(source)) == 3)
    await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT, index=2)
    text, buttons, template = world.double.for_account(source)
    common = {"channel": "whatsapp", "source": source, "destination": phone.removeprefix("+"), "src.name": "AcmeApp"}
    for request in (text, buttons, template):
        assert request.headers["apikey"] == "gs-key"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert {k: request.form[k] for k in common} == common
    assert text.path == buttons.path == "/gupshup/wa/api/v1/msg"
    assert text.form["message"] == '{"type": "text", "text": "Hola por Gupshup"}'
    assert '"type": "quick_reply"' in buttons.form["message"]
    assert '"postbackText": "yes"' in buttons.form["message"]
    assert template.path == "/gupshup/wa/api/v1/template/msg"
    assert template.form["template"] == '{"id": "tpl-uuid-1", "params": ["Ana"]}'
    stored = await world.outbound(tenant, ticket_id)
    assert stored[0].id == first.message.id
    assert stored[0].provider_message_id == text.message_id


async def test_a_500_then_200_delivers_once(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    world.double.script(account, Reply(status=500), Reply(status=200))
    await world.send(tenant, ticket_id, "Segundo intento")
    sent = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT)
    await asyncio.sleep(0.3)
    requests = world.double.for_account(account)
    assert [r.answered for r in requests] == [500, 200]
    assert sent.provider_message_id == requests[1].message_id
    assert sent.attempts == 2


async def test_a_permanent_error_fails_at_once_with_code_and_title(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    world.double.script(account, meta_error(131047, "Re-engagement message"))
    await world.send(tenant, ticket_id, "Fuera de ventana según Meta")
    failed = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_FAILED)
    await asyncio.sleep(0.3)
    assert (failed.error_code, failed.error_title, failed.attempts) == ("131047", "Re-engagement message", 1)
    assert len(world.double.for_account(account)) == 1


async def test_passing_errors_are_retried_until_the_last_attempt_then_failed(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    world.double.script(account, Reply(status=429), Reply(status=503), Reply(status=500), Reply(status=200))
    await world.send(tenant, ticket_id, "Nunca llega")
    failed = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_FAILED)
    await asyncio.sleep(0.3)
    assert [r.answered for r in world.double.for_account(account)] == [429, 503, 500]
    assert (failed.error_code, failed.error_title, failed.attempts) == ("2", "Internal error", 3)


async def test_the_circuit_opens_after_consecutive_failures_and_a_trial_closes_it(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    world.double.script(account, Reply(status=500), Reply(status=500), Reply(status=200))
    await world.send(tenant, ticket_id, "Tras el corte")
    sent = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT)
    second, trial = world.double.for_account(account)[1:]
    # Backoff is at most 0.2 s in these settings: a longer pause is the open circuit (0.5 s).
    assert trial.received_at - second.received_at >= 0.4
    assert sent.attempts == 3


async def test_the_same_idempotency_key_ten_times_at_once_sends_one_reply(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    key = f"dash-{uuid.uuid4()}"
    replies = await asyncio.gather(
        *(world.send(tenant, ticket_id, "Una sola vez", idempotency_key=key, role=Role.AGENT) for _ in range(10))
    )
    assert sum(not r.duplicate for r in replies) == 1
    assert len({r.message.id for r in replies}) == 1
    assert len({r.message.message_id for r in replies}) == 1 and replies[0].message.message_id
    await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT)
    again = await world.send(tenant, ticket_id, "Una sola vez", idempotency_key=key, role=Role.AGENT)
    assert again.duplicate and again.message.id == replies[0].message.id
    await asyncio.sleep(0.3)
    timeline = await world.timeline(tenant, ticket_id)
    assert len([m for m in timeline.messages if m.direction == ingest_pb.DIRECTION_OUT]) == 1
    assert len([e for e in timeline.events if e.type == "message.sent"]) == 1
    assert len(await world.outbound(tenant, ticket_id)) == 1
    assert len(world.double.for_account(account)) == 1


async def test_a_key_reused_for_another_reply_is_refused(world: World) -> None:
    tenant = await world.stack.new_tenant()
    ticket_id = await world.lead(tenant)
    await world.send(tenant, ticket_id, "Primera", idempotency_key="k-1")
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await world.send(tenant, ticket_id, "Otra distinta", idempotency_key="k-1")
    assert exc.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert len(await world.outbound(tenant, ticket_id)) == 1


async def test_free_text_outside_the_window_needs_a_template_and_stores_nothing(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant, hours_ago=25)
    for extra in ({}, {"buttons": [pb.ReplyButton(id="a", title="A")]}):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await world.send(tenant, ticket_id, "¿Seguís interesada?", **extra)
        assert exc.value.code() == grpc.StatusCode.ABORTED
        assert "template required" in (exc.value.details() or "")
    assert await world.outbound(tenant, ticket_id) == []
    assert len((await world.timeline(tenant, ticket_id)).messages) == 1
    sent = await world.send(tenant, ticket_id, template=pb.Template(name="reactivar", parameters=["Lucía"]))
    assert sent.message.text == "[template reactivar] Lucía"
    await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT)
    assert [r.json["type"] for r in world.double.for_account(account)] == ["template"]


SEQUENCES = [
    *(list(order) for order in itertools.permutations(("sent", "delivered", "read"))),
    ["read", "read", "delivered", "sent", "delivered", "read"],
    ["delivered", "sent", "delivered"],
    ["sent", "failed", "sent"],
    ["read", "failed"],
]
NAMES = {
    "sent": DS.DELIVERY_STATUS_SENT,
    "delivered": DS.DELIVERY_STATUS_DELIVERED,
    "read": DS.DELIVERY_STATUS_READ,
    "failed": DS.DELIVERY_STATUS_FAILED,
}
RANK = ["sent", "failed", "delivered", "read"]


async def test_statuses_in_any_order_with_repeats_end_in_the_highest(world: World) -> None:
    tenant, _ = await world.meta_tenant()
    tickets = [await world.lead(tenant) for _ in SEQUENCES]
    for ticket_id in tickets:
        await world.send(tenant, ticket_id, "Estado")
    sent = [await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT) for ticket_id in tickets]

    async def play(message: pb.OutboundMessage, sequence: list[str]) -> None:
        for name in sequence:
            await world.statuses(
                tenant, (message.provider_message_id, NAMES[name]), error=("131026", "Message undeliverable")
            )

    await asyncio.gather(*(play(m, s) for m, s in zip(sent, SEQUENCES, strict=True)))
    for ticket_id, sequence in zip(tickets, SEQUENCES, strict=True):
        final = (await world.outbound(tenant, ticket_id))[0]
        expected = max(sequence, key=RANK.index)
        assert final.status == NAMES[expected], sequence
        if expected == "failed":
            assert (final.error_code, final.error_title) == ("131026", "Message undeliverable")
        else:
            assert (final.error_code, final.error_title) == ("", "")
    assert await world.statuses(tenant, (sent[0].provider_message_id, DS.DELIVERY_STATUS_READ)) == 0


async def test_a_status_before_the_provider_id_is_recorded_is_not_lost(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    wamid = f"wamid.early{secrets.token_hex(6)}"
    world.double.script(account, Reply(delay=0.5, message_id=wamid))
    await world.send(tenant, ticket_id, "Llega antes el estado")
    await world.double.wait_for(lambda: len(world.double.for_account(account)) == 1)
    assert await world.statuses(tenant, (wamid, DS.DELIVERY_STATUS_DELIVERED)) == 1
    delivered = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_DELIVERED)
    assert delivered.provider_message_id == wamid


async def test_provider_choice_override_and_missing_account(world: World) -> None:
    with_account, account = await world.meta_tenant()
    without_account = await world.stack.new_tenant()
    try:
        await world.restart_supervisor(DELIVERY_PROVIDER_OVERRIDE="sandbox")
        ticket_id = await world.lead(with_account)
        await world.send(with_account, ticket_id, "Todo al sandbox")
        read = await world.settled(with_account, ticket_id, DS.DELIVERY_STATUS_READ)
        assert read.provider_message_id.startswith("sandbox.")
        assert world.double.for_account(account) == []
        await world.restart_supervisor(DELIVERY_SANDBOX_FALLBACK="false")
        ticket_id = await world.lead(without_account)
        await world.send(without_account, ticket_id, "Sin cuenta")
        failed = await world.settled(without_account, ticket_id, DS.DELIVERY_STATUS_FAILED)
        assert failed.error_code == "no_provider_account"
    finally:
        await world.restart_supervisor()


class FlakyIngest(ingest_pb2_grpc.IngestServiceServicer):
    """Forwards GetTicket and AppendOutboundMessage to the real ingest; appends fail while `down`."""

    def __init__(self, real: ingest_pb2_grpc.IngestServiceStub) -> None:
        self.real = real
        self.down = True
        self.refused = 0

    @staticmethod
    def _auth(context: grpc.aio.ServicerContext) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in context.invocation_metadata() or () if k == "authorization")

    async def GetTicket(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await self.real.GetTicket(request, metadata=self._auth(context), timeout=5)

    async def AppendOutboundMessage(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if self.down:
            self.refused += 1
            await context.abort(grpc.StatusCode.UNAVAILABLE, "ingest is down")
        return await self.real.AppendOutboundMessage(request, metadata=self._auth(context), timeout=5)


async def test_a_reply_stored_while_ingest_is_down_reaches_the_timeline_later(world: World) -> None:
    flaky = FlakyIngest(world.stack.ingest)
    server = grpc.aio.server()
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(flaky, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        await world.restart_supervisor(INGEST_TARGET=f"127.0.0.1:{port}")
        tenant = await world.stack.new_tenant()
        ticket_id = await world.lead(tenant)
        sent = await world.send(tenant, ticket_id, "Guardado con ingest caído")
        assert sent.message.message_id == ""
        refused_inline = flaky.refused
        # Delivery does not wait for the timeline.
        await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_READ)
        await world.double.wait_for(lambda: flaky.refused >= refused_inline + 2)
        assert len((await world.timeline(tenant, ticket_id)).messages) == 1
        flaky.down = False

        async def appended() -> str:
            return (await world.outbound(tenant, ticket_id))[0].message_id

        message_id = await eventually(appended, what="the append completing")
        out = [m for m in (await world.timeline(tenant, ticket_id)).messages if m.direction == ingest_pb.DIRECTION_OUT]
        assert [m.id for m in out] == [message_id]
    finally:
        await world.restart_supervisor()
        await server.stop(0)


async def sent_count(
    stub: supervisor_pb2_grpc.SupervisorServiceStub, md: Any, tickets: list[str], expected: int
) -> bool:
    """Whether exactly `expected` of the tickets' replies are recorded as sent."""
    requests = [pb.ListOutboundMessagesRequest(ticket_id=t) for t in tickets]
    replies = await asyncio.gather(*(stub.ListOutboundMessages(r, metadata=md, timeout=5) for r in requests))
    return sum(r.messages[0].status == DS.DELIVERY_STATUS_SENT for r in replies) == expected


def tail(log: Path) -> str:
    """The end of a process log, for a failure message."""
    return log.read_text(errors="replace")[-2000:]


async def start_supervisor_process(env: dict[str, str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m services.supervisor serve` on a free port, once it answers health checks."""
    target = f"127.0.0.1:{free_port()}"
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.supervisor",
            "serve",
            cwd=ROOT,
            env={**os.environ, **env, "SUPERVISOR_GRPC_LISTEN": target},
            stdout=out,
            stderr=out,
        )
    # Reconnect quickly: the port is closed until the process has imported and bound it.
    quick = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 200)]
    async with grpc.aio.insecure_channel(target, options=quick) as chan:
        health = health_pb2_grpc.HealthStub(chan)
        deadline = time.monotonic() + 20
        while True:
            if process.returncode is not None:
                raise AssertionError(f"supervisor exited: {tail(log)}")
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return process, target
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"supervisor did not start: {tail(log)}")
            await asyncio.sleep(0.1)


async def test_killed_mid_delivery_and_restarted_each_reply_is_sent_exactly_once(world: World, tmp_path: Path) -> None:
    tenant, account = await world.meta_tenant()
    tickets = [await world.lead(tenant) for _ in range(5)]
    gate = asyncio.Event()
    # Two replies go through; the next two hang at the provider until the process is killed.
    world.double.script(account, Reply(), Reply(), Reply(hold=gate), Reply(hold=gate))
    env = {
        **supervisor_env(world.double),
        "DATABASE_URL": world.database_url,
        "REDIS_URL": world.redis_url,
        "V360_AUTH_SECRET": world.stack.secret,
        "INGEST_TARGET": world.stack.targets["ingest"],
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "supervisor.log"
    await world.restart_supervisor(running=False)
    try:
        # Two at a time, so the fifth reply is stored but not yet taken when the process dies.
        first, target = await start_supervisor_process({**env, "DELIVERY_CONCURRENCY": "2"}, log)
        try:
            async with channel(target) as chan:
                stub = supervisor_pb2_grpc.SupervisorServiceStub(chan)
                for i, ticket_id in enumerate(tickets):
                    await stub.SendReply(
                        pb.SendReplyRequest(ticket_id=ticket_id, text=f"respuesta {i}"),
                        metadata=world.stack.md(tenant, Role.SUPERVISOR, str(uuid.uuid4())),
                        timeout=10,
                    )
                await world.double.wait_for(lambda: len(world.double.for_account(account)) == 4)
                await eventually(lambda: sent_count(stub, world.stack.md(tenant), tickets, 2), what="two recorded")
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        await world.double.wait_for(lambda: sum(r.gone for r in world.double.for_account(account)) == 2)
        second, target = await start_supervisor_process(env, log)
        try:
            async with channel(target) as chan:
                stub = supervisor_pb2_grpc.SupervisorServiceStub(chan)
                await eventually(lambda: sent_count(stub, world.stack.md(tenant), tickets, 5), within=15, what="all")
                await asyncio.sleep(0.3)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
    finally:
        gate.set()
        await world.restart_supervisor()
    requests = world.double.for_account(account)
    assert Counter(r.text() for r in requests if r.accepted) == {f"respuesta {i}": 1 for i in range(5)}
    # The two that hung were never taken by the provider and were sent again; nothing else was.
    assert len(requests) == 7
    for i, ticket_id in enumerate(tickets):
        stored = (await world.outbound(tenant, ticket_id))[0]
        accepted = next(r for r in requests if r.accepted and r.text() == f"respuesta {i}")
        assert stored.provider_message_id == accepted.message_id


async def test_a_database_error_while_recording_a_sent_reply_does_not_send_it_again(world: World) -> None:
    tenant, account = await world.meta_tenant()
    ticket_id = await world.lead(tenant)
    gate = asyncio.Event()
    world.double.script(account, Reply(hold=gate))
    async with await psycopg.AsyncConnection.connect(libpq_url(world.database_url), autocommit=True) as conn:
        # Postgres refuses the write that records the provider's id, as a restarting server would.
        await conn.execute(REFUSE_RECORDING_SENDS)
        try:
            await world.send(tenant, ticket_id, "Hola, ¿te llegó una sola vez?")
            await world.double.wait_for(lambda: len(world.double.for_account(account)) == 1)
            gate.set()
            await world.double.wait_for(lambda: world.double.accepted(account) != [])
            await asyncio.sleep(0.5)
        finally:
            await conn.execute("DROP TRIGGER IF EXISTS refuse_recording ON supervisor.outbound_messages")
    stored = await world.settled(tenant, ticket_id, DS.DELIVERY_STATUS_SENT, within=15)
    requests = world.double.for_account(account)
    assert len(requests) == 1
    assert stored.provider_message_id == requests[0].message_id


async def test_assignment_and_escalation(world: World) -> None:
    tenant = await world.stack.new_tenant()
    admin = world.stack.md(tenant, Role.ADMIN)

    async def user(name: str, role: int, active: bool = True) -> str:
        reply = await world.supervisor.UpsertUser(
            pb.UpsertUserRequest(user=pb.User(name=name, email=f"{name.lower()}@acme.dev", role=role, active=active)),
            metadata=admin,
            timeout=10,
        )
        return reply.user.id

    zoe = await user("Zoe", pb.ROLE_SUPERVISOR)
    ana = await user("Ana", pb.ROLE_SUPERVISOR)
    agent = await user("Martin", pb.ROLE_AGENT)
    gone = await user("Ex", pb.ROLE_AGENT, active=False)
    first, second, third = [await world.lead(tenant) for _ in range(3)]
    boss = world.stack.md(tenant, Role.SUPERVISOR, ana)

    assigned = await world.supervisor.AssignTicket(
        pb.AssignTicketRequest(ticket_id=first, user_id=agent), metadata=boss, timeout=10
    )
    assert assigned.assignee_user_id == agent
    timeline = await world.timeline(tenant, first)
    assert timeline.ticket.assignee_user_id == agent
    assert [e.payload["assignee_user_id"] for e in timeline.events if e.type == "ticket.assigned"] == [agent]
    for user_id, md, code in [
        (gone, boss, grpc.StatusCode.NOT_FOUND),
        ("not-a-uuid", boss, grpc.StatusCode.INVALID_ARGUMENT),
        (ana, world.stack.md(tenant, Role.AGENT, agent), grpc.StatusCode.PERMISSION_DENIED),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await world.supervisor.AssignTicket(
                pb.AssignTicketRequest(ticket_id=first, user_id=user_id), metadata=md, timeout=10
            )
        assert exc.value.code() == code
    bot = world.stack.md(tenant)
    holders = []
    for ticket_id in (first, second, third):
        escalated = await world.supervisor.EscalateTicket(
            pb.EscalateTicketRequest(ticket_id=ticket_id, reason="pide hablar con un humano"), metadata=bot, timeout=10
        )
        holders.append(escalated.assignee_user_id)
    # Least loaded first, ties by name.
    assert holders == [ana, zoe, ana]
    timeline = await world.timeline(tenant, first)
    assert timeline.ticket.assignee_user_id == ana
    [event] = [e for e in timeline.events if e.type == "ticket.escalated"]
    assert event.payload["reason"] == "pide hablar con un humano"
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await world.supervisor.EscalateTicket(pb.EscalateTicketRequest(ticket_id=first), metadata=bot, timeout=10)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    lonely = await world.stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await world.supervisor.EscalateTicket(
            pb.EscalateTicketRequest(ticket_id=await world.lead(lonely), reason="x"),
            metadata=world.stack.md(lonely),
            timeout=10,
        )
    assert exc.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_bad_replies_and_other_tenants_tickets_store_nothing(world: World) -> None:
    tenant = await world.stack.new_tenant()
    other = await world.stack.new_tenant()
    ticket_id = await world.lead(tenant)
    cases = [
        ({"ticket_id": ticket_id}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"ticket_id": ticket_id, "text": "x", "template": pb.Template(name="t")}, grpc.StatusCode.INVALID_ARGUMENT),
        (
            {"ticket_id": ticket_id, "text": "x", "buttons": [pb.ReplyButton(id=str(i), title="b") for i in range(4)]},
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        ({"ticket_id": "nope", "text": "x"}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"ticket_id": str(uuid.uuid4()), "text": "x"}, grpc.StatusCode.NOT_FOUND),
    ]
    for fields, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await world.supervisor.SendReply(
                pb.SendReplyRequest(**fields), metadata=world.stack.md(tenant, Role.AGENT), timeout=10
            )
        assert exc.value.code() == code, fields
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await world.send(other, ticket_id, "intruso")
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    await world.send(tenant, ticket_id, "la buena")
    assert len(await world.outbound(tenant, ticket_id)) == 1
    assert await world.outbound(other, ticket_id) == []

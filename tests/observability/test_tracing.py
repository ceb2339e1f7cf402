"""One request is one trace: gateway HTTP, every gRPC hop, every SQL statement, and the outbox hops."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from gateway.tests.builders import meta_bytes, new_channel_tenant, signed
from libs.common.auth import Role
from libs.common.outbox import statements
from services.supervisor.repository import SQL as SUPERVISOR_SQL
from tests.observability.conftest import Spans, parent_id, rpc, sql
from tests.support.builders import a_phone, tomorrow_at
from tests.support.gateway import PREFIX, Api, running_gateway
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def new_ticket(api: Api, tenant: str) -> str:
    reply = await api.client.post(
        f"{PREFIX}/ingest_message", json={"phone": a_phone(), "text": "Quiero visitar"}, headers=api.auth(tenant)
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["ticket_id"])


def describe(trace: Sequence[ReadableSpan]) -> str:
    return "\n".join(f"{s.context.span_id:016x} <- {parent_id(s) or 0:016x} {s.name} {sql(s)[:50]!r}" for s in trace)


async def test_a_meta_webhook_is_one_trace_from_the_gateway_through_ingest_and_its_sql(
    stack: Stack, spans: Spans
) -> None:
    tenant = await new_channel_tenant(stack)
    raw = meta_bytes("text", tenant.phone_number_id)
    async with running_gateway(stack) as api:
        reply = await api.client.post("/webhooks/meta", content=raw, headers=signed(raw, tenant.app_secret))
    assert reply.status_code == 200, reply.text

    http = await spans.server_span("POST /webhooks/meta")
    trace_id = http.context.trace_id
    await spans.wait_for(
        lambda all_spans: any(rpc(s, "IngestMessages", SpanKind.SERVER) for s in all_spans), what="ingest span"
    )
    trace = spans.trace(trace_id)
    (client,) = [s for s in trace if rpc(s, "IngestMessages", SpanKind.CLIENT)]
    (server,) = [s for s in trace if rpc(s, "IngestMessages", SpanKind.SERVER)]
    statements = [s for s in trace if parent_id(s) == server.context.span_id and sql(s)]

    # gateway HTTP -> gateway gRPC client -> ingest gRPC server -> ingest's SQL, one trace id throughout.
    assert parent_id(client) == http.context.span_id
    assert parent_id(server) == client.context.span_id and server.parent is not None and server.parent.is_remote
    assert any("ingest.messages" in sql(s) for s in statements), describe(trace)
    assert {s.context.trace_id for s in (http, client, server, *statements)} == {trace_id}
    assert (server.attributes or {}).get("v360.tenant") == tenant.slug


async def test_gateway_spans_keep_route_templates_not_secrets_from_paths_or_queries(stack: Stack, spans: Spans) -> None:
    tenant = await new_channel_tenant(stack)
    async with running_gateway(stack) as api:
        await api.client.post(f"/webhooks/gupshup/{tenant.gupshup_token}", json={"type": "unknown"})
        params = {"hub.mode": "subscribe", "hub.verify_token": tenant.verify_token, "hub.challenge": "7"}
        assert (await api.client.get("/webhooks/meta", params=params)).status_code == 200

    gupshup = await spans.server_span("POST /webhooks/gupshup/{token}")
    verify = await spans.server_span("GET /webhooks/meta")
    for span in (*spans.trace(gupshup.context.trace_id), *spans.trace(verify.context.trace_id)):
        values = " ".join(str(value) for value in (span.attributes or {}).values())
        assert tenant.gupshup_token not in values and tenant.verify_token not in values, span.name
    assert (gupshup.attributes or {}).get("http.target") == "/webhooks/gupshup/{token}"


async def test_the_outbox_relay_continues_the_trace_of_the_proposal_that_wrote_the_row(api: Api, spans: Spans) -> None:
    stack = api.stack
    tenant = await stack.new_tenant()
    ticket_id = await new_ticket(api, tenant)
    agent = await stack.new_user(tenant)
    # With ingest down the proposal's own attempt fails: the relay loop delivers the row later, from
    # another task, with nothing but the row to tell it which trace it belongs to.
    await stack.stop_service("ingest")
    try:
        proposed = await api.client.post(
            f"{PREFIX}/visit/propose",
            json={"ticket_id": ticket_id, "starts_at": tomorrow_at(16).isoformat()},
            headers=api.auth(tenant, Role.AGENT, agent),
        )
    finally:
        await stack.start_service("ingest")
    assert proposed.status_code == 201, proposed.text

    http = await spans.server_span(f"POST {PREFIX}/visit/propose")
    trace_id = http.context.trace_id

    def relayed(all_spans: Sequence[ReadableSpan]) -> bool:
        return any(rpc(s, "ApplyTicketUpdate", SpanKind.SERVER) and s.context.trace_id == trace_id for s in all_spans)

    await spans.wait_for(relayed, what="ApplyTicketUpdate served in the proposal's trace")
    trace = spans.trace(trace_id)
    (propose,) = [s for s in trace if rpc(s, "ProposeVisit", SpanKind.SERVER)]
    applied = [s for s in trace if rpc(s, "ApplyTicketUpdate", SpanKind.SERVER)]
    relay_calls = [s for s in trace if rpc(s, "ApplyTicketUpdate", SpanKind.CLIENT)]
    # The failed attempt inside the RPC and the loop's later one are both children of ProposeVisit's span,
    # the context stored with the row; the one ingest served started after ProposeVisit had ended.
    assert len(relay_calls) >= 2, describe(trace)
    assert {parent_id(s) for s in relay_calls} == {propose.context.span_id}
    assert any(s.start_time and propose.end_time and s.start_time > propose.end_time for s in applied)
    assert any("ingest.tickets" in sql(s) or "ingest.events" in sql(s) for s in trace), describe(trace)


async def test_a_reply_s_delivery_job_continues_the_trace_of_the_send(api: Api, spans: Spans) -> None:
    stack = api.stack
    tenant = await stack.new_tenant()
    ticket_id = await new_ticket(api, tenant)
    sent = await api.client.post(
        f"{PREFIX}/supervisor/send",
        json={"ticket_id": ticket_id, "text": "Te paso la info"},
        headers=api.auth(tenant, Role.SUPERVISOR, "sup-1"),
    )
    assert sent.status_code == 201, sent.text

    http = await spans.server_span(f"POST {PREFIX}/supervisor/send")
    trace_id = http.context.trace_id

    def delivered(all_spans: Sequence[ReadableSpan]) -> bool:
        return any(s.context.trace_id == trace_id and "supervisor.delivery_statuses" in sql(s) for s in all_spans)

    await spans.wait_for(delivered, what="the sandbox's delivery status in the send's trace")
    trace = spans.trace(trace_id)
    (send_reply,) = [s for s in trace if rpc(s, "SendReply", SpanKind.SERVER)]
    assert any(rpc(s, "AppendOutboundMessage", SpanKind.SERVER) for s in trace), describe(trace)
    # Only the worker runs these, in its own task started with the process (no trace of its own): they
    # hang off SendReply's span because the job's row carried its context.
    (sent,) = [s for s in trace if sql(s) == SUPERVISOR_SQL.record_sent]
    status = [s for s in trace if sql(s) == SUPERVISOR_SQL.record_delivery_status]
    assert parent_id(sent) == send_reply.context.span_id, describe(trace)
    assert status and {parent_id(s) for s in status} == {send_reply.context.span_id}, describe(trace)


async def test_probes_and_background_polling_start_no_traces(api: Api, spans: Spans) -> None:
    assert (await api.client.get("/readyz")).status_code == 200
    # Long enough for the visits outbox (0.5 s) and the delivery worker (1 s) to poll a few times.
    await asyncio.sleep(2.5)
    polling = {"SELECT 1", *(statements(s)[name] for s in ("visits", "supervisor") for name in ("claim", "backlog"))}
    assert [s.name for s in spans.all() if sql(s) in polling or s.name == "PING"] == []

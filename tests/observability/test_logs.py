"""JSON log lines name the trace, span, tenant and ticket of the RPC that wrote them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from libs.common.auth import Role, issue_token
from libs.common.clients import metadata_for
from libs.common.logging import JsonFormatter, log_context
from libs.common.server import run_server
from libs.common.settings import ServiceSettings
from libs.common.telemetry import continued_trace, instrument
from vertice360.ingest.v1 import ingest_pb2

SECRET = "logs-test-secret-" + "x" * 32
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
METHOD = "/vertice360.test.v1.Probe/GetTicket"


def record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, None, None)


def test_a_line_inside_a_trace_names_it_and_stays_masked() -> None:
    token = log_context.set({"tenant": "acme", "ticket_id": "6f1c2b9e-0000-4000-8000-000000000001"})
    try:
        with continued_trace({"traceparent": TRACEPARENT}):
            line = json.loads(JsonFormatter("ingest").format(record("from +5491155551234")))
    finally:
        log_context.reset(token)
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == "b7ad6b7169203331"
    assert (line["tenant"], line["ticket_id"]) == ("acme", "6f1c2b9e-0000-4000-8000-000000000001")
    assert line["msg"] == "from +549********34"


def test_a_line_outside_any_trace_has_no_trace_fields() -> None:
    line = json.loads(JsonFormatter("ingest").format(record("idle")))
    assert "trace_id" not in line and "span_id" not in line


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(JsonFormatter("probe").format(record)))


@pytest.fixture
def kept() -> Iterator[Kept]:
    handler = Kept()
    logger = logging.getLogger("tests.probe")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_an_rpc_s_lines_carry_its_server_span_tenant_and_ticket(
    span_exporter: InMemorySpanExporter, kept: Kept
) -> None:
    instrument()
    span_exporter.clear()

    async def get_ticket(request: ingest_pb2.GetTicketRequest, context: grpc.aio.ServicerContext) -> Any:
        logging.getLogger("tests.probe").info("looking up the ticket")
        return ingest_pb2.GetTicketResponse()

    handler = grpc.method_handlers_generic_handler(
        "vertice360.test.v1.Probe",
        {
            "GetTicket": grpc.unary_unary_rpc_method_handler(
                get_ticket,
                request_deserializer=ingest_pb2.GetTicketRequest.FromString,
                response_serializer=ingest_pb2.GetTicketResponse.SerializeToString,
            )
        },
    )
    settings = ServiceSettings(grpc_listen="127.0.0.1:0", auth_secret=SECRET, shutdown_grace_seconds=0)
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(
        run_server(
            settings,
            register=lambda s: s.add_generic_rpc_handlers((handler,)),
            service_names=["vertice360.test.v1.Probe"],
            stop=stop,
            ready=port.set_result,
        )
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{await port}") as channel:
            call = channel.unary_unary(
                METHOD,
                request_serializer=ingest_pb2.GetTicketRequest.SerializeToString,
                response_deserializer=ingest_pb2.GetTicketResponse.FromString,
            )
            token = issue_token(SECRET, tenant="acme", role=Role.SERVICE)
            await call(ingest_pb2.GetTicketRequest(ticket_id="t-42"), metadata=metadata_for(token), timeout=5)
    finally:
        stop.set()
        await server

    (line,) = kept.lines
    (span,) = [s for s in span_exporter.get_finished_spans() if s.name == METHOD and s.kind == SpanKind.SERVER]
    assert line["trace_id"] == format(span.context.trace_id, "032x")
    assert line["span_id"] == format(span.context.span_id, "016x")
    assert (line["tenant"], line["ticket_id"], line["rpc"]) == ("acme", "t-42", "GetTicket")

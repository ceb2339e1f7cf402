"""Exporters come from the standard OTEL_* variables only: off by default, OTLP once an endpoint is set."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from pydantic import ValidationError

from libs.common.settings import TelemetrySettings

ROOT = Path(__file__).resolve().parents[2]


def exporters(**env: str) -> tuple[str, ...]:
    return TelemetrySettings(**env).trace_exporters


def test_off_unless_an_endpoint_is_set_and_console_only_when_asked() -> None:
    assert exporters() == ()
    assert exporters(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4317") == ("otlp",)
    assert exporters(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://collector:4317") == ("otlp",)
    assert exporters(OTEL_TRACES_EXPORTER="console") == ("console",)
    assert exporters(OTEL_TRACES_EXPORTER="none", OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4317") == ()
    assert exporters(OTEL_TRACES_EXPORTER="otlp, console") == ("otlp", "console")
    assert exporters(OTEL_SDK_DISABLED="true", OTEL_TRACES_EXPORTER="console") == ()


@pytest.mark.parametrize("env", [{"OTEL_TRACES_EXPORTER": "jaeger"}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}])
def test_unknown_exporters_and_protocols_fail_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        TelemetrySettings(**env)


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


# A process of its own: the tracer provider and the instrumentors are process-wide.
CHILD = """
import httpx
from opentelemetry import trace
from libs.common.telemetry import configure_telemetry

configure_telemetry("ingest")
try:
    httpx.get("http://127.0.0.1:9/nothing-listens-here", timeout=1)
except httpx.HTTPError:
    pass
trace.get_tracer_provider().shutdown()
"""


async def test_an_otlp_endpoint_receives_the_spans_named_after_the_service() -> None:
    receiver = Receiver()
    server = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{port}"
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, cwd=ROOT, env=env)
        assert await asyncio.wait_for(child.wait(), timeout=30) == 0
    finally:
        await server.stop(None)

    resource_spans = [rs for request in receiver.requests for rs in request.resource_spans]
    attributes = [a for rs in resource_spans for a in rs.resource.attributes]
    services = {a.value.string_value for a in attributes if a.key == "service.name"}
    span_names = {span.name for rs in resource_spans for scope in rs.scope_spans for span in scope.spans}
    assert services == {"ingest"}
    assert "GET" in span_names


PATCHED = """
import psycopg
from libs.common.telemetry import configure_telemetry

configure_telemetry("ingest")
print(hasattr(psycopg.AsyncConnection.connect, "__wrapped__"))
"""


@pytest.mark.parametrize(("env", "patched"), [({}, False), ({"OTEL_TRACES_EXPORTER": "console"}, True)])
async def test_libraries_are_patched_only_when_spans_are_exported(env: dict[str, str], patched: bool) -> None:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PATCHED, cwd=ROOT, env={**clean, **env}, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(child.communicate(), timeout=30)
    assert child.returncode == 0
    assert out.decode().strip() == str(patched)

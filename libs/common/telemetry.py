"""OpenTelemetry tracing for every process: the instrumentors, exporters chosen by `OTEL_*`, context in rows.

Spans come from the instrumentors (gRPC aio server and client, psycopg, Redis, httpx, FastAPI), never from
hand-written code. They are installed only in a process that exports spans, so set the same `OTEL_*`
on every process to follow a request across them; with no exporter (the default) nothing is patched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from libs.common.settings import TelemetrySettings

log = logging.getLogger(__name__)

_instrumented = False


def configure_telemetry(service_name: str, settings: TelemetrySettings | None = None) -> None:
    """Starts the span exporters `OTEL_*` asks for and then instruments this process; call before pools open.

    With no exporter (the default) nothing is instrumented, so tracing costs nothing until it is turned
    on (about 15 % of the webhook path's CPU when it is). `OTEL_SERVICE_NAME` (or `service.name` in
    `OTEL_RESOURCE_ATTRIBUTES`) wins over `service_name`. Instrumentors patch libraries process-wide,
    so only the first call that exports instruments (tests run every service in one process).
    """
    settings = settings or TelemetrySettings()
    exporters = settings.trace_exporters
    if not exporters or _instrumented:
        return
    provider = _sdk_provider(service_name)
    for name in exporters:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    log.info("tracing: exporting spans to %s", ",".join(exporters))
    instrument()


def instrument() -> None:
    """Installs the library instrumentors, once per process (tests do it to watch spans in memory)."""
    global _instrumented
    if not _instrumented:
        _instrumented = True
        _instrument_libraries()


def instrument_app(app: Any, **options: Any) -> None:
    """Adds the FastAPI server span (named by route template) to every request of `app`, when instrumented."""
    if not _instrumented:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # Internal `http receive` / `http send` spans add nothing to a request's story.
    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"], **options)


def add_span_exporter(exporter: SpanExporter, *, service_name: str = "v360") -> None:
    """Sends every span this process ends to `exporter` at once (tests install an InMemorySpanExporter)."""
    _sdk_provider(service_name).add_span_processor(SimpleSpanProcessor(exporter))


def trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`), to store with work another task picks up."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def continued_trace(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Runs the block inside the trace `carrier` was taken from, so its calls and queries join that trace."""
    # A fresh context, not the current one: a polling loop's `untraced()` must not leak into the row's work.
    token = otel_context.attach(propagate.extract(dict(carrier or {}), context=otel_context.Context()))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def untraced() -> Iterator[None]:
    """The block makes no spans: a background loop's polling queries would start a trace a second per replica."""
    with suppress_instrumentation():
        yield


def _sdk_provider(service_name: str) -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    # The sampler comes from OTEL_TRACES_SAMPLER(_ARG); parent-based always-on by default.
    provider = TracerProvider(resource=resource)
    trace.set_tracer_provider(provider)
    return provider


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    # Endpoint, headers, timeout, TLS and compression come from OTEL_EXPORTER_OTLP_* as the SDK reads them.
    return OTLPSpanExporter()


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer, filters
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # Health probes and reflection would bury the real calls.
    not_probes = filters.negate(filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection.")))
    GrpcAioInstrumentorServer(filter_=not_probes).instrument()
    GrpcAioInstrumentorClient(filter_=not_probes).instrument()
    # Wraps AsyncConnection.connect, so pools opened afterwards hand out traced cursors. No SQL comments:
    # they would defeat prepared statements and PgBouncer's statement cache.
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()

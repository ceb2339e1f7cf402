"""Every span of this test process in memory: the test stack's services and gateway all run here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from libs.common.telemetry import add_span_exporter, instrument


def sql(span: ReadableSpan) -> str:
    """The statement of a psycopg span ('' for other spans)."""
    attributes = span.attributes or {}
    if attributes.get("db.system") != "postgresql" and attributes.get("db.system.name") != "postgresql":
        return ""
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


def rpc(span: ReadableSpan, method: str, kind: SpanKind) -> bool:
    """A gRPC span of one of our methods (`/vertice360.ingest.v1.IngestService/IngestMessages`) of that kind."""
    return span.kind == kind and span.name.startswith("/vertice360.") and span.name.endswith(f"/{method}")


def parent_id(span: ReadableSpan) -> int | None:
    """The span id of the parent, local or remote."""
    return span.parent.span_id if span.parent is not None else None


class Spans:
    """The ended spans of this process since the test started."""

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self._exporter = exporter

    def all(self) -> Sequence[ReadableSpan]:
        return self._exporter.get_finished_spans()

    async def wait_for(
        self, found: Callable[[Sequence[ReadableSpan]], bool], *, what: str, seconds: float = 15
    ) -> Sequence[ReadableSpan]:
        """Every span so far, once `found` holds for them (spans end a moment after the answer is sent)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not found(spans := self.all()):
            assert asyncio.get_running_loop().time() < deadline, f"no {what} within {seconds}s: " + ", ".join(
                sorted({s.name for s in spans})
            )
            await asyncio.sleep(0.05)
        return spans

    async def server_span(self, name: str) -> ReadableSpan:
        """The one HTTP server span of the gateway called `name` (e.g. `POST /webhooks/meta`)."""
        spans = await self.wait_for(
            lambda spans: any(s.kind == SpanKind.SERVER and s.name == name for s in spans), what=name
        )
        (span,) = [s for s in spans if s.kind == SpanKind.SERVER and s.name == name]
        return span

    def trace(self, trace_id: int) -> list[ReadableSpan]:
        """The spans of one trace, in start order."""
        return sorted((s for s in self.all() if s.context.trace_id == trace_id), key=lambda s: s.start_time or 0)


@pytest.fixture(scope="package")
def span_exporter() -> Iterator[InMemorySpanExporter]:
    """Installed once (the tracer provider is process-wide); shut down after, so later spans are not kept."""
    instrument()
    exporter = InMemorySpanExporter()
    add_span_exporter(exporter)
    yield exporter
    exporter.shutdown()


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Spans:
    """Spans ended from now on."""
    span_exporter.clear()
    return Spans(span_exporter)

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import create_engine, text

from tsuen_common.telemetry import (
    configure_tracing,
    consumer_span,
    extract_trace_context,
    http_telemetry,
    inject_trace_headers,
    instrument_sqlalchemy,
)

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    # The provider is process-wide and keeps its processors: attach one exporter, once.
    provider = configure_tracing("tsuen-test", exporter="none")
    if not getattr(provider, "_tsuen_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._tsuen_test_exporter = True  # type: ignore[attr-defined]
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def test_configure_tracing_is_idempotent() -> None:
    first = configure_tracing("tsuen-test", exporter="none")
    again = configure_tracing("another-name", exporter="console")

    assert again is first
    assert isinstance(first, TracerProvider)
    assert trace.get_tracer_provider() is first


def test_a_consumer_span_continues_the_producers_trace(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("booking.confirmed publish", kind=SpanKind.PRODUCER):
        headers = inject_trace_headers()
    assert "traceparent" in headers

    kafka_headers = {key: value.encode() for key, value in headers.items()}
    with consumer_span(
        "booking.confirmed process", kafka_headers, {"messaging.destination.name": "booking"}
    ):
        pass

    producer, consumer = spans.get_finished_spans()
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.parent.is_remote
    assert consumer.attributes == {
        "messaging.system": "kafka",
        "messaging.destination.name": "booking",
    }


def test_aiokafka_header_pairs_are_understood(spans: InMemorySpanExporter) -> None:
    with trace.get_tracer("test").start_as_current_span("publish") as producer:
        pairs = [(key, value.encode()) for key, value in inject_trace_headers().items()]

    context = trace.get_current_span(extract_trace_context(pairs)).get_span_context()

    assert context.trace_id == producer.get_span_context().trace_id
    assert context.span_id == producer.get_span_context().span_id


def test_a_message_without_headers_starts_its_own_trace(spans: InMemorySpanExporter) -> None:
    with trace.get_tracer("test").start_as_current_span("poll loop"), consumer_span("orphan", None):
        pass

    orphan = next(span for span in spans.get_finished_spans() if span.name == "orphan")
    assert orphan.parent is None


def test_no_headers_outside_a_span() -> None:
    assert "traceparent" not in inject_trace_headers()


def test_fastapi_requests_get_server_spans(spans: InMemorySpanExporter) -> None:
    app = FastAPI(telemetry=http_telemetry(excluded_paths=["/healthz"]))
    router = APIRouter(prefix="/v1/things")

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @router.post("/{thing_id}/notes")
    async def note(thing_id: int) -> dict[str, int]:
        return {"thing": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.include_router(router)

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/ping").status_code == 200
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert client.post("/v1/things/7/notes", headers={"traceparent": caller}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/boom").status_code == 500
    assert client.get("/nowhere").status_code == 404

    finished = spans.get_finished_spans()
    # Only server spans: no per-message ASGI send/receive spans under them; none for /healthz.
    assert [span.kind for span in finished] == [SpanKind.SERVER] * 4
    ping_span, note_span, boom_span, nowhere = finished
    assert ping_span.name == "GET /ping"
    assert ping_span.attributes is not None
    assert ping_span.attributes["http.response.status_code"] == 200
    # Named by the route's template, not the path; a child of the caller's span.
    assert note_span.name == "POST /v1/things/{thing_id}/notes"
    assert note_span.attributes is not None
    assert note_span.attributes["http.route"] == "/v1/things/{thing_id}/notes"
    assert note_span.attributes["url.path"] == "/v1/things/7/notes"
    assert format(note_span.context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert note_span.parent is not None
    assert note_span.parent.span_id == 0x00F067AA0BA902B7
    assert ping_span.parent is None  # no traceparent: a trace of its own
    assert boom_span.status.status_code is StatusCode.ERROR
    assert nowhere.name == "GET"  # no route matched: no template to name it by
    assert nowhere.attributes is not None
    assert nowhere.attributes["http.response.status_code"] == 404


def test_sqlalchemy_statements_get_one_span_each(spans: InMemorySpanExporter) -> None:
    # Stands in for an AsyncEngine: the wrapper only needs its ``sync_engine``.
    first = SimpleNamespace(sync_engine=create_engine("sqlite://"))
    second = SimpleNamespace(sync_engine=create_engine("sqlite://"))

    instrument_sqlalchemy(first)  # type: ignore[arg-type]
    instrument_sqlalchemy(first)  # type: ignore[arg-type]
    instrument_sqlalchemy(second)  # type: ignore[arg-type]
    for engine in (first, second):
        with engine.sync_engine.connect() as connection:
            connection.execute(text("select 1"))

    statements = [span.name for span in spans.get_finished_spans() if span.name != "connect"]
    assert statements == ["select", "select"]

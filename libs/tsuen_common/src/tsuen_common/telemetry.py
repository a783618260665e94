"""Traces: one tracer provider per process, and W3C trace context carried in Kafka headers.

A request that books a slot, the outbox row it writes, and the consumer that notifies the
guardian end up in one trace: the producer side stores :func:`inject_trace_headers` with the
event, the consumer side opens :func:`consumer_span` from the message headers.

Call :func:`configure_tracing` once at startup (more calls return the same provider). The
``none`` exporter still creates real trace ids, so logs can be correlated without a collector.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

Exporter = Literal["none", "console", "otlp"]
KafkaHeaders = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]

_OTLP_TRACES_PATH = "/v1/traces"

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_provider: TracerProvider | None = None
# A proxy until configure_tracing runs; it then delegates to the real provider.
_tracer = trace.get_tracer("tsuen_common.telemetry")
_traced_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure_tracing(
    service_name: str, exporter: Exporter = "none", endpoint: str | None = None
) -> TracerProvider:
    """Install the global tracer provider; later calls return it unchanged.

    ``endpoint`` is the collector's OTLP/HTTP base URL (``http://collector:4318``); the
    ``/v1/traces`` path is added unless present. Without it the exporter reads the standard
    ``OTEL_EXPORTER_OTLP_*`` variables.
    """
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            # Someone got there first (opentelemetry-instrument, a test harness): the global
            # provider can be set only once, so share theirs rather than fork the traces.
            _log.info("tracing already configured elsewhere; keeping that tracer provider")
            _provider = current
            return current
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
        if exporter == "console":
            # stderr, so stdout stays JSON log lines only.
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
        elif exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint)))
            )
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def inject_trace_headers() -> dict[str, str]:
    """The current trace context as message headers (``traceparent``, maybe ``tracestate``).

    Empty when no span is active. Uses the global propagator (W3C trace context and baggage
    unless ``OTEL_PROPAGATORS`` says otherwise), the same one FastStream's middleware uses.
    """
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def extract_trace_context(headers: KafkaHeaders | None) -> Context:
    """The context carried by message headers: a mapping, or aiokafka's ``(key, bytes)`` pairs."""
    if headers is None:
        return Context()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    carrier = {
        key.lower(): value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        for key, value in pairs
    }
    # An explicit empty context: a message without headers starts a new trace rather than
    # joining whatever span happens to be current in the consumer loop.
    return propagate.extract(carrier, context=Context())


@contextmanager
def consumer_span(
    name: str,
    headers: KafkaHeaders | None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[Span]:
    """A CONSUMER span, child of the producer's span named in ``headers``, made current."""
    with _tracer.start_as_current_span(
        name,
        context=extract_trace_context(headers),
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", **(attributes or {})},
    ) as span:
        yield span


def http_telemetry(excluded_paths: Iterable[str] = ()) -> TelemetryConfig:
    """For ``FastAPI(telemetry=...)``: FastAPI's own OpenTelemetry support makes one SERVER span
    per request, named ``METHOD /route/{template}``, child of the caller's ``traceparent`` and
    current while the handler runs (so outbox rows carry it); none for ``excluded_paths``.

    FastAPI's rather than opentelemetry-instrumentation-fastapi's middleware (used until issue
    20): that one matched every route of the app a second time to name the span and decoded
    every header once per propagator key, 9 % of a booking's CPU in ``bench.profile``; FastAPI
    names the span from the route it has just matched. Its per-operation spans (dependencies,
    endpoint, serialization: three more per request), metrics and log records stay off: the
    logs are structlog's, and no meter provider is configured.
    """
    excluded = frozenset(excluded_paths)
    return {
        "tracing": True,
        "operation_spans": False,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
        "exclude": (lambda scope: scope.get("path") in excluded) if excluded else None,
    }


def instrument_sqlalchemy(engine: AsyncEngine) -> None:
    """Client spans for every statement on ``engine``; calling twice for one engine is harmless.

    The instrumentor is a process-wide singleton that accepts engines only on its first
    ``instrument`` call, so a new engine means instrumenting again with all live engines.
    """
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    sync_engine = engine.sync_engine
    with _lock:
        if sync_engine in _traced_engines:
            return
        _traced_engines.add(sync_engine)
        instrumentor = SQLAlchemyInstrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        instrumentor.instrument(engines=list(_traced_engines))


def current_trace_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the current span in hex, or None outside a recorded span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def _traces_url(endpoint: str | None) -> str | None:
    if endpoint is None:
        return None
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(_OTLP_TRACES_PATH) else endpoint + _OTLP_TRACES_PATH

"""A trace follows a request from HTTP through the outbox and Kafka into the consumer, one
consumer span per event, whether the handler takes events one by one or a poll at once."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.integration.conftest import eventually
from tests.integration.messaging_support import (
    MUNICIPALITY,
    applications,
    create_schema,
    start_recording_consumer,
)
from tsuen_common.db import make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import Outbox, OutboxRelay, reliable_producer
from tsuen_common.telemetry import configure_tracing, http_telemetry

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_consumer_span_belongs_to_the_http_requests_trace(kafka, topic_prefix, new_database):
    exporter = InMemorySpanExporter()
    configure_tracing("tsuen-test", exporter="none").add_span_processor(
        SimpleSpanProcessor(exporter)
    )
    engine = await create_schema(await new_database("producer"))
    sessions = make_sessions(engine)
    outbox = Outbox(producer="test-eligibility", topic_prefix=topic_prefix)

    app = FastAPI(telemetry=http_telemetry())

    @app.post("/applications")
    async def submit() -> dict[str, str]:
        app_id = uuid.uuid4()
        async with sessions() as session, session.begin():
            await session.execute(sa.insert(applications).values(id=app_id))
            env = await outbox.add(
                session, ApplicationSubmitted(application_id=app_id), municipality=MUNICIPALITY
            )
        return {"event_id": str(env.event_id)}

    consumer = await start_recording_consumer(
        kafka.bootstrap_servers, topic_prefix, await new_database("consumer")
    )
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-relay")
    await producer.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://tsuen.test"
        ) as client:
            response = await client.post(
                "/applications", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
            )
        assert response.status_code == 200
        event_id = uuid.UUID(response.json()["event_id"])

        assert await OutboxRelay(engine=engine, producer=producer).run_once() == 1

        async def consumed() -> bool:
            return event_id in await consumer.effect_ids()

        await eventually(consumed, what="the event at the consumer")
        consumer_spans = [
            s
            for s in exporter.get_finished_spans()
            if s.kind is SpanKind.CONSUMER
            and s.attributes
            and s.attributes.get("messaging.message.id") == str(event_id)
        ]
        assert len(consumer_spans) == 1
        span = consumer_spans[0]
        assert format(span.context.trace_id, "032x") == TRACE_ID
        assert span.parent is not None
        http_span_ids = {
            s.context.span_id
            for s in exporter.get_finished_spans()
            if format(s.context.trace_id, "032x") == TRACE_ID and s.kind is SpanKind.SERVER
        }
        assert span.parent.span_id in http_span_ids
    finally:
        await producer.stop()
        await consumer.stop()
        await engine.dispose()


async def test_a_batch_handler_makes_one_span_per_event_each_a_child_of_its_producer(
    kafka, topic_prefix, new_database
):
    exporter = InMemorySpanExporter()
    configure_tracing("tsuen-test", exporter="none").add_span_processor(
        SimpleSpanProcessor(exporter)
    )
    topic = topic_name(Topic.ELIGIBILITY, topic_prefix)
    # Three producers' spans (three requests): each event carries its own trace context.
    parents = {uuid.uuid4(): (uuid.uuid4().hex, uuid.uuid4().hex[:16]) for _ in range(3)}
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    consumer = None
    try:
        for application_id, (trace_id, span_id) in parents.items():
            env = EventEnvelope.wrap(
                ApplicationSubmitted(application_id=application_id),
                municipality=MUNICIPALITY,
                producer="test",
                trace={"traceparent": f"00-{trace_id}-{span_id}-01"},
            )
            await producer.send_and_wait(topic, env.to_bytes(), key=b"one-partition")
        consumer = await start_recording_consumer(
            kafka.bootstrap_servers, topic_prefix, await new_database("consumer"), batch=True
        )

        async def consumed() -> bool:
            return len(await consumer.effect_ids()) == len(parents)

        await eventually(consumed, what="the three events at the consumer")
        assert consumer.calls == [3]  # one call for the poll: the batch path was taken
        spans = [
            s
            for s in exporter.get_finished_spans()
            if s.kind is SpanKind.CONSUMER and s.name.endswith("eligibility.ApplicationSubmitted")
        ]
        assert len(spans) == len(parents)
        linked = {
            (format(s.context.trace_id, "032x"), format(s.parent.span_id, "016x"))
            for s in spans
            if s.parent is not None
        }
        assert linked == set(parents.values())
        assert len({s.attributes["messaging.message.id"] for s in spans if s.attributes}) == 3
    finally:
        await producer.stop()
        if consumer is not None:
            await consumer.stop()

"""A consumer whose handler is a BatchHandler (one multi-row INSERT per run of new events),
over the same schema as ``messaging_support`` (effects without a unique constraint: only the
inbox stands between a redelivery and a second effect row)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.integration.messaging_support import create_schema, effects
from tsuen_common.db import make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import (
    BatchHandler,
    DeadLetterPublisher,
    EventConsumer,
    reliable_producer,
    subscribe,
)


@dataclass
class BatchRecordingConsumer:
    broker: KafkaBroker
    consumer: EventConsumer
    engine: AsyncEngine
    calls: list[int] = field(default_factory=list)  # events per handle_many call

    async def effect_ids(self) -> list[uuid.UUID]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(sa.select(effects.c.event_id))).scalars())

    async def stop(self) -> None:
        await self.broker.stop()
        await self.consumer.dead_letters.producer.stop()
        await self.engine.dispose()


async def start_batch_consumer(
    bootstrap: str,
    prefix: str,
    db_url: str,
    *,
    fail_for: set[uuid.UUID] | None = None,
    max_attempts: int = 3,
) -> BatchRecordingConsumer:
    engine = await create_schema(db_url)
    failing = fail_for if fail_for is not None else set()
    calls: list[int] = []

    async def record_many(
        session: AsyncSession, events: Sequence[tuple[EventEnvelope, object]]
    ) -> None:
        calls.append(len(events))
        if any(envelope.event_id in failing for envelope, _ in events):
            raise RuntimeError("simulated handler failure")
        await session.execute(
            sa.insert(effects), [{"event_id": envelope.event_id} for envelope, _ in events]
        )

    producer = reliable_producer(bootstrap, client_id="test-dlq")
    await producer.start()
    consumer = EventConsumer(
        name=f"batch-recorder-{uuid.uuid4().hex[:6]}",
        sessions=make_sessions(engine),
        handlers={ApplicationSubmitted: BatchHandler(record_many)},
        dead_letters=DeadLetterPublisher(producer),
        max_attempts=max_attempts,
        backoff_seconds=0.01,
    )
    broker = KafkaBroker(bootstrap, graceful_timeout=10.0)
    subscribe(broker, consumer, topic_name(Topic.ELIGIBILITY, prefix))
    await broker.start()
    return BatchRecordingConsumer(broker=broker, consumer=consumer, engine=engine, calls=calls)

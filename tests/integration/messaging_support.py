"""A tiny producer and consumer built from the shared messaging parts, for the tests that prove
the parts themselves (outbox + relay + inbox, dead letters)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import (
    BatchHandler,
    DeadLetterPublisher,
    EventConsumer,
    Outbox,
    add_messaging_tables,
    reliable_producer,
    subscribe,
)

metadata = sa.MetaData()
add_messaging_tables(metadata)
applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
)
# Deliberately no unique constraint: only the inbox stands between a redelivery and a
# second effect, so a duplicate here means the inbox failed.
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Uuid, nullable=False),
)

MUNICIPALITY = "131016"


async def create_schema(url: str) -> AsyncEngine:
    engine = make_engine(url, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


async def submit_applications(engine: AsyncEngine, prefix: str, count: int) -> list[uuid.UUID]:
    """``count`` state changes, each committed with its event in one transaction."""
    outbox = Outbox(producer="test-eligibility", topic_prefix=prefix)
    sessions = make_sessions(engine)
    ids = []
    for _ in range(count):
        app_id = uuid.uuid4()
        async with sessions() as session, session.begin():
            await session.execute(sa.insert(applications).values(id=app_id))
            env = await outbox.add(
                session, ApplicationSubmitted(application_id=app_id), municipality=MUNICIPALITY
            )
        ids.append(env.event_id)
    return ids


@dataclass
class RecordingConsumer:
    """A consumer whose handler records one effect row per processed event."""

    broker: KafkaBroker
    consumer: EventConsumer
    engine: AsyncEngine
    calls: list[int] = field(default_factory=list)  # events per handle_many call (batch=True)

    async def effect_ids(self) -> list[uuid.UUID]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(sa.select(effects.c.event_id))).scalars())

    async def stop(self) -> None:
        await self.broker.stop()
        await self.consumer.dead_letters.producer.stop()
        await self.engine.dispose()


async def start_recording_consumer(
    bootstrap: str,
    prefix: str,
    db_url: str,
    *,
    fail_for: set[uuid.UUID] | None = None,
    max_attempts: int = 3,
    batch: bool = False,
) -> RecordingConsumer:
    """``batch``: the handler is a BatchHandler (one multi-row INSERT per run of new events)."""
    engine = await create_schema(db_url)
    failing = fail_for if fail_for is not None else set()
    calls: list[int] = []

    async def record(session: AsyncSession, envelope: EventEnvelope, payload: object) -> None:
        if envelope.event_id in failing:
            raise RuntimeError("simulated handler failure")
        await session.execute(sa.insert(effects).values(event_id=envelope.event_id))

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
        name=f"{'batch-' if batch else ''}recorder-{uuid.uuid4().hex[:6]}",
        sessions=make_sessions(engine),
        handlers={ApplicationSubmitted: BatchHandler(record_many) if batch else record},
        dead_letters=DeadLetterPublisher(producer),
        max_attempts=max_attempts,
        backoff_seconds=0.01,
    )
    broker = KafkaBroker(bootstrap, graceful_timeout=10.0)
    subscribe(broker, consumer, topic_name(Topic.ELIGIBILITY, prefix))
    await broker.start()
    return RecordingConsumer(broker=broker, consumer=consumer, engine=engine, calls=calls)

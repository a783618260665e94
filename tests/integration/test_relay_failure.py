"""A batch Kafka refuses is handed back at once, so nothing newer overtakes it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.integration.messaging_support import MUNICIPALITY, create_schema
from tsuen_common.db import make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.messaging import Outbox, OutboxRelay, reliable_producer


async def test_a_refused_batch_is_released_for_the_next_claim(kafka, topic_prefix, new_database):
    engine = await create_schema(await new_database("producer"))
    sessions = make_sessions(engine)
    # A topic name Kafka rejects: the whole batch fails to publish.
    broken = Outbox(producer="test", topic_prefix="not a valid topic name!")
    async with sessions() as session, session.begin():
        await broken.add(
            session, ApplicationSubmitted(application_id=uuid.uuid4()), municipality=MUNICIPALITY
        )
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-relay-failure")
    await producer.start()
    try:
        relay = OutboxRelay(engine=engine, producer=producer, lease_seconds=600)
        with pytest.raises(Exception):  # noqa: B017, PT011 (aiokafka's error varies by version)
            await relay.run_once()
        async with engine.connect() as conn:
            row = (
                await conn.execute(sa.text("SELECT claimed_by, lease_until, sent_at FROM outbox"))
            ).one()
        # Not left under a 10-minute lease: the next claim takes it again, first.
        assert row.claimed_by is None
        assert row.lease_until is None
        assert row.sent_at is None
    finally:
        await producer.stop()
        await engine.dispose()

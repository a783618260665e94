"""BatchHandler on real Kafka and PostgreSQL: each event's effect exactly once, duplicates
skipped within a poll and across polls, and a failing batch retried one by one with the bad
event dead-lettered."""

from __future__ import annotations

import uuid
from collections import Counter

from aiokafka import AIOKafkaProducer

from tests.integration.conftest import eventually
from tests.integration.messaging_support import MUNICIPALITY, start_recording_consumer
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import Outcome, dlq_cli

KEY = b"one-partition"  # one partition: the records arrive together, in this order


def submitted() -> EventEnvelope:
    return EventEnvelope.wrap(
        ApplicationSubmitted(application_id=uuid.uuid4()),
        municipality=MUNICIPALITY,
        producer="test",
    )


async def test_each_event_once_with_duplicates_in_a_poll_and_across_polls(
    kafka, topic_prefix, new_database
):
    topic = topic_name(Topic.ELIGIBILITY, topic_prefix)
    events = [submitted() for _ in range(20)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    consumer = None
    try:
        # Published before the consumer starts: its first poll holds the repeats too.
        for env in [*events, events[0], events[7], events[7]]:
            await producer.send_and_wait(topic, env.to_bytes(), key=KEY)
        consumer = await start_recording_consumer(
            kafka.bootstrap_servers, topic_prefix, await new_database("consumer"), batch=True
        )

        async def all_processed() -> bool:
            return len(await consumer.effect_ids()) >= len(events)

        await eventually(all_processed, what="the 20 events' effects")
        assert max(consumer.calls) > 1  # handed over together, not one at a time

        # Redelivered in a later poll (a relay that died before marking them sent).
        for env in events[:5]:
            await producer.send_and_wait(topic, env.to_bytes(), key=KEY)
        late = submitted()
        await producer.send_and_wait(topic, late.to_bytes(), key=KEY)

        async def late_processed() -> bool:
            return late.event_id in await consumer.effect_ids()

        await eventually(late_processed, what="the event behind the redelivered ones")
        counts = Counter(await consumer.effect_ids())
        assert set(counts) == {e.event_id for e in [*events, late]}
        assert set(counts.values()) == {1}
        stats = consumer.consumer.stats.counts
        assert stats[Outcome.PROCESSED] == 21
        assert stats[Outcome.DUPLICATE] == 8
    finally:
        await producer.stop()
        if consumer is not None:
            await consumer.stop()


async def test_a_failing_batch_is_retried_one_by_one_and_the_bad_event_dead_lettered(
    kafka, topic_prefix, new_database
):
    topic = topic_name(Topic.ELIGIBILITY, topic_prefix)
    good = [submitted() for _ in range(5)]
    bad = submitted()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    consumer = None
    try:
        for env in [*good[:2], bad, *good[2:]]:
            await producer.send_and_wait(topic, env.to_bytes(), key=KEY)
        consumer = await start_recording_consumer(
            kafka.bootstrap_servers,
            topic_prefix,
            await new_database("consumer"),
            fail_for={bad.event_id},
            batch=True,
        )

        async def good_processed() -> bool:
            return len(await consumer.effect_ids()) >= len(good)

        await eventually(good_processed, what="the good events around the failing one")
        letters = await dlq_cli.list_dead_letters(kafka.bootstrap_servers, topic)
        assert [dl.value for dl in letters] == [bad.to_bytes()]
        assert letters[0].header("dlq.attempts") == "3"
        assert "simulated handler failure" in (letters[0].header("dlq.error") or "")
        # The failed batch wrote nothing; one by one, each good event once.
        assert sorted(map(str, await consumer.effect_ids())) == sorted(
            str(e.event_id) for e in good
        )
        assert consumer.calls.count(1) >= len(good) + 3  # good ones alone + bad one 3 times
    finally:
        await producer.stop()
        if consumer is not None:
            await consumer.stop()

"""Poison messages go to the dead-letter topic with the error and the original headers, the
consumer carries on, and an operator can list and replay them."""

from __future__ import annotations

import asyncio
import json
import uuid

from aiokafka import AIOKafkaProducer

from tests.integration.conftest import eventually
from tests.integration.messaging_support import MUNICIPALITY, start_recording_consumer
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import dlq_cli


def submitted() -> EventEnvelope:
    return EventEnvelope.wrap(
        ApplicationSubmitted(application_id=uuid.uuid4()),
        municipality=MUNICIPALITY,
        producer="test",
    )


async def test_malformed_and_failing_events_are_dead_lettered_and_replayable(
    kafka, topic_prefix, new_database, capsys
):
    topic = topic_name(Topic.ELIGIBILITY, topic_prefix)
    good_before, good_after, stubborn = submitted(), submitted(), submitted()
    unknown_version = json.loads(submitted().model_dump_json())
    unknown_version["event_version"] = 99
    failing = {stubborn.event_id}
    consumer = await start_recording_consumer(
        kafka.bootstrap_servers, topic_prefix, await new_database("consumer"), fail_for=failing
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    key = b"same-partition"  # one partition: the poison messages sit in front of the good one
    try:
        await producer.send_and_wait(topic, good_before.to_bytes(), key=key)
        await producer.send_and_wait(
            topic, b"{this is not json", key=key, headers=[("trace-note", b"from-test")]
        )
        await producer.send_and_wait(topic, json.dumps(unknown_version).encode(), key=key)
        await producer.send_and_wait(
            topic,
            stubborn.to_bytes(),
            key=key,
            headers=[("event_id", str(stubborn.event_id).encode())],
        )
        await producer.send_and_wait(topic, good_after.to_bytes(), key=key)

        async def both_good_processed() -> bool:
            return set(await consumer.effect_ids()) == {good_before.event_id, good_after.event_id}

        await eventually(both_good_processed, what="the good events behind the poison ones")

        letters = await dlq_cli.list_dead_letters(kafka.bootstrap_servers, topic)
        assert len(letters) == 3
        bad_json, bad_version, failed = letters
        assert bad_json.value == b"{this is not json"
        assert bad_json.header("trace-note") == "from-test"  # original headers kept
        assert "invalid envelope" in (bad_json.header("dlq.error") or "")
        assert bad_json.header("dlq.original_topic") == topic
        assert "version 99" in (bad_version.header("dlq.error") or "")
        assert failed.header("dlq.attempts") == "3"
        assert "simulated handler failure" in (failed.header("dlq.error") or "")
        assert failed.header("event_id") == str(stubborn.event_id)

        # The operator's view names the failure without the payload.
        # The CLI runs its own event loop, as it does in an operator's shell.
        args = ["--bootstrap", kafka.bootstrap_servers]
        assert await asyncio.to_thread(dlq_cli.main, [*args, "list", "--topic", topic]) == 0
        # (The consumer running in this process logs to the same stdout: keep the CLI's rows.)
        listed = [
            json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ref": ' in line
        ]
        assert [row["ref"] for row in listed] == [f"0:{dl.offset}" for dl in letters]
        assert all("payload" not in row for row in listed)

        # Fix the cause, replay only the failed one: it is processed once.
        failing.clear()
        ref = f"{failed.partition}:{failed.offset}"
        replay = [*args, "replay", "--topic", topic, "--offset", ref]
        assert await asyncio.to_thread(dlq_cli.main, replay) == 0

        async def stubborn_processed() -> bool:
            return stubborn.event_id in await consumer.effect_ids()

        await eventually(stubborn_processed, what="the replayed event")
        assert sorted(map(str, await consumer.effect_ids())) == sorted(
            str(e.event_id) for e in (good_before, good_after, stubborn)
        )
    finally:
        await producer.stop()
        await consumer.stop()

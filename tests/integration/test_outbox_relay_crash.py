"""Outbox + relay + inbox over a real broker: kill the relay mid-batch, twice, and every
committed event still reaches the consumer's effect exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.integration.conftest import eventually
from tests.integration.messaging_support import (
    create_schema,
    start_recording_consumer,
    submit_applications,
)
from tsuen_common.messaging.consumer import Outcome

EVENTS = 300
BATCH = 40


def start_relay(
    kafka_bootstrap: str, db_url: str, *, drill_crash: bool, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TSUEN_DATABASE_URL": db_url,
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TSUEN_SERVICE_NAME": "test-eligibility",
        "TSUEN_RELAY_BATCH_SIZE": str(BATCH),
        # A short lease so that a dead relay's claimed rows come back quickly.
        "TSUEN_RELAY_LEASE_SECONDS": "1",
        "TSUEN_RELAY_POLL_INTERVAL_MS": "20",
    }
    if drill_crash:
        env["TSUEN_RELAY_DRILL_CRASH_AFTER_PUBLISH"] = "1"
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("tsuen-relay"))],
        env=env,
        # A file, not a pipe: an unread pipe fills up and blocks the relay's logging.
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_relay_killed_mid_batch_loses_and_duplicates_nothing(
    kafka, topic_prefix, new_database, tmp_path
):
    log = tmp_path / "relay.log"
    producer_db = await new_database("producer")
    engine = await create_schema(producer_db)
    committed = set(await submit_applications(engine, topic_prefix, EVENTS))
    consumer = await start_recording_consumer(
        kafka.bootstrap_servers, topic_prefix, await new_database("consumer")
    )

    async def pending_count() -> int:
        async with engine.connect() as conn:
            return (
                await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
            ).scalar_one()

    try:
        # 1. A relay dies right after its first batch is on Kafka, before marking it sent.
        relay = start_relay(kafka.bootstrap_servers, producer_db, drill_crash=True, log=log)
        rc = await asyncio.to_thread(relay.wait, 60)
        assert rc == 137, log.read_text()[-2000:]
        assert await pending_count() == EVENTS  # published, but nothing marked

        async def consumer_saw(n: int) -> bool:
            return len(set(await consumer.effect_ids())) >= n

        await eventually(lambda: consumer_saw(BATCH), what="the first batch at the consumer")

        # 2. A relay is killed with SIGKILL while it works through the backlog.
        relay = start_relay(kafka.bootstrap_servers, producer_db, drill_crash=False, log=log)
        await eventually(lambda: consumer_saw(3 * BATCH), what="progress after restart")
        relay.send_signal(signal.SIGKILL)
        await asyncio.to_thread(relay.wait, 30)

        # 3. A fresh relay finishes the job.
        relay = start_relay(kafka.bootstrap_servers, producer_db, drill_crash=False, log=log)

        async def third_relay_running() -> bool:
            # Before its loop runs, a relay has no SIGTERM handler yet (Python is still
            # importing): a stop request then is a plain kill, which is not what we test.
            return log.read_text().count("outbox relay started") == 3

        await eventually(third_relay_running, what="the third relay to start")

        async def all_sent() -> bool:
            return await pending_count() == 0

        await eventually(all_sent, within=60, what="the outbox to drain")
        await eventually(lambda: consumer_saw(EVENTS), within=60, what="every event consumed")
        # The crashed batch was redelivered; wait until the consumer has worked through it.
        await eventually(
            lambda: _true_if(consumer.consumer.stats.counts[Outcome.DUPLICATE] >= BATCH),
            what="the republished batch to be skipped as duplicates",
        )
        relay.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(relay.wait, 30) == 0, log.read_text()[-2000:]

        seen = await consumer.effect_ids()
        assert set(seen) == committed
        assert len(seen) == EVENTS, "an event had its effect twice"
        assert consumer.consumer.stats.counts[Outcome.DEAD_LETTERED] == 0
    finally:
        for proc in [relay]:
            if proc.poll() is None:
                proc.kill()
        await consumer.stop()
        await engine.dispose()


async def _true_if(value: bool) -> bool:
    return value

"""An idle relay on a database with the wake-up does not poll: a commit's NOTIFY wakes it, long
before its fallback poll, and it leaves the waiting register when it stops. Real PostgreSQL
and Kafka."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import sqlalchemy as sa

from tests.integration.conftest import eventually
from tests.integration.messaging_support import create_schema, submit_applications
from tsuen_common.messaging import OutboxRelay, reliable_producer
from tsuen_common.messaging.wakeup import install


@dataclass
class CountingRelay(OutboxRelay):
    claims: int = 0

    async def run_once(self) -> int:
        self.claims += 1
        return await super().run_once()


async def test_an_idle_relay_waits_for_a_commit_instead_of_polling(
    kafka, topic_prefix, new_database
):
    engine = await create_schema(await new_database("producer"))
    async with engine.begin() as conn:
        await install(conn)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-relay-wakeup")
    await producer.start()
    # The fallback poll is far beyond the test: only a NOTIFY can explain a prompt publish.
    relay = CountingRelay(
        engine=engine, producer=producer, poll_interval=0.02, idle_poll_interval=60.0
    )
    task = asyncio.create_task(relay.run())

    async def unsent() -> int:
        async with engine.connect() as conn:
            return int(
                (
                    await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
                ).scalar_one()
            )

    async def registered() -> int:
        async with engine.connect() as conn:
            return int(
                (
                    await conn.execute(sa.text("SELECT count(*) FROM outbox_relay_waiting"))
                ).scalar_one()
            )

    try:

        async def waiting() -> bool:
            return await registered() == 1

        await eventually(waiting, what="the relay on the waiting register")
        claims = relay.claims
        await asyncio.sleep(1.0)
        # Polling every 20 ms would have claimed ~50 times by now.
        assert relay.claims == claims

        for _ in range(3):  # woken each time, not only once
            started = time.monotonic()
            await submit_applications(engine, topic_prefix, 5)

            async def published() -> bool:
                return await unsent() == 0

            await eventually(published, what="the committed rows published")
            assert time.monotonic() - started < 10.0
            await eventually(waiting, what="the relay waiting again")
        assert relay.stats.published == 15
    finally:
        relay.stop()
        await asyncio.wait_for(task, timeout=10)
        await producer.stop()
    assert await registered() == 0  # a stopped relay asks no writer to notify
    await engine.dispose()

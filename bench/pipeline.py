"""Event pipeline: committed state change → outbox → relay → Kafka → consumer with inbox.

1. Latency at a steady rate: a producer process commits RATE events/s (row + outbox in one
   transaction) for SECONDS; a relay process publishes; an in-process consumer (EventConsumer:
   inbox + effect in one transaction) records when each event's effect committed.
   Figures: p50/p99 of (effect committed − state committed).
2. Consumer throughput: COUNT events pre-loaded on a topic; our consumer vs a raw aiokafka
   loop (baseline) on the same topic.
Usage: uv run python -m bench.pipeline [--rate 500 --seconds 10 --count 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from bench.common import Result, report, summary
from tests.integration import testbed
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import (
    DeadLetterPublisher,
    EventConsumer,
    Outbox,
    add_messaging_tables,
    reliable_producer,
    subscribe,
)
from tsuen_common.messaging.provision import ensure_topics

metadata = sa.MetaData()
add_messaging_tables(metadata)
state = sa.Table("state", metadata, sa.Column("id", sa.Uuid, primary_key=True))
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("event_id", sa.Uuid, primary_key=True),
    sa.Column("done_at", sa.Float, nullable=False),
)
MUNICIPALITY = "131016"


async def produce(url: str, prefix: str, rate: int, seconds: float, out: Path) -> None:
    """Producer process: RATE commits per second, each with its event; write commit times."""
    engine = make_engine(url, pool_size=20)
    sessions = make_sessions(engine)
    outbox = Outbox(producer="bench", topic_prefix=prefix)
    committed: dict[str, float] = {}

    async def one(_: int) -> None:
        async with sessions() as session, session.begin():
            row = uuid.uuid4()
            await session.execute(sa.insert(state).values(id=row))
            env = await outbox.add(
                session, ApplicationSubmitted(application_id=row), municipality=MUNICIPALITY
            )
        committed[str(env.event_id)] = time.time()

    # At most as many commits in flight as the pool has connections: when the database is
    # slower than the rate, the producer falls behind (reported) instead of timing out.
    gate = asyncio.Semaphore(25)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    start = time.monotonic()
    tasks = []
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(gated(i)))
    await asyncio.gather(*tasks)
    out.write_text(json.dumps(committed))
    await engine.dispose()


async def latency_phase(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, rate: int, seconds: float
) -> Result:
    prefix = f"b{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    pg.create_database("pipeline", drop_existing=True)
    url = pg.async_url("pipeline")
    engine = make_engine(url, pool_size=10)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def record(session, envelope, payload) -> None:  # type: ignore[no-untyped-def]
        await session.execute(sa.insert(effects).values(event_id=envelope.event_id, done_at=0.0))

    dlq_producer = reliable_producer(kafka.bootstrap_servers, client_id="bench-dlq")
    await dlq_producer.start()
    consumer = EventConsumer(
        name="bench-consumer",
        sessions=make_sessions(engine),
        handlers={ApplicationSubmitted: record},
        dead_letters=DeadLetterPublisher(dlq_producer),
    )
    done_at: dict[str, float] = {}
    original = consumer.process_batch

    async def timed(deliveries):  # type: ignore[no-untyped-def]
        outcomes = await original(deliveries)
        now = time.time()  # the batch's transaction has committed
        for delivery in deliveries:
            done_at[delivery.header("event_id") or ""] = now
        return outcomes

    consumer.process_batch = timed  # type: ignore[method-assign]
    broker = KafkaBroker(kafka.bootstrap_servers, logger=None)
    subscribe(broker, consumer, topic_name(Topic.ELIGIBILITY, prefix))
    await broker.start()

    env = {
        **os.environ,
        "TSUEN_DATABASE_URL": url,
        "TSUEN_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TSUEN_LOG_LEVEL": "WARNING",
    }
    relay = subprocess.Popen(
        [str(Path(sys.executable).with_name("tsuen-relay"))], env=env, stdout=subprocess.DEVNULL
    )
    try:
        committed, done_at = await _drive_producer(url, prefix, rate, seconds, done_at)
    finally:
        relay.terminate()
        relay.wait(10)
        await broker.stop()
        await dlq_producer.stop()
        await engine.dispose()
    return _latency_result(committed, done_at, rate, seconds)


async def _drive_producer(
    url: str, prefix: str, rate: int, seconds: float, done_at: dict[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    producer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.pipeline",
        "produce",
        "--url",
        url,
        "--prefix",
        prefix,
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--out",
        str(out),
    )
    await producer.wait()
    committed: dict[str, float] = json.loads(out.read_text())
    deadline = time.monotonic() + 60
    while len(done_at) < len(committed) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return committed, done_at


def _latency_result(
    committed: dict[str, float], done_at: dict[str, float], rate: int, seconds: float
) -> Result:
    lat = [(done_at[e] - t) * 1000 for e, t in committed.items() if e in done_at]
    s = summary(lat)
    lost = len(committed) - len(lat)
    print(
        f"pipeline latency at {rate}/s for {seconds:.0f}s: n={len(lat)} lost={lost} "
        f"p50={s['p50_ms']:.1f} ms p99={s['p99_ms']:.1f} ms"
    )
    return Result(
        name="event pipeline (commit → consumer effect)",
        metric=f"p99 latency at {rate} events/s",
        value=s["p99_ms"],
        unit="ms",
        target="p99 < 500 ms at 500/s",
        notes=f"p50 {s['p50_ms']:.0f} ms; {len(lat)} events; {lost} missing",
        extra=s,
    )


async def throughput_phase(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, count: int
) -> list[Result]:
    prefix = f"c{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka.bootstrap_servers, prefix)
    topic = topic_name(Topic.ELIGIBILITY, prefix)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="bench-fill")
    await producer.start()
    futures = []
    for _ in range(count):
        env = EventEnvelope.wrap(
            ApplicationSubmitted(application_id=uuid.uuid4()),
            municipality=MUNICIPALITY,
            producer="bench",
        )
        futures.append(await producer.send(topic, env.to_bytes(), key=env.aggregate_id.encode()))
    await asyncio.gather(*futures)
    await producer.stop()

    # Baseline: a raw aiokafka loop that commits after each batch, no database.
    raw = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id="raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await raw.start()
    seen, t0 = 0, time.monotonic()
    while seen < count:
        batch = await raw.getmany(timeout_ms=1000)
        seen += sum(len(v) for v in batch.values())
        await raw.commit()
    raw_rate = count / (time.monotonic() - t0)
    await raw.stop()

    pg.create_database("throughput", drop_existing=True)
    engine = make_engine(pg.async_url("throughput"), pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    # Second baseline, the same work by hand: raw aiokafka + asyncpg, per poll one transaction
    # with the inbox row and the effect row of every event (executemany), then the offsets.
    db_rate = await raw_with_database(kafka, pg, topic, count)

    async def record(session, envelope, payload) -> None:  # type: ignore[no-untyped-def]
        await session.execute(
            sa.insert(effects).values(event_id=envelope.event_id, done_at=time.time())
        )

    dlq = reliable_producer(kafka.bootstrap_servers, client_id="bench-dlq2")
    await dlq.start()
    consumer = EventConsumer(
        name="bench-throughput",
        sessions=make_sessions(engine),
        handlers={ApplicationSubmitted: record},
        dead_letters=DeadLetterPublisher(dlq),
    )
    broker = KafkaBroker(kafka.bootstrap_servers, logger=None)
    subscribe(broker, consumer, topic)
    t0 = time.monotonic()
    await broker.start()
    conn = await asyncpg.connect(pg.dsn("throughput"))
    while (await conn.fetchval("SELECT count(*) FROM effects")) < count:
        await asyncio.sleep(0.1)
    ours = count / (time.monotonic() - t0)
    await conn.close()
    await broker.stop()
    await dlq.stop()
    await engine.dispose()
    print(
        f"consumer throughput: ours {ours:,.0f}/s (inbox + effect per event), raw {raw_rate:,.0f}/s"
        f" (no database), raw aiokafka + asyncpg doing the same inserts {db_rate:,.0f}/s"
    )
    return [
        Result(
            name="consumer throughput",
            metric=f"{count} events, inbox + effect, one commit per poll",
            value=ours,
            unit="events/s",
            baseline=raw_rate,
            target="≥ 50 % of raw aiokafka",
            notes="baseline: raw aiokafka getmany loop, no database",
        ),
        Result(
            name="consumer throughput",
            metric="same, against raw aiokafka + asyncpg doing the same inserts",
            value=ours,
            unit="events/s",
            baseline=db_rate,
            target="≥ 50 % of raw",
            notes="baseline: getmany → one asyncpg transaction (inbox + effect rows) → commit",
        ),
    ]


async def raw_with_database(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, topic: str, count: int
) -> float:
    conn = await asyncpg.connect(pg.dsn("throughput"))
    raw = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id="raw-db",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await raw.start()
    seen, t0 = 0, time.monotonic()
    while seen < count:
        batch = await raw.getmany(timeout_ms=1000)
        rows = []
        for records in batch.values():
            for record in records:
                event = json.loads(record.value or b"{}")
                rows.append((uuid.UUID(event["event_id"]), event["event_type"]))
        if rows:
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO inbox (consumer, event_id, event_type) VALUES ('raw-db', $1, $2)"
                    " ON CONFLICT DO NOTHING",
                    rows,
                )
                await conn.executemany(
                    "INSERT INTO effects (event_id, done_at) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING",
                    [(r[0], time.time()) for r in rows],
                )
        seen += len(rows)
        await raw.commit()
    rate = count / (time.monotonic() - t0)
    await raw.stop()
    await conn.execute("TRUNCATE inbox, effects")
    await conn.close()
    return rate


async def run_on(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, rate: int, seconds: float, count: int
) -> list[Result]:
    return [
        await latency_phase(kafka, pg, rate, seconds),
        *await throughput_phase(kafka, pg, count),
    ]


async def run(rate: int, seconds: float, count: int) -> list[Result]:
    kafka = testbed.start_kafka()
    pg = testbed.start_postgres()
    try:
        return await run_on(kafka, pg, rate, seconds, count)
    finally:
        kafka.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "produce"])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--url")
    parser.add_argument("--prefix")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.mode == "produce":
        asyncio.run(produce(args.url, args.prefix, args.rate, args.seconds, args.out))
        return
    results = asyncio.run(run(args.rate, args.seconds, args.count))
    print(report(results))


if __name__ == "__main__":
    main()

"""Event pipeline: committed state change → outbox → relay → Kafka → consumer with inbox.

1. Latency at a steady rate: a producer process commits RATE events/s (row + outbox in one
   transaction) for SECONDS; a relay process publishes; an in-process consumer (EventConsumer:
   inbox + effect in one transaction) records when each event's effect committed.
   Figures: p50/p99 of (effect committed − state committed).
2. Consumer throughput: COUNT events pre-loaded on a topic, drained in turn by five consumers,
   each in its own group: a raw aiokafka loop with polls as large as aiokafka returns (no
   database; the issue's baseline); and with polls of at most --max-records (what ours asks
   for): the same raw loop, raw aiokafka + asyncpg doing the same inbox + effect inserts, and
   ours (EventConsumer + subscribe) with a per-event handler and with a BatchHandler. Rates
   from the end of each one's first poll (see Drain); CPU per event of this process (the
   consumer) and of PostgreSQL, which depend far less on what else runs on the machine.
Usage: uv run python -m bench.pipeline [--rate 500 --seconds 10 --count 20000 --phase throughput]
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
import uvloop
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.common import Result, paced, report, summary
from bench.stack import CpuMeter
from tests.integration import testbed
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import (
    BatchHandler,
    DeadLetterPublisher,
    Delivery,
    EventConsumer,
    Handler,
    Outbox,
    Outcome,
    add_messaging_tables,
    reliable_producer,
    subscribe,
)
from tsuen_common.messaging.provision import ensure_topics
from tsuen_common.telemetry import configure_tracing

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

    await paced(one, rate, seconds)
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


@dataclass
class Drain:
    """One consumer draining the pre-loaded topic, timed from the end of its first poll (group
    join, offset lookup, first fetch) to the end of its last; the first poll's events are not
    counted in the rate (a raw loop's first poll is one record)."""

    events: int  # timed
    seconds: float
    total: int  # all it processed; CPU is measured over all of them
    polls: int
    cpu: dict[str, float]  # CpuMeter: this process (the consumer), PostgreSQL, machine

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def cpu_us(self, who: str) -> float:
        return self.cpu.get(who, float("nan")) * 1e6 / self.total

    def cpu_text(self) -> str:
        return (
            f"{self.total / self.polls:.0f} events/poll; CPU/event: consumer {self.cpu_us('client'):.0f} µs, PostgreSQL "
            f"{self.cpu_us('postgres'):.0f} µs; machine {self.cpu.get('machine_busy', 0):.0%} busy"
        )


async def throughput_phase(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, count: int, max_records: int = 100
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
            # What the relay publishes: the producer's trace context, for the consumer span.
            trace={"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"},
        )
        futures.append(await producer.send(topic, env.to_bytes(), key=env.aggregate_id.encode()))
    await asyncio.gather(*futures)
    await producer.stop()

    pg.create_database("throughput", drop_existing=True)
    engine = make_engine(pg.async_url("throughput"), pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    # Every consumer reads the same topic from the start in its own group and commits its
    # offsets after each poll. The issue's baseline is the fastest raw loop: polls as large as
    # aiokafka returns. The others take polls of at most `max_records` (what `subscribe` asks
    # for), so that they compare like for like with ours.
    raw = await raw_loop(kafka, pg, topic, count, None, group="raw")
    raw_same = await raw_loop(kafka, pg, topic, count, max_records, group="raw-same-polls")
    raw_db = await raw_with_database(kafka, pg, topic, count, max_records)

    # Ours, as a service writes it: EventConsumer + subscribe (FastStream), inbox, spans.
    async def record(session: AsyncSession, envelope: EventEnvelope, payload: object) -> None:
        await session.execute(
            sa.insert(effects).values(event_id=envelope.event_id, done_at=time.time())
        )

    async def record_many(
        session: AsyncSession, events: Sequence[tuple[EventEnvelope, object]]
    ) -> None:
        now = time.time()
        await session.execute(
            sa.insert(effects), [{"event_id": env.event_id, "done_at": now} for env, _ in events]
        )

    per_event = await our_consumer(kafka, pg, engine, topic, count, max_records, record)
    batched = await our_consumer(
        kafka, pg, engine, topic, count, max_records, BatchHandler(record_many)
    )
    await engine.dispose()
    print(
        f"consumer throughput ({count} events):\n"
        f"  raw aiokafka, no database, any poll size {raw.rate:9,.0f}/s  {raw.cpu_text()}\n"
        f"  polls of ≤ {max_records}:\n"
        f"  raw aiokafka, no database                {raw_same.rate:9,.0f}/s  "
        f"{raw_same.cpu_text()}\n"
        f"  raw aiokafka + asyncpg, same inserts     {raw_db.rate:9,.0f}/s  {raw_db.cpu_text()}\n"
        f"  EventConsumer, per-event handler         {per_event.rate:9,.0f}/s  "
        f"{per_event.cpu_text()}\n"
        f"  EventConsumer, BatchHandler              {batched.rate:9,.0f}/s  {batched.cpu_text()}"
    )
    name = "consumer throughput"
    ours = f"{count} events, inbox + effect row per event, one commit per poll of ≤ {max_records}"
    issue = (
        "baseline (the issue's target): raw aiokafka getmany loop, no database, polls as large "
        f"as aiokafka returns ({raw.cpu_us('client'):.0f} µs CPU/event); same loop with polls "
        f"of ≤ {max_records}: {raw_same.rate:,.0f}/s"
    )
    same_work = (
        f"baseline: raw aiokafka getmany (≤ {max_records}) → one asyncpg transaction (inbox + "
        f"effect rows, executemany) → commit offsets; {raw_db.cpu_text()}"
    )
    return [
        Result(
            name=name,
            metric=f"per-event handler: {ours}",
            value=per_event.rate,
            unit="events/s",
            baseline=raw.rate,
            target="≥ 50 % of raw aiokafka",
            notes=f"{per_event.cpu_text()}; {issue}",
        ),
        Result(
            name=name,
            metric=f"BatchHandler (one executemany per poll): {ours}",
            value=batched.rate,
            unit="events/s",
            baseline=raw.rate,
            target="≥ 50 % of raw aiokafka",
            notes=f"{batched.cpu_text()}; {issue}",
        ),
        Result(
            name=name,
            metric="per-event handler, against raw aiokafka + asyncpg doing the same inserts",
            value=per_event.rate,
            unit="events/s",
            baseline=raw_db.rate,
            target="(none: what committing to PostgreSQL allows)",
            notes=same_work,
        ),
        Result(
            name=name,
            metric="BatchHandler, against raw aiokafka + asyncpg doing the same inserts",
            value=batched.rate,
            unit="events/s",
            baseline=raw_db.rate,
            target="(none: what committing to PostgreSQL allows)",
            notes=same_work,
        ),
    ]


async def raw_loop(
    kafka: testbed.KafkaHandle,
    pg: testbed.PostgresHandle,
    topic: str,
    count: int,
    max_records: int | None,
    *,
    group: str,
) -> Drain:
    """Baseline: a raw aiokafka loop that commits after each poll, no database."""
    raw = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await raw.start()
    batch = await _first_poll(raw)
    seen, polls, timed = 0, 0, (0, 0.0)
    with CpuMeter(pg=pg) as meter:
        while True:
            polls += 1
            seen += sum(len(v) for v in batch.values())
            await raw.commit()
            timed = timed if polls > 1 else (seen, time.monotonic())
            if seen >= count:
                break
            batch = await raw.getmany(timeout_ms=1000, max_records=max_records)
        elapsed = time.monotonic() - timed[1]
    await raw.stop()
    return Drain(seen - timed[0], elapsed, seen, polls, meter.cpu)


async def _first_poll(consumer: AIOKafkaConsumer) -> dict[Any, list[Any]]:
    """One record, once the group join gave the consumer its partitions, its offsets are looked
    up and fetching has begun: the timing starts after it, as it does for ours."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if batch := await consumer.getmany(timeout_ms=1000, max_records=1):
            return batch
    raise TimeoutError("no record within 60 s")


async def raw_with_database(
    kafka: testbed.KafkaHandle, pg: testbed.PostgresHandle, topic: str, count: int, max_records: int
) -> Drain:
    """Second baseline, the same work by hand: raw aiokafka + asyncpg, per poll one transaction
    with the inbox row and the effect row of every event (executemany), then the offsets."""
    conn = await asyncpg.connect(pg.dsn("throughput"))
    raw = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id="raw-db",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await raw.start()
    batch = await _first_poll(raw)
    seen, polls, timed = 0, 0, (0, 0.0)
    with CpuMeter(pg=pg) as meter:
        while True:
            polls += 1
            rows = []
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value or b"{}")
                    rows.append((uuid.UUID(event["event_id"]), event["event_type"]))
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO inbox (consumer, event_id, event_type)"
                    " VALUES ('raw-db', $1, $2) ON CONFLICT DO NOTHING",
                    rows,
                )
                await conn.executemany(
                    "INSERT INTO effects (event_id, done_at) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING",
                    [(r[0], time.time()) for r in rows],
                )
            seen += len(rows)
            await raw.commit()
            timed = timed if polls > 1 else (seen, time.monotonic())
            if seen >= count:
                break
            batch = await raw.getmany(timeout_ms=1000, max_records=max_records)
        elapsed = time.monotonic() - timed[1]
    await raw.stop()
    await conn.execute("TRUNCATE inbox, effects")
    await conn.close()
    return Drain(seen - timed[0], elapsed, seen, polls, meter.cpu)


async def our_consumer(
    kafka: testbed.KafkaHandle,
    pg: testbed.PostgresHandle,
    engine: AsyncEngine,
    topic: str,
    count: int,
    max_records: int,
    handler: Handler,
) -> Drain:
    """EventConsumer + subscribe, as a service's worker runs it, timed like the raw loops."""
    dlq = reliable_producer(kafka.bootstrap_servers, client_id="bench-dlq2")
    await dlq.start()
    consumer = EventConsumer(
        name=f"bench-{uuid.uuid4().hex[:6]}",
        sessions=make_sessions(engine),
        handlers={ApplicationSubmitted: handler},
        dead_letters=DeadLetterPublisher(dlq),
    )
    first: tuple[int, float] | None = None
    last, processed, polls = 0.0, 0, 0
    done = asyncio.Event()
    original = consumer.process_batch

    async def timed(deliveries: Sequence[Delivery]) -> list[Outcome]:
        nonlocal first, last, processed, polls
        polls += 1
        outcomes = await original(deliveries)
        last = time.monotonic()  # the poll's transaction has committed
        processed += outcomes.count(Outcome.PROCESSED)
        first = first or (processed, last)
        if processed >= count:
            done.set()
        return outcomes

    consumer.process_batch = timed  # type: ignore[method-assign]
    broker = KafkaBroker(kafka.bootstrap_servers, logger=None)
    subscribe(broker, consumer, topic, max_records=max_records)
    with CpuMeter(pg=pg) as meter:
        await broker.start()
        await asyncio.wait_for(done.wait(), timeout=300)
    await broker.stop()
    await dlq.stop()
    async with engine.begin() as conn:
        missing = count - (await conn.execute(sa.text("SELECT count(*) FROM effects"))).scalar_one()
        await conn.execute(sa.text("TRUNCATE inbox, effects"))
    if missing:
        raise RuntimeError(f"{missing} events without their effect row")
    assert first is not None
    return Drain(processed - first[0], last - first[1], processed, polls, meter.cpu)


async def run_on(
    kafka: testbed.KafkaHandle,
    pg: testbed.PostgresHandle,
    rate: int,
    seconds: float,
    count: int,
    *,
    phases: Sequence[str] = ("latency", "throughput"),
    max_records: int = 100,
) -> list[Result]:
    # Real spans (one per event, as in a service), exported nowhere: their cost is measured.
    configure_tracing("bench-pipeline", "none")
    results = []
    if "latency" in phases:
        results.append(await latency_phase(kafka, pg, rate, seconds))
    if "throughput" in phases:
        results += await throughput_phase(kafka, pg, count, max_records)
    return results


async def run(
    rate: int, seconds: float, count: int, phases: Sequence[str], max_records: int
) -> list[Result]:
    kafka = testbed.start_kafka()
    pg = testbed.start_postgres()
    try:
        return await run_on(kafka, pg, rate, seconds, count, phases=phases, max_records=max_records)
    finally:
        kafka.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "produce"])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--max-records", type=int, default=100, help="poll size, every consumer")
    parser.add_argument(
        "--phase", action="append", choices=["latency", "throughput"], help="default: both"
    )
    parser.add_argument("--url")
    parser.add_argument("--prefix")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.mode == "produce":
        asyncio.run(produce(args.url, args.prefix, args.rate, args.seconds, args.out))
        return
    # uvloop, as `tsuen-<service> consume` runs its consumers (tsuen_common.service).
    phases = args.phase or ["latency", "throughput"]
    results = uvloop.run(run(args.rate, args.seconds, args.count, phases, args.max_records))
    print(report(results))


if __name__ == "__main__":
    main()

"""``tsuen-dlq``: list and replay dead letters.

    tsuen-dlq list   --topic tsuen.booking.events           # one JSON line per dead letter
    tsuen-dlq replay --topic tsuen.booking.events --offset 0:12 --offset 1:3
    tsuen-dlq replay --topic tsuen.booking.events --all

Listing prints where each dead letter came from, who gave up and why; never the payload
(it is personal data). Replay publishes the original value and headers back to the original
topic; consumers' inboxes make a replay of an already-processed event harmless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tsuen_common.events.topics import dlq_name
from tsuen_common.messaging.dead_letters import original_headers
from tsuen_common.messaging.kafka import reliable_producer
from tsuen_common.messaging.security import client_options
from tsuen_common.settings import ServiceSettings


def _security() -> dict[str, Any]:
    # An operator's command talks to the cluster the way the services do (TLS, SASL).
    return client_options(ServiceSettings())


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode(errors="replace")
        return None

    def summary(self) -> dict[str, object]:
        return {
            "dlq_partition": self.partition,
            "dlq_offset": self.offset,
            "ref": f"{self.partition}:{self.offset}",
            "event_id": self.header("event_id"),
            "event_type": self.header("event_type"),
            "municipality": self.header("municipality"),
            "consumer": self.header("dlq.consumer"),
            "attempts": self.header("dlq.attempts"),
            "error": self.header("dlq.error"),
            "original": f"{self.header('dlq.original_topic')}"
            f"[{self.header('dlq.original_partition')}]@{self.header('dlq.original_offset')}",
            "failed_at": self.header("dlq.failed_at"),
        }


async def _partitions(bootstrap: str, topic: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_security())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return {p["partition"] for t in described if t.get("error_code") == 0 for p in t["partitions"]}


async def read_dead_letters(bootstrap: str, topic: str) -> AsyncIterator[DeadLetter]:
    """Everything currently in ``<topic>.dlq``, read without a consumer group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **_security()
    )
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, dlq_name(topic))
        tps = [TopicPartition(dlq_name(topic), p) for p in sorted(partitions)]
        if not tps:
            return
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    yield DeadLetter(
                        partition=r.partition,
                        offset=r.offset,
                        key=r.key,
                        value=r.value or b"",
                        headers=tuple(r.headers or ()),
                    )
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
    finally:
        await consumer.stop()


async def list_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    return [dl async for dl in read_dead_letters(bootstrap, topic)]


async def replay(bootstrap: str, topic: str, refs: set[str] | None) -> list[DeadLetter]:
    """Republish the chosen dead letters (all when ``refs`` is None) to their original topic."""
    chosen = [
        dl
        for dl in await list_dead_letters(bootstrap, topic)
        if refs is None or f"{dl.partition}:{dl.offset}" in refs
    ]
    producer = reliable_producer(bootstrap, client_id="tsuen-dlq-replay", security=_security())
    await producer.start()
    try:
        for dl in chosen:
            target = dl.header("dlq.original_topic") or topic
            await producer.send_and_wait(
                target,
                value=dl.value,
                key=dl.key,
                headers=[
                    *original_headers(dl.headers),
                    ("dlq.replayed_from", f"{dl.partition}:{dl.offset}".encode()),
                ],
            )
    finally:
        await producer.stop()
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tsuen-dlq", description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default from settings)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list dead letters of a topic")
    p_list.add_argument("--topic", required=True, help="the ORIGINAL topic (without .dlq)")
    p_replay = sub.add_parser("replay", help="republish dead letters to their original topic")
    p_replay.add_argument("--topic", required=True)
    group = p_replay.add_mutually_exclusive_group(required=True)
    group.add_argument("--offset", action="append", metavar="PARTITION:OFFSET")
    group.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    bootstrap = args.bootstrap or ServiceSettings().kafka_bootstrap_servers

    if args.command == "list":
        letters = asyncio.run(list_dead_letters(bootstrap, args.topic))
        for dl in letters:
            print(json.dumps(dl.summary(), ensure_ascii=False))
        print(f"{len(letters)} dead letter(s) in {dlq_name(args.topic)}", file=sys.stderr)
        return 0
    refs = None if args.all else set(args.offset)
    done = asyncio.run(replay(bootstrap, args.topic, refs))
    for dl in done:
        print(json.dumps({"replayed": f"{dl.partition}:{dl.offset}"}))
    print(f"replayed {len(done)} dead letter(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

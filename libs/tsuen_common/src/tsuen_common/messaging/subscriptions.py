"""Binding an :class:`EventConsumer` to a FastStream Kafka subscriber, at-least-once.

- a group id per consumer, ``auto_offset_reset=earliest`` so a new consumer group starts from
  the beginning rather than silently skipping history;
- auto-commit off and ``NACK_ON_ERROR``: the offset is committed only after
  :meth:`EventConsumer.process` returned, which is after the handler's transaction committed
  or the event was dead-lettered. The only exception that escapes ``process`` is a failure to
  dead-letter, and then the nack makes Kafka redeliver instead of losing the event;
- records are taken a poll at a time (``batch=True``, up to ``max_records``) and processed in
  order by :meth:`EventConsumer.process_batch`: one database commit and one offset commit per
  batch instead of per event (raise ``max_records`` for a consumer whose handlers are
  :class:`~tsuen_common.messaging.consumer.BatchHandler` s: fewer, larger transactions and
  offset commits). Never concurrently: FastStream commits the consumer's whole
  position, so parallel processing could commit past an unprocessed event;
- an idle consumer waits in one long poll (``IDLE_POLL_MS``) that returns as soon as a record
  arrives: FastStream's own batch poll waits ``batch_timeout_ms`` and then *sleeps* as long
  again, so a record arriving in that sleep waited up to 100 ms, and each consumer woke five
  times a second with nothing to do (issue 20: idle polling that costs nothing).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from tsuen_common.messaging.consumer import EventConsumer
from tsuen_common.messaging.dead_letters import Delivery

# How long an idle consumer's poll waits before asking again; a record that arrives meanwhile
# ends the wait at once, so this sets only how often an idle consumer wakes up.
IDLE_POLL_MS = 1000


def _poll_without_sleeping(subscriber: Any, max_records: int) -> None:
    """Replace the subscriber's batch poll (FastStream's ``BatchSubscriber.get_msg``) with one
    that does not sleep after an empty poll. The consume loop around it is FastStream's."""

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[Any, ...]:
        batches = await consumer.getmany(timeout_ms=IDLE_POLL_MS, max_records=max_records)
        return tuple(chain.from_iterable(batches.values()))

    subscriber.get_msg = get_msg


def subscribe(
    broker: KafkaBroker, consumer: EventConsumer, *topics: str, max_records: int = 100
) -> None:
    async def handle(message: KafkaMessage) -> None:
        records = message.raw_message
        batch = records if isinstance(records, tuple) else (records,)
        await consumer.process_batch(
            [
                Delivery(
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                    value=record.value or b"",
                    headers=tuple(record.headers or ()),
                )
                for record in batch
            ]
        )

    async def raw_records(message: StreamMessage[object]) -> None:
        # EventConsumer decodes the records itself, with the schemas of the event registry;
        # FastStream's default decoder would json.loads every record first, for nothing.
        return None

    handle.__name__ = f"{consumer.name}_handler"
    subscriber = broker.subscriber(
        *topics,
        group_id=consumer.name,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_poll_interval_ms=10 * 60 * 1000,
        title=consumer.name,
        decoder=raw_records,
    )
    subscriber(handle)
    _poll_without_sleeping(subscriber, max_records)

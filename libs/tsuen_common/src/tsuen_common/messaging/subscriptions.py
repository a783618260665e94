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
  position, so parallel processing could commit past an unprocessed event.
"""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from tsuen_common.messaging.consumer import EventConsumer
from tsuen_common.messaging.dead_letters import Delivery


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
    broker.subscriber(
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
    )(handle)

"""Dead letters: events a consumer cannot or could not process go to ``<topic>.dlq``.

A dead letter keeps the original key, value and headers, plus ``dlq.*`` headers saying which
consumer gave up, after how many attempts, why, and where the event came from. Operators list
and replay them with ``tsuen-dlq`` (see :mod:`tsuen_common.messaging.dlq_cli`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from tsuen_common.events.topics import dlq_name
from tsuen_common.timeutil import now_jst

DLQ_HEADER_PREFIX = "dlq."


@dataclass(frozen=True)
class Delivery:
    """One record as it came off Kafka, before anything was parsed."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode(errors="replace")
        return None


def original_headers(headers: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in headers if not k.startswith(DLQ_HEADER_PREFIX)]


class DeadLetterPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(
        self, delivery: Delivery, *, consumer: str, error: str, attempts: int
    ) -> None:
        """Publish and wait for the broker's acks=all; raise if that fails (then the
        original is not acknowledged and comes back)."""
        headers = [
            *original_headers(delivery.headers),
            ("dlq.consumer", consumer.encode()),
            ("dlq.error", error[:2000].encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.original_topic", delivery.topic.encode()),
            ("dlq.original_partition", str(delivery.partition).encode()),
            ("dlq.original_offset", str(delivery.offset).encode()),
            ("dlq.failed_at", now_jst().isoformat().encode()),
        ]
        await self.producer.send_and_wait(
            dlq_name(delivery.topic), value=delivery.value, key=delivery.key, headers=headers
        )

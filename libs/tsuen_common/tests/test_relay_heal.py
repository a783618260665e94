"""Issue 18, item 1: a relay whose producer can never succeed again replaces it."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import errors as kafka_errors

from tsuen_common.messaging.relay import OutboxRelay, is_producer_fatal


class Producer:
    """Stands for an AIOKafkaProducer: only start and stop are used by ``heal``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True


def _relay(producer: Producer, factory: Any) -> OutboxRelay:
    return OutboxRelay(engine=None, producer=producer, producer_factory=factory)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        kafka_errors.OutOfOrderSequenceNumber(),
        kafka_errors.UnknownProducerId(),
        kafka_errors.ProducerFenced(),
        kafka_errors.TopicAuthorizationFailedError(),
    ],
)
def test_errors_a_producer_never_recovers_from(error: Exception) -> None:
    assert is_producer_fatal(error)
    wrapped = RuntimeError("batch failed")
    wrapped.__cause__ = error
    assert is_producer_fatal(wrapped)  # found through the cause chain


@pytest.mark.parametrize(
    "error",
    [kafka_errors.KafkaTimeoutError(), kafka_errors.RequestTimedOutError(), OSError("refused")],
)
def test_passing_trouble_keeps_the_producer(error: Exception) -> None:
    assert not is_producer_fatal(error)


async def test_the_relay_replaces_a_wedged_producer_and_says_so() -> None:
    made: list[Producer] = []

    def factory() -> Producer:
        made.append(Producer(f"p{len(made) + 1}"))
        return made[-1]

    first = Producer("p0")
    relay = _relay(first, factory)
    assert await relay.heal(kafka_errors.OutOfOrderSequenceNumber())
    assert first.stopped
    assert relay.producer is made[0]
    assert made[0].started
    assert relay.stats.producers_recreated == 1
    # A passing error leaves the producer alone.
    assert not await relay.heal(kafka_errors.KafkaTimeoutError())
    assert relay.producer is made[0]


async def test_without_a_factory_nothing_is_replaced() -> None:
    relay = _relay(Producer("only"), None)
    assert not await relay.heal(kafka_errors.OutOfOrderSequenceNumber())

"""Kafka client settings that the 'nothing lost' promise depends on, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer


def reliable_producer(
    bootstrap_servers: str, *, client_id: str, security: Mapping[str, Any] | None = None
) -> AIOKafkaProducer:
    """acks=all + idempotence: a retried send is neither lost nor written twice by the broker.

    aiokafka's defaults are acks=1 and no idempotence, which can lose or duplicate a message
    on a leader change; we never use them.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
        **(security or {}),  # messaging.security.client_options(settings)
    )

"""Transactional outbox: an event is written in the same transaction as the state change.

Nothing is published here. :mod:`tsuen_common.messaging.relay` publishes committed rows, so a
rolled-back change never emits its event and a committed change always does, eventually.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tsuen_common.events.envelope import EventEnvelope, EventPayload, MunicipalityCode
from tsuen_common.events.topics import topic_name
from tsuen_common.telemetry import inject_trace_headers

_OUTBOX = sa.table(
    "outbox",
    sa.column("event_id"),
    sa.column("event_type"),
    sa.column("topic"),
    sa.column("message_key"),
    sa.column("value", sa.LargeBinary),
    sa.column("headers", JSONB),
)
# Built once: every state change in every service runs it, and building an INSERT with
# literal values (plus its cache key) costs more CPU than sending it (bench/README.md).
_INSERT_OUTBOX = sa.insert(_OUTBOX)


class Outbox:
    """Writes events into the caller's transaction. One per service (it knows who produces)."""

    def __init__(self, *, producer: str, topic_prefix: str = "") -> None:
        self.producer = producer
        self.topic_prefix = topic_prefix

    def envelope(
        self,
        payload: EventPayload,
        *,
        municipality: MunicipalityCode,
        caused_by: EventEnvelope | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> EventEnvelope:
        return EventEnvelope.wrap(
            payload,
            municipality=municipality,
            producer=self.producer,
            caused_by=caused_by,
            correlation_id=correlation_id,
            trace=inject_trace_headers(),
        )

    async def add(
        self,
        session: AsyncSession | AsyncConnection,
        payload: EventPayload,
        *,
        municipality: MunicipalityCode,
        caused_by: EventEnvelope | None = None,
        correlation_id: uuid.UUID | None = None,
    ) -> EventEnvelope:
        """Record ``payload`` for publication when (and only if) ``session`` commits."""
        envelope = self.envelope(
            payload,
            municipality=municipality,
            caused_by=caused_by,
            correlation_id=correlation_id,
        )
        await self.add_envelope(session, envelope, topic=payload.topic)
        return envelope

    async def add_envelope(
        self, session: AsyncSession | AsyncConnection, envelope: EventEnvelope, *, topic: str
    ) -> None:
        await session.execute(_INSERT_OUTBOX, self.row(envelope, topic=topic))

    def row(self, envelope: EventEnvelope, *, topic: str) -> dict[str, Any]:
        """The outbox row's columns for ``envelope``: for a caller that writes the row itself,
        in its own statement (booking's one-round-trip ``book_use`` function)."""
        return {
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
            "topic": topic_name(topic, self.topic_prefix),
            "message_key": envelope.aggregate_id,
            "value": envelope.to_bytes(),
            "headers": {
                "event_id": str(envelope.event_id),
                "event_type": envelope.event_type,
                "event_version": str(envelope.event_version),
                "municipality": envelope.municipality,
                "content-type": "application/json",
                **envelope.trace,
            },
        }

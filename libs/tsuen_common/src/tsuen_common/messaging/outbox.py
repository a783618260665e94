"""Transactional outbox: an event is written in the same transaction as the state change.

Nothing is published here. :mod:`tsuen_common.messaging.relay` publishes committed rows, so a
rolled-back change never emits its event and a committed change always does, eventually.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
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

# The bound parameters of :func:`insert_after`'s outbox row, prefixed so they cannot clash with
# the change's own (:meth:`Outbox.params` fills them).
PARAM_PREFIX = "outbox_"


@lru_cache(maxsize=32)
def insert_after(change: str) -> sa.TextClause:
    """One statement: ``change`` and the outbox row that announces it, written only if it
    changed a row.

    ``change`` is a data-modifying statement with ``RETURNING`` (``UPDATE … WHERE … RETURNING
    id``); the outbox row is inserted once if it returned a row, and not at all if it returned
    none. Both are one statement, so they commit (or roll back) together even in autocommit,
    and the caller pays one round trip instead of two. The statement answers ``event_id`` when
    the row was written: nothing means nothing changed. The row's values are bound parameters
    (``:outbox_event_id`` …, from :meth:`Outbox.params`); only ``change`` is formatted in, so it
    must be a constant of the caller's (cached per text).
    """
    p = PARAM_PREFIX
    return sa.text(
        f"""
        WITH changed AS ({change})
        INSERT INTO outbox (event_id, event_type, topic, message_key, value, headers)
        SELECT CAST(:{p}event_id AS uuid), :{p}event_type, :{p}topic, :{p}message_key,
               CAST(:{p}value AS bytea), CAST(:{p}headers AS jsonb)
        FROM (SELECT 1 FROM changed LIMIT 1) AS one
        RETURNING event_id
        """  # noqa: S608
    ).bindparams(
        sa.bindparam(f"{p}value", type_=sa.LargeBinary),
        sa.bindparam(f"{p}headers", type_=JSONB),
    )


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

    def params(self, envelope: EventEnvelope, *, topic: str) -> dict[str, Any]:
        """:meth:`row` as the bound parameters of an :func:`insert_after` statement."""
        return {f"{PARAM_PREFIX}{k}": v for k, v in self.row(envelope, topic=topic).items()}

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

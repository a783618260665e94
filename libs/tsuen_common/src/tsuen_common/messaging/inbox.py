"""Idempotent consumer: remember (consumer, event id) in the handler's own transaction.

If the handler's transaction commits, the event id is in the inbox with it; if it rolls back,
neither is. A redelivered event finds its id and is skipped, so Kafka's at-least-once delivery
becomes an exactly-once effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# One constant statement for any number of events: SQLAlchemy compiles it once and asyncpg
# prepares it once per connection. (SQLAlchemy does not cache a multi-row VALUES list: it
# compiled one for every poll, ~20 ms of CPU per 100 events under the profiler.)
_CLAIM = sa.text(
    "INSERT INTO inbox (consumer, event_id, event_type)"
    " SELECT :consumer, e.event_id, e.event_type"
    " FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]))"
    " AS e(event_id, event_type)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(
    sa.bindparam("consumer", type_=sa.Text),
    sa.bindparam("event_ids", type_=pg.ARRAY(pg.UUID(as_uuid=True))),
    sa.bindparam("event_types", type_=pg.ARRAY(sa.Text)),
)


async def claim_event(
    session: AsyncSession | AsyncConnection, *, consumer: str, event_id: uuid.UUID, event_type: str
) -> bool:
    """True the first time ``consumer`` sees ``event_id`` (in this transaction), else False.

    A concurrent duplicate blocks on the primary key until the first transaction ends, then
    sees the conflict: two copies can never both run the handler.
    """
    return bool(await claim_events(session, consumer=consumer, events=[(event_id, event_type)]))


async def claim_events(
    session: AsyncSession | AsyncConnection,
    *,
    consumer: str,
    events: Sequence[tuple[uuid.UUID, str]],
) -> set[uuid.UUID]:
    """:func:`claim_event` for a whole poll in one round trip: the ids seen for the first time.

    An id twice in ``events`` is claimed once (the second row conflicts with the first).
    """
    if not events:
        return set()
    result = await session.execute(
        _CLAIM,
        {
            "consumer": consumer,
            "event_ids": [e for e, _ in events],
            "event_types": [t for _, t in events],
        },
    )
    return {row[0] for row in result}

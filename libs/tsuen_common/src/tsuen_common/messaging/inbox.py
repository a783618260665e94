"""Idempotent consumer: remember (consumer, event id) in the handler's own transaction.

If the handler's transaction commits, the event id is in the inbox with it; if it rolls back,
neither is. A redelivered event finds its id and is skipped, so Kafka's at-least-once delivery
becomes an exactly-once effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_INBOX = sa.table("inbox", sa.column("consumer"), sa.column("event_id"), sa.column("event_type"))


async def claim_event(
    session: AsyncSession | AsyncConnection, *, consumer: str, event_id: uuid.UUID, event_type: str
) -> bool:
    """True the first time ``consumer`` sees ``event_id`` (in this transaction), else False.

    A concurrent duplicate blocks on the primary key until the first transaction ends, then
    sees the conflict: two copies can never both run the handler.
    """
    result: sa.CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        insert(_INBOX)
        .values(consumer=consumer, event_id=event_id, event_type=event_type)
        .on_conflict_do_nothing()
        .returning(sa.literal_column("event_id"))
    )
    return result.first() is not None


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
    result: sa.CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        insert(_INBOX)
        .values([{"consumer": consumer, "event_id": e, "event_type": t} for e, t in events])
        .on_conflict_do_nothing()
        .returning(sa.literal_column("event_id"))
    )
    return {row[0] for row in result}

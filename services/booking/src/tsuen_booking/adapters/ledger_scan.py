"""Reading the whole hour ledger for the reconciliation (service_layer/quota.reconcile): month
accounts in key order a batch at a time, their entries, and entries with no account. Kept apart
from repository.py, whose reads and writes serve one child's month on the booking path."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import quota_entries, quota_months

MonthKey = tuple[uuid.UUID, str]  # (child_id, month)

_MONTH_KEY = sa.tuple_(quota_months.c.child_id, quota_months.c.month)
_ENTRY_KEY = sa.tuple_(quota_entries.c.child_id, quota_entries.c.month)


def _key(value: MonthKey) -> sa.Tuple:
    return sa.tuple_(*(sa.literal(v) for v in value))


async def read_one_snapshot(session: AsyncSession) -> None:
    """Every read of this transaction sees one snapshot of both tables, so a booking committing
    meanwhile cannot look like a gap. First statement of the transaction."""
    await session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))


async def months_after(
    session: AsyncSession, after: MonthKey | None, *, batch: int
) -> Sequence[Mapping[Any, Any]]:
    """The next ``batch`` month accounts in key order after ``after`` (from the first if None)."""
    query = sa.select(quota_months).order_by(*_MONTH_KEY.clauses).limit(batch)
    if after is not None:
        query = query.where(_key(after) < _MONTH_KEY)
    return (await session.execute(query)).mappings().all()


async def entries_between(
    session: AsyncSession, first: MonthKey, last: MonthKey
) -> Sequence[Mapping[Any, Any]]:
    """The entries of the months from ``first`` to ``last`` (keys, inclusive), in the order
    written."""
    rows = await session.execute(
        sa.select(quota_entries)
        .where(_key(first) <= _ENTRY_KEY, _key(last) >= _ENTRY_KEY)
        .order_by(quota_entries.c.id)
    )
    return rows.mappings().all()


async def months_of_orphan_entries(session: AsyncSession) -> list[MonthKey]:
    """Each (child, month) that has entries but no month account."""
    rows = await session.execute(
        sa.select(quota_entries.c.child_id, quota_entries.c.month)
        .where(
            ~sa.exists().where(
                quota_months.c.child_id == quota_entries.c.child_id,
                quota_months.c.month == quota_entries.c.month,
            )
        )
        .distinct()
        .order_by(quota_entries.c.child_id, quota_entries.c.month)
    )
    return [(child_id, month) for child_id, month in rows]

"""空き待ち's entries (service_layer/waitlist*.py): the lists as callers read them, joining,
locking, offering and putting back, and the spans a child already waits for or has booked.
Places themselves (free, held, given back) are waitlist_places.py's. Reads that serve a caller
take its tenant filter from the service layer; nothing here decides who may see what."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, children, facilities
from tsuen_booking.adapters.orm import waitlist_entries as entries
from tsuen_booking.domain.waitlist import EntryStatus

# -- the lists as callers read them -------------------------------------------------------------

_AHEAD = entries.alias("ahead")
# Where a waiting entry stands on its day's list (1 = next to be offered a place).
_POSITION = (
    sa.select(sa.func.count())
    .where(
        _AHEAD.c.facility_id == entries.c.facility_id,
        _AHEAD.c.use_date == entries.c.use_date,
        _AHEAD.c.status == EntryStatus.WAITING.value,
        sa.tuple_(_AHEAD.c.joined_at, _AHEAD.c.id) <= sa.tuple_(entries.c.joined_at, entries.c.id),
    )
    .scalar_subquery()
)

# An entry with its facility's and child's names and its place in line.
_LISTED = sa.select(
    entries,
    facilities.c.name.label("facility_name"),
    children.c.name.label("child_name"),
    _POSITION.label("position"),
).select_from(
    entries.join(facilities, facilities.c.id == entries.c.facility_id).outerjoin(
        children, children.c.child_id == entries.c.child_id
    )
)
# The facility's own list also shows the child's reading.
_WITH_READING = _LISTED.add_columns(children.c.kana.label("child_kana"))


async def listed_entry(
    session: AsyncSession, entry_id: uuid.UUID, *, tenant: sa.ColumnElement[bool] | None = None
) -> Mapping[Any, Any] | None:
    """The entry as listed, if ``tenant`` (when given) lets it through."""
    query = _LISTED.where(entries.c.id == entry_id)
    if tenant is not None:
        query = query.where(tenant)
    return (await session.execute(query)).mappings().first()


async def listed_entries(
    session: AsyncSession, tenant: sa.ColumnElement[bool], *, since: date, limit: int
) -> Sequence[Mapping[Any, Any]]:
    """The entries ``tenant`` lets through from ``since`` on, by day, time and joining."""
    rows = await session.execute(
        _LISTED.where(tenant, entries.c.use_date >= since)
        .order_by(entries.c.use_date, entries.c.start_time, entries.c.joined_at)
        .limit(limit)
    )
    return rows.mappings().all()


async def facility_list(
    session: AsyncSession,
    facility_id: uuid.UUID,
    *,
    day: date | None = None,
    since: date | None = None,
    limit: int,
) -> Sequence[Mapping[Any, Any]]:
    """The facility's entries of ``day`` (else from ``since`` on), with the child's reading, in
    the list's order: day, time, joining."""
    when = entries.c.use_date == day if day is not None else entries.c.use_date >= since
    rows = await session.execute(
        _WITH_READING.where(entries.c.facility_id == facility_id, when)
        .order_by(
            entries.c.use_date,
            entries.c.start_time,
            entries.c.end_time,
            entries.c.joined_at,
            entries.c.id,
        )
        .limit(limit)
    )
    return rows.mappings().all()


# -- joining and answering ----------------------------------------------------------------------


async def add_entry(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(entries).values(**values))


async def entry_for_update(
    session: AsyncSession, entry_id: uuid.UUID, tenant: sa.ColumnElement[bool]
) -> Mapping[Any, Any] | None:
    return (
        (
            await session.execute(
                sa.select(entries).where(entries.c.id == entry_id, tenant).with_for_update()
            )
        )
        .mappings()
        .first()
    )


async def waiting_spans(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    facility_id: uuid.UUID,
    day: date,
    statuses: Sequence[str],
) -> list[tuple[time, time]]:
    """The spans the child's entries in ``statuses`` cover at the facility that day."""
    rows = await session.execute(
        sa.select(entries.c.start_time, entries.c.end_time).where(
            entries.c.child_id == child_id,
            entries.c.facility_id == facility_id,
            entries.c.use_date == day,
            entries.c.status.in_(statuses),
        )
    )
    return [(start, end) for start, end in rows.all()]


async def booked_spans(
    session: AsyncSession, *, child_id: uuid.UUID, day: date, statuses: Sequence[str]
) -> list[tuple[time, time]]:
    """The spans the child's bookings in ``statuses`` cover that day, at any facility."""
    rows = await session.execute(
        sa.select(bookings.c.start_time, bookings.c.end_time).where(
            bookings.c.child_id == child_id,
            bookings.c.use_date == day,
            bookings.c.status.in_(statuses),
        )
    )
    return [(start, end) for start, end in rows.all()]


# -- offers (the sweep) -------------------------------------------------------------------------


async def lock_day(session: AsyncSession, facility_id: uuid.UUID, day: date) -> None:
    """One sweep per facility and day at a time, until this transaction ends."""
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"waitlist:{facility_id}:{day}")))
    )


async def day_entries_for_update(
    session: AsyncSession, facility_id: uuid.UUID, day: date, statuses: Sequence[str]
) -> Sequence[Mapping[Any, Any]]:
    """The day's entries in ``statuses``, in the order of joining (the list's), locked."""
    return (
        (
            await session.execute(
                sa.select(entries)
                .where(
                    entries.c.facility_id == facility_id,
                    entries.c.use_date == day,
                    entries.c.status.in_(statuses),
                )
                .order_by(entries.c.joined_at, entries.c.id)
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )


async def offered_from_for_update(
    session: AsyncSession, facility_id: uuid.UUID, since: date
) -> Sequence[Mapping[Any, Any]]:
    """The facility's entries holding a place from ``since`` on, by day, locked."""
    rows = await session.execute(
        sa.select(entries)
        .where(
            entries.c.facility_id == facility_id,
            entries.c.use_date >= since,
            entries.c.status == EntryStatus.OFFERED.value,
        )
        .order_by(entries.c.use_date, entries.c.id)
        .with_for_update()
    )
    return rows.mappings().all()


async def mark_offered(
    session: AsyncSession,
    entry_id: uuid.UUID,
    *,
    at: datetime,
    hold_until: datetime,
    held_cells: Sequence[time],
) -> None:
    await session.execute(
        sa.update(entries)
        .where(entries.c.id == entry_id)
        .values(
            status=EntryStatus.OFFERED.value,
            offered_at=at,
            hold_until=hold_until,
            held_cells=list(held_cells),
        )
    )


async def mark_waiting_again(session: AsyncSession, entry_id: uuid.UUID) -> None:
    """The entry waits again, in its old place in line (joined_at is kept)."""
    await session.execute(
        sa.update(entries)
        .where(entries.c.id == entry_id)
        .values(status=EntryStatus.WAITING.value, offered_at=None, hold_until=None, held_cells=None)
    )


async def days_with_lists(
    session: AsyncSession, statuses: Sequence[str]
) -> Sequence[tuple[uuid.UUID, date]]:
    """Each (facility, day) with an entry in ``statuses``."""
    rows = await session.execute(
        sa.select(entries.c.facility_id, entries.c.use_date)
        .where(entries.c.status.in_(statuses))
        .distinct()
    )
    return [(facility_id, day) for facility_id, day in rows.all()]

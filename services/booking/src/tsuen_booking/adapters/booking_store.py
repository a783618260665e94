"""Reading and writing bookings outside the hot path (adapters/hot_path_sql.py books): one
booking, 予約一覧, the bookings a closure or a change of the week reaches, the cancellation's
write, and settlement's (a child's bookings ahead, a use, an arrival). Reads that serve a caller
take its tenant filter from the service layer; the functions here never decide who may see what.
Locking shared with settlement: service_layer/booking_rows.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, children
from tsuen_booking.domain.booking import BookingStatus

# Uses in the order they happen (ties by id, so the order is total).
_IN_USE_ORDER = (bookings.c.use_date, bookings.c.start_time, bookings.c.id)


def _with_child_name() -> sa.Select[Any]:
    return sa.select(bookings, children.c.name.label("child_name")).outerjoin(
        children, children.c.child_id == bookings.c.child_id
    )


async def booking(
    session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False
) -> Mapping[Any, Any] | None:
    query = sa.select(bookings).where(bookings.c.id == booking_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def booking_in_tenant(
    session: AsyncSession, booking_id: uuid.UUID, tenant: sa.ColumnElement[bool]
) -> Mapping[Any, Any] | None:
    """The booking, if the caller's tenant (``access.tenant_filter``) reaches it."""
    query = sa.select(bookings).where(bookings.c.id == booking_id, tenant)
    return (await session.execute(query)).mappings().first()


async def written_booking(session: AsyncSession, booking_id: uuid.UUID) -> Mapping[Any, Any]:
    """The booking as this transaction just wrote it (it exists)."""
    return (
        (await session.execute(sa.select(bookings).where(bookings.c.id == booking_id)))
        .mappings()
        .one()
    )


async def bookings_for_update(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> Sequence[Mapping[Any, Any]]:
    """The bookings of these ids, locked in id order (the lock order, booking_rows.py)."""
    return (
        (
            await session.execute(
                sa.select(bookings)
                .where(bookings.c.id.in_(booking_ids))
                .order_by(bookings.c.id)
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )


async def record_cancellation(session: AsyncSession, booking_id: uuid.UUID, **values: Any) -> None:
    """The booking's status, who and why, and the minutes it consumed (the caller decides)."""
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id)
        .values(**values, updated_at=sa.func.now())
    )


async def confirmed_of_child_from_for_update(
    session: AsyncSession,
    child_id: uuid.UUID,
    from_day: date,
    *,
    child_municipality: str | None = None,
) -> Sequence[Mapping[Any, Any]]:
    """The child's confirmed bookings on or after ``from_day``, locked in id order (the lock
    order, booking_rows.py); ``child_municipality``: only those made under that municipality's
    certification."""
    mine = [
        bookings.c.child_id == child_id,
        bookings.c.use_date >= from_day,
        bookings.c.status == BookingStatus.CONFIRMED.value,
    ]
    if child_municipality is not None:
        mine.append(bookings.c.child_municipality == child_municipality)
    return (
        (
            await session.execute(
                sa.select(bookings).where(*mine).order_by(bookings.c.id).with_for_update()
            )
        )
        .mappings()
        .all()
    )


async def record_settlement(session: AsyncSession, booking_id: uuid.UUID, **values: Any) -> None:
    """The booking's status and the minutes it consumed, its penalty and over-cap minutes (the
    caller decides)."""
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id)
        .values(**values, updated_at=sa.func.now())
    )


async def mark_in_use(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """A confirmed booking's child has arrived (any other status stays as it is)."""
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id, bookings.c.status == BookingStatus.CONFIRMED.value)
        .values(status=BookingStatus.IN_USE.value, updated_at=sa.func.now())
    )


async def with_child_names(
    session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> Sequence[Mapping[Any, Any]]:
    """These bookings with the child's name, in the order of use."""
    return (
        (
            await session.execute(
                _with_child_name()
                .where(bookings.c.id.in_(list(booking_ids)))
                .order_by(*_IN_USE_ORDER)
            )
        )
        .mappings()
        .all()
    )


async def confirmed_on_days(
    session: AsyncSession,
    facility_id: uuid.UUID,
    days: Sequence[date],
    *,
    ending_after: datetime,
    lock: bool = False,
) -> Sequence[Mapping[Any, Any]]:
    """The facility's confirmed bookings on these days that end after ``ending_after``, with the
    child's name, in the order of use; ``lock``: the bookings' rows locked."""
    query = (
        _with_child_name()
        .where(
            bookings.c.facility_id == facility_id,
            bookings.c.use_date.in_(days),
            bookings.c.status == BookingStatus.CONFIRMED.value,
            bookings.c.ends_at > ending_after,
        )
        .order_by(*_IN_USE_ORDER)
    )
    if lock:
        query = query.with_for_update(of=bookings)
    return (await session.execute(query)).mappings().all()


async def in_statuses_from(
    session: AsyncSession,
    facility_id: uuid.UUID,
    since: date,
    statuses: Sequence[str],
    *,
    lock: bool = False,
) -> Sequence[Mapping[Any, Any]]:
    """The facility's bookings in ``statuses`` from ``since`` on, with the child's name, by id;
    ``lock``: the bookings' rows locked."""
    query = (
        _with_child_name()
        .where(
            bookings.c.facility_id == facility_id,
            bookings.c.use_date >= since,
            bookings.c.status.in_(statuses),
        )
        .order_by(bookings.c.id)
    )
    if lock:
        query = query.with_for_update(of=bookings)
    return (await session.execute(query)).mappings().all()


async def list_uses(
    session: AsyncSession,
    tenant: sa.ColumnElement[bool],
    *,
    kind: str | None = None,
    status: str | None = None,
    facility_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    ending_after: datetime | None = None,
    in_statuses: Sequence[str] | None = None,
    limit: int,
) -> Sequence[Mapping[Any, Any]]:
    """予約一覧: the bookings ``tenant`` lets through with the child's name, by start, narrowed by
    each thing given."""
    stmt = _with_child_name().where(tenant)
    if kind is not None:
        stmt = stmt.where(bookings.c.kind == kind)
    if status is not None:
        stmt = stmt.where(bookings.c.status == status)
    if facility_id is not None:
        stmt = stmt.where(bookings.c.facility_id == facility_id)
    if child_id is not None:
        stmt = stmt.where(bookings.c.child_id == child_id)
    if date_from is not None:
        stmt = stmt.where(bookings.c.use_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(bookings.c.use_date <= date_to)
    if ending_after is not None:
        stmt = stmt.where(bookings.c.ends_at > ending_after)
    if in_statuses is not None:
        stmt = stmt.where(bookings.c.status.in_(in_statuses))
    stmt = stmt.order_by(bookings.c.starts_at, bookings.c.id).limit(limit)
    return (await session.execute(stmt)).mappings().all()

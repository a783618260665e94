"""Reading and writing 定期利用 plans and the bookings a plan made. Whether a plan may be
applied for, decided, ended or booked is decided in service_layer/regular*.py."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, regular_plans
from tsuen_booking.domain.booking import BookingStatus

# -- plans --------------------------------------------------------------------------------------


async def add_plan(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(regular_plans).values(**values))


async def plan(
    session: AsyncSession, plan_id: uuid.UUID, *, lock: bool = False, share: bool = False
) -> Mapping[Any, Any] | None:
    """The plan; ``lock`` FOR UPDATE (deciding, ending), ``share`` FOR SHARE (booking one of its
    occurrences, so an end waits for it)."""
    query = sa.select(regular_plans).where(regular_plans.c.id == plan_id)
    if lock:
        query = query.with_for_update()
    elif share:
        query = query.with_for_update(read=True)
    return (await session.execute(query)).mappings().first()


async def update_plan(session: AsyncSession, plan_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(regular_plans)
        .where(regular_plans.c.id == plan_id)
        .values(**values, updated_at=sa.func.now())
    )


async def plans(
    session: AsyncSession, tenant: sa.ColumnElement[bool]
) -> Sequence[Mapping[Any, Any]]:
    """The plans ``tenant`` lets through, oldest first."""
    rows = await session.execute(
        sa.select(regular_plans).where(tenant).order_by(regular_plans.c.created_at)
    )
    return rows.mappings().all()


async def approved_plan_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            sa.select(regular_plans.c.id)
            .where(regular_plans.c.status == "approved")
            .order_by(regular_plans.c.id)
        )
    )


# -- the bookings a plan made -------------------------------------------------------------------


async def booked_days(session: AsyncSession, plan_id: uuid.UUID) -> set[date]:
    """Every day the plan has a booking on, whatever its status (an occurrence is made once)."""
    return set(
        await session.scalars(sa.select(bookings.c.use_date).where(bookings.c.plan_id == plan_id))
    )


async def confirmed_after_for_update(
    session: AsyncSession, plan_id: uuid.UUID, last_day: date
) -> Sequence[Mapping[Any, Any]]:
    """The plan's confirmed bookings after ``last_day``, locked in id order (the lock order)."""
    return (
        (
            await session.execute(
                sa.select(bookings)
                .where(
                    bookings.c.plan_id == plan_id,
                    bookings.c.use_date > last_day,
                    bookings.c.status == BookingStatus.CONFIRMED.value,
                )
                .order_by(bookings.c.id)
                .with_for_update()
            )
        )
        .mappings()
        .all()
    )


async def bookings_by_day(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> Sequence[Mapping[Any, Any]]:
    """These bookings by day and start time."""
    return (
        (
            await session.execute(
                sa.select(bookings)
                .where(bookings.c.id.in_(booking_ids))
                .order_by(bookings.c.use_date, bookings.c.start_time)
            )
        )
        .mappings()
        .all()
    )

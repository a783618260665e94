"""The SQL of a change of a child's home municipality: its months and its plans
(service_layer/moves.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import children, quota_months, regular_plans


async def home_of(session: AsyncSession, child_id: uuid.UUID) -> str | None:
    """The child's home municipality as booking knows it, locked until the transaction ends
    (a move and a booking of the same child queue on the child's row)."""
    home: str | None = await session.scalar(
        sa.select(children.c.municipality).where(children.c.child_id == child_id).with_for_update()
    )
    return home


async def months_from(
    session: AsyncSession, child_id: uuid.UUID, first_month: str
) -> list[Mapping[str, Any]]:
    """The child's month accounts from ``first_month`` on, locked (the month lock)."""
    rows = await session.execute(
        sa.select(quota_months)
        .where(quota_months.c.child_id == child_id, quota_months.c.month >= first_month)
        .order_by(quota_months.c.month)
        .with_for_update()
    )
    return [dict(r) for r in rows.mappings()]


async def set_home(
    session: AsyncSession,
    child_id: uuid.UUID,
    month: str,
    *,
    municipality: str,
    cap_minutes: int,
    topup_minutes: int,
) -> None:
    await session.execute(
        sa.update(quota_months)
        .where(quota_months.c.child_id == child_id, quota_months.c.month == month)
        .values(
            municipality=municipality,
            cap_minutes=cap_minutes,
            topup_minutes=topup_minutes,
            updated_at=sa.func.now(),
        )
    )


async def end_plans(
    session: AsyncSession, child_id: uuid.UUID, *, child_municipality: str, last_day: date
) -> int:
    """A certification ended: the child's 定期利用 plans made under it run until ``last_day`` at
    the latest (the plan of a child who moved must not go on booking under the new home)."""
    ended = await session.execute(
        sa.update(regular_plans)
        .where(
            regular_plans.c.child_id == child_id,
            regular_plans.c.child_municipality == child_municipality,
            regular_plans.c.status.in_(("applied", "approved")),
            sa.or_(regular_plans.c.valid_until.is_(None), regular_plans.c.valid_until > last_day),
        )
        .values(valid_until=last_day, updated_at=sa.func.now())
        .returning(regular_plans.c.id)
    )
    return len(ended.all())

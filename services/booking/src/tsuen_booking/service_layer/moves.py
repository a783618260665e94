"""A child moving to another municipality on the platform (転入, issue 17.3).

Eligibility keeps the child's id across the move, so the month ledger (keyed by child) already
carries the hours used before it. What changes is the home: from the new certification's first
month on, each month account takes the new home's credits (``MonthAccount.moved_home``), and
its top-up is usable at the new home's facilities. Months before the move are left as they
were. Runs inside the consumer's inbox transaction, before the child's row names the new home.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import home_changes
from tsuen_booking.adapters.repository import account_from_row
from tsuen_booking.domain.ledger import month_of
from tsuen_booking.service_layer.context import Context
from tsuen_common.logging import get_logger

log = get_logger(__name__)


async def previous_home(session: AsyncSession, child_id: uuid.UUID) -> str | None:
    return await home_changes.home_of(session, child_id)


async def rehome_months(
    ctx: Context,
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    municipality: str,
    starting: date,
) -> int:
    """Give the child's months from ``starting``'s on the new home's credits; how many."""
    quota = ctx.policy(municipality).quota
    rows = await home_changes.months_from(session, child_id, month_of(starting))
    for row in rows:
        moved = account_from_row(row).moved_home(
            cap_minutes=quota.monthly_cap_minutes, topup_minutes=quota.topup_minutes
        )
        await home_changes.set_home(
            session,
            child_id,
            row["month"],
            municipality=municipality,
            cap_minutes=moved.cap_minutes,
            topup_minutes=moved.topup_minutes,
        )
    log.info("child's months moved home", child_id=str(child_id), months=len(rows))
    return len(rows)


async def end_plans(
    session: AsyncSession, *, child_id: uuid.UUID, child_municipality: str, ended_on: date
) -> int:
    """The 定期利用 plans made under an ended certification run until the day before its end."""
    return await home_changes.end_plans(
        session,
        child_id,
        child_municipality=child_municipality,
        last_day=ended_on - timedelta(days=1),
    )

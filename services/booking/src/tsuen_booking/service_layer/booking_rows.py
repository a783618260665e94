"""Reading and locking what cancellation and settlement share: the booking row, its facility,
the hours it holds and the child's month account.

Lock order, everywhere: facility row (shared, when booking) or booking rows (by id) → the child's
month row → slot cells (ascending). One order means concurrent transactions queue instead of
deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import booking_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.errors import FACILITY_NOT_FOUND_JA, NotFound
from tsuen_booking.domain.facility import Facility
from tsuen_booking.domain.ledger import Balance, MonthAccount, month_of
from tsuen_booking.service_layer.context import Context


def held_balances(row: Mapping[Any, Any]) -> dict[Balance, int]:
    return {Balance.NATIONAL: row["held_national"], Balance.TOPUP: row["held_topup"]}


def held_minutes(row: Mapping[Any, Any]) -> int:
    return int(row["held_national"] + row["held_topup"])


async def lock_month_of(
    ctx: Context, session: AsyncSession, child_id: uuid.UUID, child_municipality: str, day: date
) -> tuple[str, MonthAccount]:
    home = ctx.policy(child_municipality).quota
    month = month_of(day)
    account = await repo.lock_month(
        session,
        child_id=child_id,
        month=month,
        municipality=child_municipality,
        cap_minutes=home.monthly_cap_minutes,
        topup_minutes=home.topup_minutes,
    )
    return month, account


async def locked_booking(session: AsyncSession, booking_id: uuid.UUID) -> Mapping[Any, Any] | None:
    return await booking_store.booking(session, booking_id, lock=True)


async def reload_booking(session: AsyncSession, booking_id: uuid.UUID) -> Mapping[Any, Any]:
    return await booking_store.written_booking(session, booking_id)


async def facility_of(
    session: AsyncSession, facility_id: uuid.UUID
) -> tuple[Facility, Mapping[Any, Any]]:
    row = await repo.facility_row(session, facility_id)
    if row is None:
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
    return repo.facility_from_row(row), row

"""Reading and writing the booking tables: rows in, domain objects out.

Every read that serves a request takes the caller's tenant filter from the service layer; the
functions here never decide who may see what.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import (
    children,
    facilities,
    facility_slots,
    quota_entries,
    quota_months,
)
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.facility import Facility, OpeningHours
from tsuen_booking.domain.ledger import Balance, Entry, MonthAccount

# -- facilities -------------------------------------------------------------------------------


def _hours_from_json(data: Mapping[Any, Any]) -> dict[int, OpeningHours]:
    return {
        int(d): OpeningHours(time.fromisoformat(h["open"]), time.fromisoformat(h["close"]))
        for d, h in data.items()
    }


def facility_from_row(row: Mapping[Any, Any]) -> Facility:
    return Facility(
        id=row["id"],
        municipality=row["municipality"],
        name=row["name"],
        opening_hours=_hours_from_json(row["opening_hours"]),
        places_per_slot=row["places_per_slot"],
        places_by_weekday={
            int(d): {int(h): int(p) for h, p in hours.items()}
            for d, hours in row["places_by_weekday"].items()
        },
        place_overrides={
            date.fromisoformat(d): {int(h): int(p) for h, p in hours.items()}
            for d, hours in row["place_overrides"].items()
        },
        closed_days=frozenset(date.fromisoformat(d) for d in row["closed_days"]),
        extra_hour_fee_yen=row["extra_hour_fee_yen"],
        email=row["email"],
    )


async def facility_row(
    session: AsyncSession,
    facility_id: uuid.UUID,
    *,
    lock: bool = False,
    share: bool = False,
) -> Mapping[Any, Any] | None:
    """``lock`` to change the facility; ``share`` to book against its places: bookings share
    the row with each other but not with a change of places, so no slot row is ever created
    from a figure that is being replaced."""
    query = sa.select(facilities).where(facilities.c.id == facility_id)
    if lock:
        query = query.with_for_update()
    elif share:
        query = query.with_for_update(read=True)
    return (await session.execute(query)).mappings().first()


# -- children ---------------------------------------------------------------------------------


def child_from_row(row: Mapping[Any, Any]) -> CertifiedChild:
    return CertifiedChild(
        child_id=row["child_id"],
        municipality=row["municipality"],
        guardian_id=row["guardian_id"],
        guardian_email=row["guardian_email"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        birth_date=row["birth_date"],
        revoked_from=row["revoked_from"],
    )


async def get_child(session: AsyncSession, child_id: uuid.UUID) -> CertifiedChild | None:
    row = (
        (await session.execute(sa.select(children).where(children.c.child_id == child_id)))
        .mappings()
        .first()
    )
    return child_from_row(row) if row else None


# -- slots ------------------------------------------------------------------------------------


async def take_cell(session: AsyncSession, facility: Facility, use_date: date, cell: time) -> bool:
    """Take one place in a cell; False if it is full. The row is created on first use with the
    facility's places for that hour; the conditional UPDATE waits for a concurrent taker and then
    re-checks ``taken < places`` on the row it committed, so a place is never given twice."""
    await session.execute(
        insert(facility_slots)
        .values(
            facility_id=facility.id,
            use_date=use_date,
            cell_start=cell,
            places=facility.places_at(use_date, cell.hour),
            taken=0,
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(
        sa.update(facility_slots)
        .where(
            facility_slots.c.facility_id == facility.id,
            facility_slots.c.use_date == use_date,
            facility_slots.c.cell_start == cell,
            facility_slots.c.taken < facility_slots.c.places,
        )
        .values(taken=facility_slots.c.taken + 1)
        .returning(facility_slots.c.taken)
    )
    return result.first() is not None


async def free_cell(
    session: AsyncSession, facility_id: uuid.UUID, use_date: date, cell: time
) -> None:
    await session.execute(
        sa.update(facility_slots)
        .where(
            facility_slots.c.facility_id == facility_id,
            facility_slots.c.use_date == use_date,
            facility_slots.c.cell_start == cell,
        )
        .values(taken=facility_slots.c.taken - 1)
    )


async def taken_cells(
    session: AsyncSession, facility_id: uuid.UUID, first: date, last: date
) -> dict[tuple[date, time], tuple[int, int]]:
    """(day, cell) → (places, taken) for the cells that have been booked at least once."""
    rows = await session.execute(
        sa.select(
            facility_slots.c.use_date,
            facility_slots.c.cell_start,
            facility_slots.c.places,
            facility_slots.c.taken,
        ).where(
            facility_slots.c.facility_id == facility_id,
            facility_slots.c.use_date.between(first, last),
        )
    )
    return {(r.use_date, r.cell_start): (r.places, r.taken) for r in rows}


async def refresh_future_places(session: AsyncSession, facility: Facility, from_day: date) -> None:
    """After the facility changed its places: existing cells get the new figure, but never
    fewer than are already taken (a reduction does not cancel anyone's booking)."""
    rows = await session.execute(
        sa.select(facility_slots.c.use_date, facility_slots.c.cell_start)
        .where(facility_slots.c.facility_id == facility.id, facility_slots.c.use_date >= from_day)
        .order_by(facility_slots.c.use_date, facility_slots.c.cell_start)
        .with_for_update()
    )
    for row in rows.all():
        await session.execute(
            sa.update(facility_slots)
            .where(
                facility_slots.c.facility_id == facility.id,
                facility_slots.c.use_date == row.use_date,
                facility_slots.c.cell_start == row.cell_start,
            )
            .values(
                places=sa.func.greatest(
                    facility.places_at(row.use_date, row.cell_start.hour), facility_slots.c.taken
                )
            )
        )


# -- the quota ledger -------------------------------------------------------------------------


def account_from_row(row: Mapping[Any, Any]) -> MonthAccount:
    return MonthAccount(
        cap_minutes=row["cap_minutes"],
        topup_minutes=row["topup_minutes"],
        held={Balance.NATIONAL: row["held_national"], Balance.TOPUP: row["held_topup"]},
        consumed={
            Balance.NATIONAL: row["consumed_national"],
            Balance.TOPUP: row["consumed_topup"],
        },
        over_cap_minutes=row["over_cap_minutes"],
    )


async def lock_month(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    month: str,
    municipality: str,
    cap_minutes: int,
    topup_minutes: int,
) -> MonthAccount:
    """The child's month, locked until the transaction ends: every change to a month queues
    here, so two bookings can never both take the last hour. The credits are fixed when the
    month is first touched (a later policy change applies to months not yet begun)."""
    await session.execute(
        insert(quota_months)
        .values(
            child_id=child_id,
            month=month,
            municipality=municipality,
            cap_minutes=cap_minutes,
            topup_minutes=topup_minutes,
        )
        .on_conflict_do_nothing()
    )
    row = (
        (
            await session.execute(
                sa.select(quota_months)
                .where(quota_months.c.child_id == child_id, quota_months.c.month == month)
                .with_for_update()
            )
        )
        .mappings()
        .one()
    )
    return account_from_row(row)


async def get_month(session: AsyncSession, child_id: uuid.UUID, month: str) -> MonthAccount | None:
    row = (
        (
            await session.execute(
                sa.select(quota_months).where(
                    quota_months.c.child_id == child_id, quota_months.c.month == month
                )
            )
        )
        .mappings()
        .first()
    )
    return account_from_row(row) if row else None


async def record_entries(
    session: AsyncSession,
    *,
    account: MonthAccount,
    entries: list[Entry],
    child_id: uuid.UUID,
    month: str,
    municipality: str,
) -> MonthAccount:
    """Append the entries whose idempotency key is new and bring the month's counters up to
    date. The month must be locked (:func:`lock_month`). Returns the account afterwards."""
    for entry in entries:
        inserted = await session.execute(
            insert(quota_entries)
            .values(
                idempotency_key=entry.key,
                child_id=child_id,
                month=month,
                municipality=municipality,
                booking_id=entry.booking_id,
                kind=entry.kind.value,
                balance=entry.balance.value,
                minutes=entry.minutes,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(quota_entries.c.id)
        )
        if inserted.first() is not None:
            account = account.apply(entry)
    await session.execute(
        sa.update(quota_months)
        .where(quota_months.c.child_id == child_id, quota_months.c.month == month)
        .values(
            held_national=account.held[Balance.NATIONAL],
            held_topup=account.held[Balance.TOPUP],
            consumed_national=account.consumed[Balance.NATIONAL],
            consumed_topup=account.consumed[Balance.TOPUP],
            over_cap_minutes=account.over_cap_minutes,
            updated_at=sa.func.now(),
        )
    )
    return account

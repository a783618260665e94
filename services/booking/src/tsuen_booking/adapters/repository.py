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
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import (
    acceptances,
    children,
    facilities,
    facility_slots,
    interviews,
    quota_entries,
    quota_months,
)
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.facility import Facility, OpeningHours, WeeklySchedule
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
        phone=row.get("phone"),
        schedules=tuple(week_from_json(w) for w in row.get("schedules") or ()),
    )


def week_from_json(data: Mapping[str, Any]) -> WeeklySchedule:
    """A later week as ``facilities.schedules`` keeps it (domain.capacity.week_to_json)."""
    return WeeklySchedule(
        effective_from=date.fromisoformat(data["effective_from"]),
        opening_hours=_hours_from_json(data["opening_hours"]),
        places_per_slot=int(data["places_per_slot"]),
        places_by_weekday={
            int(d): {int(h): int(p) for h, p in hours.items()}
            for d, hours in data["places_by_weekday"].items()
        },
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


_CHILD_COLUMNS = [c.label(f"child__{c.name}") for c in children.c]

# One round trip for the booking request's reads: the facility (share-locked, as
# ``facility_row(share=True)``), the child and the facility's acceptance of the child. Built once.
_FACILITY_CHILD_ACCEPTANCE = (
    sa.select(
        facilities,
        *_CHILD_COLUMNS,
        acceptances.c.accepted.label("acceptance__accepted"),
    )
    .select_from(
        facilities.outerjoin(children, children.c.child_id == sa.bindparam("child_id")).outerjoin(
            acceptances,
            sa.and_(
                acceptances.c.facility_id == facilities.c.id,
                acceptances.c.child_id == sa.bindparam("child_id"),
            ),
        )
    )
    .where(facilities.c.id == sa.bindparam("facility_id"))
    .with_for_update(read=True, of=facilities)
)


async def facility_child_acceptance(
    session: AsyncSession, facility_id: uuid.UUID, child_id: uuid.UUID
) -> tuple[Mapping[Any, Any] | None, CertifiedChild | None, bool | None]:
    """The facility's row (share-locked), the child and whether the facility accepted the child,
    in one SELECT: (None, None, None) if the facility is unknown."""
    row = (
        (
            await session.execute(
                _FACILITY_CHILD_ACCEPTANCE, {"facility_id": facility_id, "child_id": child_id}
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None, None, None
    frow = {c.name: row[c.name] for c in facilities.c}
    child = None
    if row["child__child_id"] is not None:
        child = child_from_row({c.name: row[f"child__{c.name}"] for c in children.c})
    return frow, child, row["acceptance__accepted"]


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
        name=row["name"],
        decided_facility_id=row.get("decided_facility_id"),
        needs_medical_care=bool((row.get("considerations") or {}).get("medical_care")),
    )


async def get_child(session: AsyncSession, child_id: uuid.UUID) -> CertifiedChild | None:
    row = (
        (await session.execute(sa.select(children).where(children.c.child_id == child_id)))
        .mappings()
        .first()
    )
    return child_from_row(row) if row else None


# -- slots ------------------------------------------------------------------------------------


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


# Lock-or-create in one statement: a no-op DO UPDATE locks the existing row (FOR UPDATE) and
# returns it unchanged; a new row is created with the credits given. Built once, as text:
# SQLAlchemy does not cache the compiled form of an ``ON CONFLICT`` statement.
_LOCK_MONTH = sa.text(
    "INSERT INTO quota_months (child_id, month, municipality, cap_minutes, topup_minutes) "
    "VALUES (:child_id, :month, :municipality, :cap_minutes, :topup_minutes) "
    "ON CONFLICT (child_id, month) DO UPDATE SET child_id = excluded.child_id "
    "RETURNING child_id, month, municipality, cap_minutes, topup_minutes, held_national, "
    "held_topup, consumed_national, consumed_topup, over_cap_minutes, updated_at"
).columns(*quota_months.c)


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
    row = (
        (
            await session.execute(
                _LOCK_MONTH,
                {
                    "child_id": child_id,
                    "month": month,
                    "municipality": municipality,
                    "cap_minutes": cap_minutes,
                    "topup_minutes": topup_minutes,
                },
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


# Built once (text, as above). The entries go in as one INSERT (one round trip), in their
# order; RETURNING says which idempotency keys were new.
_INSERT_ENTRIES = sa.text(
    "INSERT INTO quota_entries (idempotency_key, child_id, month, municipality, booking_id, "
    "kind, balance, minutes) "
    "SELECT e.idempotency_key, :child_id, :month, :municipality, e.booking_id, e.kind, "
    "e.balance, e.minutes "
    "FROM unnest(CAST(:keys AS text[]), CAST(:booking_ids AS uuid[]), CAST(:kinds AS text[]), "
    "CAST(:balances AS text[]), CAST(:minutes AS integer[])) "
    "WITH ORDINALITY AS e(idempotency_key, booking_id, kind, balance, minutes, n) "
    "ORDER BY e.n "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING quota_entries.idempotency_key"
).columns(quota_entries.c.idempotency_key)
_UPDATE_MONTH = (
    sa.update(quota_months)
    .where(
        quota_months.c.child_id == sa.bindparam("m_child_id"),
        quota_months.c.month == sa.bindparam("m_month"),
    )
    .values(
        held_national=sa.bindparam("m_held_national"),
        held_topup=sa.bindparam("m_held_topup"),
        consumed_national=sa.bindparam("m_consumed_national"),
        consumed_topup=sa.bindparam("m_consumed_topup"),
        over_cap_minutes=sa.bindparam("m_over_cap_minutes"),
        updated_at=sa.func.now(),
    )
)


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
    if entries:
        inserted = await session.execute(
            _INSERT_ENTRIES,
            {
                "child_id": child_id,
                "month": month,
                "municipality": municipality,
                "keys": [e.key for e in entries],
                "booking_ids": [e.booking_id for e in entries],
                "kinds": [e.kind.value for e in entries],
                "balances": [e.balance.value for e in entries],
                "minutes": [e.minutes for e in entries],
            },
        )
        new_keys = set(inserted.scalars().all())
        for entry in entries:
            if entry.key in new_keys:
                new_keys.discard(entry.key)  # a key repeated in the batch counts once
                account = account.apply(entry)
    await session.execute(
        _UPDATE_MONTH,
        {
            "m_child_id": child_id,
            "m_month": month,
            "m_held_national": account.held[Balance.NATIONAL],
            "m_held_topup": account.held[Balance.TOPUP],
            "m_consumed_national": account.consumed[Balance.NATIONAL],
            "m_consumed_topup": account.consumed[Balance.TOPUP],
            "m_over_cap_minutes": account.over_cap_minutes,
        },
    )
    return account


async def interview_status(
    session: AsyncSession, *, facility_id: uuid.UUID, child_id: uuid.UUID
) -> str | None:
    """The status of the child's 初回面談 at the facility (None: the guardian never asked)."""
    status = (
        await session.execute(
            sa.select(interviews.c.status).where(
                interviews.c.facility_id == facility_id, interviews.c.child_id == child_id
            )
        )
    ).scalar_one_or_none()
    return None if status is None else str(status)

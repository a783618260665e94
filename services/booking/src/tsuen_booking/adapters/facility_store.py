"""Writing facilities and searching them; お気に入り; the record of each change of a facility's
week. Reading one facility is repository.facility_row. Who may see or change a facility is
decided in the service layer, which passes the municipalities the caller may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import (
    bookings,
    capacity_changes,
    facilities,
    facility_slots,
    favourites,
    interviews,
)

# -- facilities ---------------------------------------------------------------------------------


async def add_facility(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(facilities).values(**values))


async def add_facility_if_new(session: AsyncSession, **values: Any) -> bool:
    """Insert the facility unless its id is there already; whether it was new."""
    result = await session.execute(
        pg_insert(facilities)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(facilities.c.id)
    )
    return result.first() is not None


async def update_facility(session: AsyncSession, facility_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(facilities)
        .where(facilities.c.id == facility_id)
        .values(**values, updated_at=sa.func.now())
    )


# -- search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One word of a guardian's keyword: its spellings (each kana script) are looked for in the
    name, reading and address; ``municipalities`` are the codes whose municipality or
    prefecture the word names (掛川, 静岡)."""

    spellings: Sequence[str]
    municipalities: Sequence[str]


@dataclass(frozen=True)
class GuardianOf:
    """A guardian of a municipality, for 面談・利用歴 and お気に入り."""

    guardian_id: uuid.UUID
    municipality: str | None


def _like(text: str) -> str:
    # Matched literally: % and _ typed by a guardian are not wildcards.
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(word: Word) -> sa.ColumnElement[bool]:
    fields = [facilities.c.name, facilities.c.kana, facilities.c.address]
    conditions: list[sa.ColumnElement[bool]] = [
        field.ilike(_like(spelling), escape="\\") for spelling in word.spellings for field in fields
    ]
    if word.municipalities:
        conditions.append(facilities.c.municipality.in_(word.municipalities))
    return sa.or_(*conditions)


async def search_facilities(
    session: AsyncSession,
    *,
    visible: Sequence[str] | None,
    only_facility: uuid.UUID | None = None,
    municipality: str | None = None,
    in_municipalities: Sequence[str] | None = None,
    words: Sequence[Word] = (),
    used_by: GuardianOf | None = None,
    favourites_of: GuardianOf | None = None,
    limit: int,
) -> list[RowMapping]:
    """Facilities by reading: among the ``visible`` municipalities (None: all), narrowed by each
    thing given — all the ``words`` must match; ``used_by``: the guardian booked or asked for an
    interview there; ``favourites_of``: on the guardian's お気に入り."""
    stmt = sa.select(facilities)
    if visible is not None:
        stmt = stmt.where(facilities.c.municipality.in_(visible))
    if only_facility is not None:
        stmt = stmt.where(facilities.c.id == only_facility)
    if municipality:
        stmt = stmt.where(facilities.c.municipality == municipality)
    if in_municipalities is not None:
        stmt = stmt.where(facilities.c.municipality.in_(in_municipalities))
    for word in words:
        stmt = stmt.where(_matches(word))
    if used_by is not None:
        stmt = stmt.where(
            facilities.c.id.in_(
                sa.union(
                    sa.select(bookings.c.facility_id).where(
                        bookings.c.guardian_id == used_by.guardian_id,
                        bookings.c.child_municipality == used_by.municipality,
                    ),
                    sa.select(interviews.c.facility_id).where(
                        interviews.c.guardian_id == used_by.guardian_id,
                        interviews.c.child_municipality == used_by.municipality,
                    ),
                )
            )
        )
    if favourites_of is not None:
        stmt = stmt.where(
            facilities.c.id.in_(
                sa.select(favourites.c.facility_id).where(
                    favourites.c.guardian_id == favourites_of.guardian_id,
                    favourites.c.municipality == favourites_of.municipality,
                )
            )
        )
    rows = await session.execute(stmt.order_by(facilities.c.kana).limit(limit))
    return list(rows.mappings())


# -- お気に入り -----------------------------------------------------------------------------------


async def add_favourite(session: AsyncSession, of: GuardianOf, facility_id: uuid.UUID) -> None:
    await session.execute(
        pg_insert(favourites)
        .values(guardian_id=of.guardian_id, facility_id=facility_id, municipality=of.municipality)
        .on_conflict_do_nothing()
    )


async def remove_favourite(session: AsyncSession, of: GuardianOf, facility_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(favourites).where(
            favourites.c.guardian_id == of.guardian_id,
            favourites.c.facility_id == facility_id,
            favourites.c.municipality == of.municipality,
        )
    )


# -- a change of the facility's week (capacity.py) ----------------------------------------------


async def cells_in_use_from_for_update(
    session: AsyncSession, facility_id: uuid.UUID, since: date
) -> list[tuple[date, time]]:
    """The facility's cells with a place count from ``since`` on (use_date, cell_start), locked."""
    rows = await session.execute(
        sa.select(facility_slots.c.use_date, facility_slots.c.cell_start)
        .where(facility_slots.c.facility_id == facility_id, facility_slots.c.use_date >= since)
        .order_by(facility_slots.c.use_date, facility_slots.c.cell_start)
        .with_for_update()
    )
    return [(use_date, cell_start) for use_date, cell_start in rows.all()]


async def set_cell_places(
    session: AsyncSession, facility_id: uuid.UUID, use_date: date, cell_start: time, places: int
) -> None:
    await session.execute(
        sa.update(facility_slots)
        .where(
            facility_slots.c.facility_id == facility_id,
            facility_slots.c.use_date == use_date,
            facility_slots.c.cell_start == cell_start,
        )
        .values(places=places)
    )


async def add_capacity_change(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(capacity_changes).values(**values))

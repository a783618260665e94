"""空き待ち's SQL (service_layer/waitlist*.py): free places of a day's cells, holding and giving
back a place, ending an entry. A hold takes a cell exactly as ``book_use`` does (the same
conditional insert-or-increment, ascending), so the ``taken <= places`` CHECK guards it too."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.orm import facility_slots
from tsuen_booking.adapters.orm import waitlist_entries as entries
from tsuen_booking.domain.facility import Facility
from tsuen_booking.domain.waitlist import EntryStatus


async def free_places(
    session: AsyncSession, facility: Facility, day: date, cells: Sequence[time]
) -> dict[time, int]:
    """Free places per cell now: a cell nobody has taken yet has the facility's places."""
    rows = await session.execute(
        sa.select(
            facility_slots.c.cell_start, facility_slots.c.places, facility_slots.c.taken
        ).where(
            facility_slots.c.facility_id == facility.id,
            facility_slots.c.use_date == day,
            facility_slots.c.cell_start.in_(list(cells)),
        )
    )
    free = {cell: facility.places_at(day, cell.hour) for cell in cells}
    for cell, places, taken in rows.all():
        free[cell] = places - taken
    return free


class Taken(Exception):
    """A cell was taken between reading and holding it (a concurrent booking won)."""


async def hold(session: AsyncSession, facility: Facility, day: date, cells: Sequence[time]) -> None:
    """Take one place in each cell, ascending, exactly as ``book_use`` does."""
    for cell in sorted(cells):
        got = await session.scalar(
            sa.text(
                "INSERT INTO facility_slots AS s (facility_id, use_date, cell_start, places, taken)"
                " VALUES (:f, :d, :c, :p, least(:p, 1))"
                " ON CONFLICT (facility_id, use_date, cell_start) DO UPDATE"
                " SET taken = s.taken + 1 WHERE s.taken < s.places RETURNING s.taken"
            ),
            {"f": facility.id, "d": day, "c": cell, "p": facility.places_at(day, cell.hour)},
        )
        if not got:
            raise Taken(cell)


async def release(session: AsyncSession, row: Mapping[Any, Any]) -> None:
    for cell in sorted(row["held_cells"] or ()):
        await repo.free_cell(session, row["facility_id"], row["use_date"], cell)


async def end_entry(
    session: AsyncSession, entry_id: uuid.UUID, status: EntryStatus, now: datetime, **more: Any
) -> None:
    await session.execute(
        sa.update(entries)
        .where(entries.c.id == entry_id)
        .values(status=status.value, ended_at=now, held_cells=None, **more)
    )

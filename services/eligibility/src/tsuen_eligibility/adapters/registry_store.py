"""Reading and writing the registries an officer imports: resident records (住民記録) and
enrollments (在籍). What a record means for a certification is decided in the service layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import enrollments, resident_records

# -- one child (reading and birth date) ----------------------------------------------------------


async def residence_of_child(
    session: AsyncSession, municipality: str, child_kana_key: str, birth_date: date
) -> Sequence[Row[Any]]:
    """The child's moves in and out (moved_in_on, moved_out_on)."""
    return (
        await session.execute(
            sa.select(resident_records.c.moved_in_on, resident_records.c.moved_out_on).where(
                resident_records.c.municipality == municipality,
                resident_records.c.child_kana_key == child_kana_key,
                resident_records.c.child_birth_date == birth_date,
            )
        )
    ).all()


async def enrollments_of_child(
    session: AsyncSession, municipality: str, child_kana_key: str, birth_date: date
) -> Sequence[Row[Any]]:
    """The child's enrollments (facility_type, enrolled_from, enrolled_until)."""
    return (
        await session.execute(
            sa.select(
                enrollments.c.facility_type,
                enrollments.c.enrolled_from,
                enrollments.c.enrolled_until,
            ).where(
                enrollments.c.municipality == municipality,
                enrollments.c.child_kana_key == child_kana_key,
                enrollments.c.child_birth_date == birth_date,
            )
        )
    ).all()


async def put_resident_record(
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    child_birth_date: date,
    moved_in_on: date | None,
    moved_out_on: date | None,
) -> None:
    """Add the child's record, or replace its dates (one record per child)."""
    stmt = insert(resident_records).values(
        municipality=municipality,
        child_kana_key=child_kana_key,
        child_birth_date=child_birth_date,
        moved_in_on=moved_in_on,
        moved_out_on=moved_out_on,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["municipality", "child_kana_key", "child_birth_date"],
            set_={
                "moved_in_on": stmt.excluded.moved_in_on,
                "moved_out_on": stmt.excluded.moved_out_on,
                "updated_at": sa.func.now(),
            },
        )
    )


async def put_enrollment(
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    child_birth_date: date,
    facility_type: str,
    enrolled_from: date,
    enrolled_until: date | None,
) -> None:
    """Add the enrollment, or replace its end (one per child, facility type and start)."""
    stmt = insert(enrollments).values(
        municipality=municipality,
        child_kana_key=child_kana_key,
        child_birth_date=child_birth_date,
        facility_type=facility_type,
        enrolled_from=enrolled_from,
        enrolled_until=enrolled_until,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_enrollments_child_type_from",
            set_={"enrolled_until": stmt.excluded.enrolled_until},
        )
    )


# -- many children at once (an import's preview) -------------------------------------------------
# One array parameter, not one per key: a 50,000-row file stays one query.


async def residents_of_children(
    session: AsyncSession, municipality: str, kana_keys: list[str]
) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            sa.select(resident_records).where(
                resident_records.c.municipality == municipality,
                resident_records.c.child_kana_key == sa.any_(sa.literal(kana_keys, ARRAY(sa.Text))),
            )
        )
    ).all()


async def enrollments_of_children(
    session: AsyncSession, municipality: str, kana_keys: list[str]
) -> Sequence[Row[Any]]:
    return (
        await session.execute(
            sa.select(enrollments).where(
                enrollments.c.municipality == municipality,
                enrollments.c.child_kana_key == sa.any_(sa.literal(kana_keys, ARRAY(sa.Text))),
            )
        )
    ).all()

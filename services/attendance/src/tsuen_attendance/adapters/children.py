"""The roster's view of each child, kept from eligibility's events (no call back at scan time).

Both writes are repeatable and order-proof: a certification only fills the reading and birth
date; a profile replaces the stored one only when its version is newer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters.orm import children
from tsuen_common.events.eligibility import ChildProfile


@dataclass(frozen=True)
class ChildOnRoster:
    child_id: uuid.UUID
    child_kana: str | None
    birth_date: date | None
    profile: ChildProfile | None


async def remember_certified(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    municipality: str,
    child_kana: str | None,
    birth_date: date | None,
) -> None:
    insert = pg.insert(children).values(
        child_id=child_id, municipality=municipality, child_kana=child_kana, birth_date=birth_date
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[children.c.child_id],
            set_={
                # The newest certification's municipality: a child who moved (転入, issue
                # 17.3) keeps its id and its record, under its new home.
                "municipality": insert.excluded.municipality,
                "child_kana": sa.func.coalesce(insert.excluded.child_kana, children.c.child_kana),
                "birth_date": sa.func.coalesce(insert.excluded.birth_date, children.c.birth_date),
            },
        )
    )


async def remember_profile(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    municipality: str,
    version: int,
    profile: ChildProfile,
) -> bool:
    """Store the record if it is newer than the one held; False when it was not."""
    insert = pg.insert(children).values(
        child_id=child_id,
        municipality=municipality,
        profile=profile.model_dump(mode="json"),
        profile_version=version,
    )
    result = await session.execute(
        insert.on_conflict_do_update(
            index_elements=[children.c.child_id],
            set_={"profile": insert.excluded.profile, "profile_version": version},
            where=children.c.profile_version < version,
        ).returning(children.c.child_id)
    )
    return result.first() is not None


def _child(row: Any) -> ChildOnRoster:
    profile = ChildProfile.model_validate(row.profile) if row.profile is not None else None
    return ChildOnRoster(
        child_id=row.child_id,
        child_kana=row.child_kana,
        birth_date=row.birth_date,
        profile=profile,
    )


async def children_by_id(
    session: AsyncSession, child_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ChildOnRoster]:
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    rows = (await session.execute(sa.select(children).where(children.c.child_id.in_(ids)))).all()
    return {row.child_id: _child(row) for row in rows}

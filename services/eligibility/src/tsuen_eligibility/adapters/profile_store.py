"""Reading and writing お子さんの情報 (the child's health and safety record, one per child and
municipality, versioned). Who may read or change it is service_layer/profiles.py's."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import child_profiles


def _of_child(municipality: str, child_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(
        child_profiles.c.municipality == municipality, child_profiles.c.child_id == child_id
    )


async def profile(session: AsyncSession, municipality: str, child_id: uuid.UUID) -> Row[Any] | None:
    """The record; None before the guardian registers it."""
    return (
        await session.execute(sa.select(child_profiles).where(_of_child(municipality, child_id)))
    ).one_or_none()


async def version_for_update(
    session: AsyncSession, municipality: str, child_id: uuid.UUID
) -> Row[Any] | None:
    """The record's version and profile, locked for a save; None before the first save."""
    return (
        await session.execute(
            sa.select(child_profiles.c.version, child_profiles.c.profile)
            .where(_of_child(municipality, child_id))
            .with_for_update()
        )
    ).one_or_none()


async def write(session: AsyncSession, values: dict[str, Any]) -> int:
    """Insert or replace the record; the version it now has."""
    insert = pg.insert(child_profiles).values(**values)
    # Two first registrations at once find no row to lock: the second one's upsert then
    # takes the next version from the row the first wrote, so versions never repeat and
    # the facilities keep the record eligibility keeps.
    version: int = (
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[child_profiles.c.municipality, child_profiles.c.child_id],
                set_={
                    **{
                        k: insert.excluded[k]
                        for k in values
                        if k not in ("municipality", "child_id", "version")
                    },
                    "version": child_profiles.c.version + 1,
                },
            ).returning(child_profiles.c.version)
        )
    ).scalar_one()
    return version

"""Reading and writing certifications (認定) for the application flow."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import certifications


async def latest_for_child(
    session: AsyncSession, *, municipality: str, child_kana_key: str, child_birth_date: date
) -> Row[Any] | None:
    """The child's most recent certification here (child_id, status), if it ever had one."""
    return (
        await session.execute(
            sa.select(certifications.c.child_id, certifications.c.status)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.child_kana_key == child_kana_key,
                certifications.c.child_birth_date == child_birth_date,
            )
            .order_by(certifications.c.created_at.desc())
            .limit(1)
        )
    ).one_or_none()


async def add_certification(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(certifications).values(**values))


async def certification_of_application(
    session: AsyncSession, application_id: uuid.UUID
) -> uuid.UUID | None:
    row: uuid.UUID | None = (
        await session.execute(
            sa.select(certifications.c.id).where(certifications.c.application_id == application_id)
        )
    ).scalar_one_or_none()
    return row

"""Certification rows that the guardian, change-request, registry, profile and 要支援家庭 use
cases read or lock.

Kept apart from certification_store.py only while that module is being changed for children
moving between municipalities; the two belong together once that work lands.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import applications, certifications


async def certification_for_update(session: AsyncSession, certification_id: uuid.UUID) -> Row[Any]:
    """The certification, locked; it must exist (the caller holds a row that refers to it)."""
    return (
        await session.execute(
            sa.select(certifications)
            .where(certifications.c.id == certification_id)
            .with_for_update()
        )
    ).one()


async def municipality_certification_for_update(
    session: AsyncSession, municipality: str, certification_id: uuid.UUID
) -> Row[Any] | None:
    """The certification if it is this municipality's, locked; another's is None like none."""
    return (
        await session.execute(
            sa.select(certifications)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.id == certification_id,
            )
            .with_for_update()
        )
    ).one_or_none()


async def newest_of_child(
    session: AsyncSession, municipality: str, child_id: uuid.UUID
) -> Row[Any] | None:
    """The guardian and status of the child's newest certification here, if any."""
    return (
        await session.execute(
            sa.select(certifications.c.guardian_id, certifications.c.status)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.child_id == child_id,
            )
            .order_by(certifications.c.created_at.desc())
            .limit(1)
        )
    ).one_or_none()


async def active_of_guardian_for_update(
    session: AsyncSession, municipality: str, guardian_id: uuid.UUID
) -> Sequence[Row[Any]]:
    """The guardian account's active certifications (siblings share an account), locked."""
    return (
        await session.execute(
            sa.select(certifications)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.guardian_id == guardian_id,
                certifications.c.status == "active",
            )
            .order_by(certifications.c.id)
            .with_for_update()
        )
    ).all()


async def active_of_child_for_update(
    session: AsyncSession, municipality: str, child_kana_key: str, birth_date: date
) -> Sequence[Row[Any]]:
    """The child's active certifications (by reading and birth date, as registries know it),
    locked."""
    return (
        await session.execute(
            sa.select(certifications)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.child_kana_key == child_kana_key,
                certifications.c.child_birth_date == birth_date,
                certifications.c.status == "active",
            )
            .with_for_update()
        )
    ).all()


async def active_of_children(
    session: AsyncSession, municipality: str, kana_keys: list[str]
) -> Sequence[Row[Any]]:
    """Active certifications of children with these readings, with the child's name, by
    certificate number: what an officer must notice before an import ends them."""
    # One array parameter, not one per key: a 50,000-row file stays one query.
    return (
        await session.execute(
            sa.select(
                certifications.c.id,
                certifications.c.certificate_number,
                certifications.c.child_kana_key,
                certifications.c.child_birth_date,
                certifications.c.valid_until,
                applications.c.child_name,
            )
            .join(applications, applications.c.id == certifications.c.application_id)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.status == "active",
                certifications.c.child_kana_key == sa.any_(sa.literal(kana_keys, ARRAY(sa.Text))),
            )
            .order_by(certifications.c.certificate_number)
        )
    ).all()

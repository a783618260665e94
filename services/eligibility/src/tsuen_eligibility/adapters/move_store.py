"""The SQL of a move between municipalities (service_layer/moves.py, issue 17.3).

Eligibility keeps every municipality's records in one database (each row names its
municipality), so finding the same child elsewhere is one query; only the approval of a move
reads across municipalities, and it answers the officer with the other municipality's
certification id, code and dates, nothing about the family.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import certifications, child_profiles, guardian_accounts


async def certified_elsewhere(
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    child_birth_date: date,
    lock: bool = False,
) -> list[Row[Any]]:
    """Certifications of a child with this reading and birth date in other municipalities that
    are active or ended by a move out, with their guardian's identity and address (``lock``:
    FOR UPDATE of the certifications, so a move and another change of them queue)."""
    query = (
        sa.select(
            certifications,
            guardian_accounts.c.email.label("guardian_email"),
            guardian_accounts.c.identity_key.label("guardian_identity"),
            guardian_accounts.c.municipality.label("guardian_municipality"),
        )
        .join(guardian_accounts, guardian_accounts.c.id == certifications.c.guardian_id)
        .where(
            certifications.c.municipality != municipality,
            certifications.c.child_kana_key == child_kana_key,
            certifications.c.child_birth_date == child_birth_date,
            # Active, or already ended by the old home's 転出 (its resident records are often
            # imported before the new home decides): the same child either way.
            sa.or_(
                certifications.c.status == "active",
                certifications.c.revocation_reason == "moved_out",
            ),
        )
        .order_by(certifications.c.created_at)
    )
    if lock:
        query = query.with_for_update(of=certifications)
    return list((await session.execute(query)).all())


async def rehome_guardian(
    session: AsyncSession, *, guardian_id: uuid.UUID, email: str, municipality: str
) -> bool:
    """Move the guardian's account to ``municipality`` (same id, so the login keeps its
    password); False when an account with that address exists there already."""
    taken = await session.scalar(
        sa.select(sa.func.count())
        .select_from(guardian_accounts)
        .where(guardian_accounts.c.municipality == municipality, guardian_accounts.c.email == email)
    )
    if taken:
        return False
    await session.execute(
        sa.update(guardian_accounts)
        .where(guardian_accounts.c.id == guardian_id)
        .values(municipality=municipality)
    )
    return True


async def carry_profile(
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    from_municipality: str,
    to_municipality: str,
    guardian_id: uuid.UUID,
) -> bool:
    """Copy the child's record (allergies, contacts…) to the new municipality at the same
    version: the facilities' rosters already hold that version, and the guardian's next save
    goes one higher. False when there was none, or the new municipality has one already."""
    source = sa.select(
        sa.literal(to_municipality).label("municipality"),
        child_profiles.c.child_id,
        sa.literal(guardian_id, sa.Uuid).label("guardian_id"),
        child_profiles.c.version,
        child_profiles.c.profile,
        child_profiles.c.updated_at,
        child_profiles.c.updated_by,
    ).where(
        child_profiles.c.municipality == from_municipality,
        child_profiles.c.child_id == child_id,
    )
    copied = await session.execute(
        insert(child_profiles)
        .from_select(
            [
                "municipality",
                "child_id",
                "guardian_id",
                "version",
                "profile",
                "updated_at",
                "updated_by",
            ],
            source,
        )
        .on_conflict_do_nothing()
        .returning(child_profiles.c.child_id)
    )
    return copied.first() is not None

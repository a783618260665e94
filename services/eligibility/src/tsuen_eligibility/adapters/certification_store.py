"""Reading, locking and writing certifications (認定).

Who may see or change a certification, and what revoking one means, is decided in the service
layer (certifications.py, approval.py, moves.py, guardians.py, change_requests.py,
registries.py, registry_imports.py, profiles.py, family_support.py); nothing here decides it.
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

from tsuen_eligibility.adapters.orm import applications, certifications, guardian_accounts

# -- a certificate with the names on it (認定証) ------------------------------------------------


def _with_names() -> sa.Select[Any]:
    """A certification with its guardian's address and the names, readings, address and phone
    the application's form gives the child and guardian."""
    return (
        sa.select(
            certifications,
            guardian_accounts.c.email.label("guardian_email"),
            applications.c.child_name,
            applications.c.form["child"]["kana"].astext.label("child_kana"),
            applications.c.form["guardian"]["name"].astext.label("guardian_name"),
            applications.c.form["guardian"]["kana"].astext.label("guardian_kana"),
            applications.c.form["guardian"]["address"].astext.label("guardian_address"),
            applications.c.form["guardian"]["phone"].astext.label("guardian_phone"),
        )
        .join(guardian_accounts, guardian_accounts.c.id == certifications.c.guardian_id)
        .join(applications, applications.c.id == certifications.c.application_id)
    )


async def certificates(
    session: AsyncSession,
    *,
    municipality: str,
    guardian_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> Sequence[Row[Any]]:
    """The municipality's certifications with names, newest first; ``guardian_id`` and
    ``status`` narrow them when given."""
    query = _with_names().where(certifications.c.municipality == municipality)
    if guardian_id is not None:
        query = query.where(certifications.c.guardian_id == guardian_id)
    if status:
        query = query.where(certifications.c.status == status)
    query = query.order_by(certifications.c.created_at.desc()).limit(limit).offset(offset)
    return (await session.execute(query)).all()


async def certificate(
    session: AsyncSession, *, municipality: str, certification_id: uuid.UUID
) -> Row[Any] | None:
    """One certification of the municipality with names; another's is None like none."""
    return (
        await session.execute(
            _with_names().where(
                certifications.c.municipality == municipality,
                certifications.c.id == certification_id,
            )
        )
    ).one_or_none()


# -- the application flow ----------------------------------------------------------------------


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


# -- reads and locks of the guardian, change-request, registry, profile and 要支援家庭 use cases


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


# -- revocation and ageing out -----------------------------------------------------------------


async def mark_revoked(
    session: AsyncSession,
    certification_id: uuid.UUID,
    *,
    revoked_on: date,
    reason: str,
) -> None:
    await session.execute(
        sa.update(certifications)
        .where(certifications.c.id == certification_id)
        .values(status="revoked", revoked_on=revoked_on, revocation_reason=reason)
    )


async def active_ended_before_for_update(
    session: AsyncSession, *, before: date, batch: int
) -> Sequence[Row[Any]]:
    """Up to ``batch`` active certifications whose validity ended before ``before``, the oldest
    first, locked; rows another transaction holds are skipped (two cron runs share the work)."""
    return (
        await session.execute(
            sa.select(certifications)
            .where(certifications.c.status == "active", certifications.c.valid_until < before)
            .order_by(certifications.c.valid_until)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()

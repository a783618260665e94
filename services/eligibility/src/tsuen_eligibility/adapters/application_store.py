"""Reading and writing application links, applications and their attachments.

The service layer passes the caller's tenant; nothing here decides who may see what.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import application_links, applications, attachments
from tsuen_eligibility.domain.names import kana_key

# An application still in the running: a second one for the same child is a duplicate.
LIVE_STATUSES = ("pending", "approved", "waitlisted")


# -- application links -----------------------------------------------------------------------


async def add_link(
    session: AsyncSession,
    *,
    link_id: uuid.UUID,
    municipality: str,
    token_hash: str,
    email: str,
    issued_at: datetime,
    expires_at: datetime,
) -> None:
    await session.execute(
        sa.insert(application_links).values(
            id=link_id,
            municipality=municipality,
            token_hash=token_hash,
            email=email,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )


async def link_for_update(session: AsyncSession, token_hash: str) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(application_links)
            .where(application_links.c.token_hash == token_hash)
            .with_for_update()
        )
    ).one_or_none()


async def mark_link_used(session: AsyncSession, link_id: uuid.UUID, *, at: datetime) -> None:
    await session.execute(
        sa.update(application_links).where(application_links.c.id == link_id).values(used_at=at)
    )


# -- applications ----------------------------------------------------------------------------


async def live_application_for(
    session: AsyncSession,
    *,
    municipality: str,
    child_kana_key: str,
    child_birth_date: date,
    guardian_email: str,
) -> uuid.UUID | None:
    """A pending, approved or waitlisted application for this child from this address."""
    row = (
        await session.execute(
            sa.select(applications.c.id).where(
                applications.c.municipality == municipality,
                applications.c.child_kana_key == child_kana_key,
                applications.c.child_birth_date == child_birth_date,
                applications.c.guardian_email == guardian_email,
                applications.c.status.in_(LIVE_STATUSES),
            )
        )
    ).first()
    return None if row is None else row.id


async def add_application(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(applications).values(**values))


async def application(
    session: AsyncSession, municipality: str, application_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    query = sa.select(applications).where(
        applications.c.municipality == municipality, applications.c.id == application_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).one_or_none()


async def application_form(session: AsyncSession, application_id: uuid.UUID) -> dict[str, Any]:
    """The application's form as the guardian filled it in (changes since applied to it)."""
    form = (
        await session.execute(
            sa.select(applications.c.form).where(applications.c.id == application_id)
        )
    ).scalar_one()
    return dict(form)


async def update_application(
    session: AsyncSession, application_id: uuid.UUID, **values: Any
) -> None:
    await session.execute(
        sa.update(applications).where(applications.c.id == application_id).values(**values)
    )


def _like(q: str) -> str:
    """``q`` as a substring pattern, its own ``%``, ``_`` and ``\\`` taken literally."""
    return "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


async def search_applications(
    session: AsyncSession,
    *,
    municipality: str,
    status: str | None,
    q: str | None,
    checks_passed: bool | None,
    facility_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Sequence[Row[Any]]:
    """Newest first; ``q`` matches the names, the e-mail and the reading (kana_key)."""
    query = sa.select(applications).where(applications.c.municipality == municipality)
    if status:
        query = query.where(applications.c.status == status)
    if facility_id:
        query = query.where(applications.c.desired_facility_id == facility_id)
    if checks_passed is not None:
        query = query.where(applications.c.checks["passed"].as_boolean() == checks_passed)
    if q:
        pattern = _like(q)
        query = query.where(
            sa.or_(
                applications.c.child_name.ilike(pattern),
                applications.c.guardian_name.ilike(pattern),
                applications.c.guardian_email.ilike(pattern),
                applications.c.child_kana_key.contains(kana_key(q), autoescape=True),
            )
        )
    query = query.order_by(applications.c.submitted_at.desc(), applications.c.id)
    return (await session.execute(query.limit(limit).offset(offset))).all()


# -- attachments -----------------------------------------------------------------------------


async def add_attachments(
    session: AsyncSession,
    *,
    municipality: str,
    application_id: uuid.UUID,
    files: Iterable[tuple[str, str, bytes]],
) -> None:
    """Each file as (filename, content type, bytes), with its size and sha256."""
    for filename, content_type, data in files:
        await session.execute(
            sa.insert(attachments).values(
                id=uuid.uuid4(),
                municipality=municipality,
                application_id=application_id,
                filename=filename,
                content_type=content_type,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
        )


async def attachment_list(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Row[Any]]:
    """The application's files without their bytes."""
    return (
        await session.execute(
            sa.select(
                attachments.c.id,
                attachments.c.filename,
                attachments.c.content_type,
                attachments.c.size_bytes,
                attachments.c.sha256,
            )
            .where(attachments.c.application_id == application_id)
            .order_by(attachments.c.filename, attachments.c.id)
        )
    ).all()


async def attachment(
    session: AsyncSession,
    *,
    municipality: str,
    application_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(attachments).where(
                attachments.c.municipality == municipality,
                attachments.c.application_id == application_id,
                attachments.c.id == attachment_id,
            )
        )
    ).one_or_none()

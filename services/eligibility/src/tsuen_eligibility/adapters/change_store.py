"""Reading and writing 変更申請 (a guardian's change to the certification's details, waiting for
an officer). Whether a request may be filed or decided is service_layer/change_requests.py's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import applications, certifications, change_requests


async def open_request_of(
    session: AsyncSession, certification_id: uuid.UUID, *, status: str
) -> uuid.UUID | None:
    """The certification's request in ``status`` (the open one), if any."""
    found: uuid.UUID | None = (
        await session.execute(
            sa.select(change_requests.c.id).where(
                change_requests.c.certification_id == certification_id,
                change_requests.c.status == status,
            )
        )
    ).scalar_one_or_none()
    return found


async def add_request(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(change_requests).values(**values))


async def requests(
    session: AsyncSession,
    *,
    municipality: str,
    status: str | None = None,
    certification_id: uuid.UUID | None = None,
    guardian_id: uuid.UUID | None = None,
) -> Sequence[Row[Any]]:
    """The municipality's requests, oldest first, narrowed to what is given; each with the
    certificate number, the child's name and the application form (what is on record)."""
    query = (
        sa.select(
            change_requests,
            certifications.c.certificate_number,
            applications.c.child_name,
            applications.c.form,
        )
        .join(certifications, certifications.c.id == change_requests.c.certification_id)
        .join(applications, applications.c.id == certifications.c.application_id)
        .where(change_requests.c.municipality == municipality)
    )
    if status:
        query = query.where(change_requests.c.status == status)
    if certification_id is not None:
        query = query.where(change_requests.c.certification_id == certification_id)
    if guardian_id is not None:
        query = query.where(change_requests.c.guardian_id == guardian_id)
    return (await session.execute(query.order_by(change_requests.c.requested_at))).all()


async def request_for_update(
    session: AsyncSession, municipality: str, request_id: uuid.UUID
) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(change_requests)
            .where(
                change_requests.c.municipality == municipality,
                change_requests.c.id == request_id,
            )
            .with_for_update()
        )
    ).one_or_none()


async def record_decision(
    session: AsyncSession,
    request_id: uuid.UUID,
    *,
    status: str,
    decided_by: str,
    decided_at: datetime,
    reason: str,
) -> None:
    await session.execute(
        sa.update(change_requests)
        .where(change_requests.c.id == request_id)
        .values(status=status, decided_by=decided_by, decided_at=decided_at, reason=reason)
    )

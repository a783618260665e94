"""The audit trail: a line added in each use case's transaction (service_layer.context.audit),
and the lines as officers read them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import audit_log


async def add_line(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(audit_log).values(**values))


async def audit_lines(
    session: AsyncSession,
    *,
    municipality: str,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Sequence[Row[Any]]:
    """The municipality's lines in the order written, narrowed to what is given."""
    query = sa.select(audit_log).where(audit_log.c.municipality == municipality)
    if application_id:
        query = query.where(audit_log.c.application_id == application_id)
    if certification_id:
        query = query.where(audit_log.c.certification_id == certification_id)
    if round_id:
        query = query.where(audit_log.c.round_id == round_id)
    query = query.order_by(audit_log.c.id)
    if limit is not None:
        query = query.limit(limit)
    if offset is not None:
        query = query.offset(offset)
    return (await session.execute(query)).all()

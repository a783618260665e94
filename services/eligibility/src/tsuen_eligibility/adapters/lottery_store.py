"""Reading and writing lottery rounds (抽選) and their entries."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters.orm import lottery_entries


async def entry_of_application(
    session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    """The application's entry in the round that drew it, if one has."""
    query = sa.select(lottery_entries).where(lottery_entries.c.application_id == application_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).one_or_none()

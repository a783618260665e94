"""SQL of 遅れる連絡 (domain/late_notice.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters.orm import late_notices
from tsuen_attendance.domain.late_notice import LateKind, LateNotice


async def save(session: AsyncSession, booking_id: uuid.UUID, notice: LateNotice) -> None:
    values = {
        "booking_id": booking_id,
        "kind": str(notice.kind),
        "minutes": notice.minutes,
        "note": notice.note,
        "noticed_at": notice.noticed_at,
    }
    insert = pg.insert(late_notices).values(**values)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[late_notices.c.booking_id, late_notices.c.kind],
            set_={k: insert.excluded[k] for k in ("minutes", "note", "noticed_at")},
        )
    )


async def of_bookings(
    session: AsyncSession, booking_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[LateNotice]]:
    ids = sorted(set(booking_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            sa.select(late_notices)
            .where(late_notices.c.booking_id.in_(ids))
            .order_by(late_notices.c.noticed_at)
        )
    ).all()
    found: dict[uuid.UUID, list[LateNotice]] = {}
    for row in rows:
        found.setdefault(row.booking_id, []).append(
            LateNotice(LateKind(row.kind), row.minutes, row.note, row.noticed_at)
        )
    return found

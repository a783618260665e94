"""Booking's copy of eligibility's children (the ``children`` projection) and the changes and
revocations that arrived before their certification (``pending_certification_updates``, the
tombstones). Written by the event handlers (service_layer/events.py), which decide when; a
child's row holds one certification, and every write here names it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import children, pending_certification_updates

# -- the children projection -------------------------------------------------------------------


async def certify(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """The child's row as ChildCertified gives it (inserted, or every column replaced)."""
    stmt = insert(children).values(**values, revoked_from=None)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["child_id"],
            set_={
                **{k: stmt.excluded[k] for k in values if k != "child_id"},
                # A new certification starts clean; the same one keeps its revocation.
                "revoked_from": sa.case(
                    (
                        children.c.certification_id == stmt.excluded.certification_id,
                        children.c.revoked_from,
                    ),
                    else_=None,
                ),
                "updated_at": sa.func.now(),
            },
        )
    )


def _of(child_id: uuid.UUID, certification_id: uuid.UUID) -> tuple[Any, ...]:
    """The child's row while it holds this certification."""
    return (children.c.child_id == child_id, children.c.certification_id == certification_id)


def _guardian_update(
    child_id: uuid.UUID,
    certification_id: uuid.UUID,
    *,
    guardian_id: uuid.UUID,
    guardian_email: str,
) -> sa.Update:
    return (
        sa.update(children)
        .where(*_of(child_id, certification_id))
        .values(guardian_id=guardian_id, guardian_email=guardian_email, updated_at=sa.func.now())
    )


async def change_guardian(
    session: AsyncSession,
    child_id: uuid.UUID,
    certification_id: uuid.UUID,
    *,
    guardian_id: uuid.UUID,
    guardian_email: str,
) -> bool:
    """The guardian and address on the child's row; False when the row holds another
    certification (or there is no row)."""
    updated = await session.execute(
        _guardian_update(
            child_id, certification_id, guardian_id=guardian_id, guardian_email=guardian_email
        ).returning(children.c.child_id)
    )
    return updated.first() is not None


async def apply_guardian(
    session: AsyncSession,
    child_id: uuid.UUID,
    certification_id: uuid.UUID,
    *,
    guardian_id: uuid.UUID,
    guardian_email: str,
) -> None:
    """The guardian and address a tombstone kept, on the row just certified."""
    await session.execute(
        _guardian_update(
            child_id, certification_id, guardian_id=guardian_id, guardian_email=guardian_email
        )
    )


async def revoke(
    session: AsyncSession, child_id: uuid.UUID, certification_id: uuid.UUID, *, from_day: date
) -> bool:
    """The child's certification ends from ``from_day``; False when the row holds another
    certification (or there is no row)."""
    updated = await session.execute(
        sa.update(children)
        .where(*_of(child_id, certification_id))
        .values(revoked_from=from_day, updated_at=sa.func.now())
        .returning(children.c.child_id)
    )
    return updated.first() is not None


async def revoke_no_later_than(
    session: AsyncSession, child_id: uuid.UUID, certification_id: uuid.UUID, *, from_day: date
) -> None:
    """The certification ends from ``from_day`` unless it already ends earlier."""
    await session.execute(
        sa.update(children)
        .where(*_of(child_id, certification_id))
        .values(
            revoked_from=sa.func.least(
                sa.func.coalesce(children.c.revoked_from, from_day), from_day
            ),
            updated_at=sa.func.now(),
        )
    )


# -- tombstones: what came before its certification --------------------------------------------


async def take_pending(
    session: AsyncSession, child_id: uuid.UUID, certification_id: uuid.UUID
) -> Mapping[Any, Any] | None:
    """The change or revocation kept for this certification, removed as it is read (once)."""
    return (
        (
            await session.execute(
                sa.delete(pending_certification_updates)
                .where(
                    pending_certification_updates.c.certification_id == certification_id,
                    pending_certification_updates.c.child_id == child_id,
                )
                .returning(pending_certification_updates)
            )
        )
        .mappings()
        .first()
    )


async def remember(session: AsyncSession, values: Mapping[str, object]) -> None:
    """Keep a change or revocation for a certification not known yet, merged with what is
    kept for it already."""
    stmt = insert(pending_certification_updates).values(**values)
    table = pending_certification_updates.c
    updates: dict[str, object] = {"updated_at": sa.func.now()}
    if "revoked_from" in values:
        # The earliest end wins if several revocations arrive early.
        updates["revoked_from"] = sa.func.least(
            sa.func.coalesce(table.revoked_from, stmt.excluded.revoked_from),
            stmt.excluded.revoked_from,
        )
        updates["revocation_reason"] = sa.case(
            (
                sa.or_(
                    table.revoked_from.is_(None),
                    stmt.excluded.revoked_from <= table.revoked_from,
                ),
                stmt.excluded.revocation_reason,
            ),
            else_=table.revocation_reason,
        )
    if "guardian_email" in values:
        updates["guardian_id"] = stmt.excluded.guardian_id
        updates["guardian_email"] = stmt.excluded.guardian_email
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["certification_id"], set_=updates)
    )

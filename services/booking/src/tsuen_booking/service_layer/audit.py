"""The staff audit trail (domain/audit.py): written inside each staff use case's transaction,
read by the municipality's officers, newest first.

Proxy bookings and cancellations entered for a guardian are not written here a second time: the
booking row already says so (``by_proxy``; ``cancel_recorded_by`` with ``called_at``), and the
hot path that makes them is one SQL call. The trail reads them off the rows and merges.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, facilities, staff_audit
from tsuen_booking.domain.audit import StaffAction, is_audited
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Principal

TRAIL_LIMIT = 200


async def record(
    session: AsyncSession,
    principal: Principal,
    action: StaffAction,
    *,
    municipality: str,
    facility_id: uuid.UUID,
    at: datetime,
    subject_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One line of the trail, in the caller's transaction: the change and its line commit
    together or not at all."""
    if not is_audited(principal):
        return
    await session.execute(
        sa.insert(staff_audit).values(
            id=uuid.uuid4(),
            municipality=municipality,
            facility_id=facility_id,
            actor=principal.subject,
            actor_role=principal.role.value,
            action=action.value,
            subject_id=subject_id,
            detail=detail or {},
            at=at,
        )
    )


def _written(municipality: str) -> sa.Select[Any]:
    return sa.select(
        staff_audit.c.at,
        staff_audit.c.action,
        staff_audit.c.actor,
        staff_audit.c.actor_role,
        staff_audit.c.facility_id,
        staff_audit.c.subject_id,
        staff_audit.c.detail,
    ).where(staff_audit.c.municipality == municipality)


def _booked_for_guardian(municipality: str) -> sa.Select[Any]:
    # The hot path records that staff booked, not which account: the facility is the actor.
    return sa.select(
        bookings.c.created_at.label("at"),
        sa.literal(StaffAction.BOOKED_FOR_GUARDIAN.value).label("action"),
        sa.cast(bookings.c.facility_id, sa.Text).label("actor"),
        sa.literal("facility_staff").label("actor_role"),
        bookings.c.facility_id,
        bookings.c.id.label("subject_id"),
        sa.func.jsonb_build_object(
            "use_date",
            bookings.c.use_date,
            "start",
            bookings.c.start_time,
            "end",
            bookings.c.end_time,
        ).label("detail"),
    ).where(bookings.c.municipality == municipality, bookings.c.by_proxy.is_(True))


def _cancelled_for_guardian(municipality: str) -> sa.Select[Any]:
    # One booking cancelled on the family's behalf (a closure's or a slot's cancellations
    # carry a bulk id and are the staff_audit line of that closure instead).
    return sa.select(
        bookings.c.cancelled_at.label("at"),
        sa.literal(StaffAction.CANCELLED_FOR_GUARDIAN.value).label("action"),
        bookings.c.cancel_recorded_by.label("actor"),
        sa.literal("facility_staff").label("actor_role"),
        bookings.c.facility_id,
        bookings.c.id.label("subject_id"),
        sa.func.jsonb_build_object(
            "use_date",
            bookings.c.use_date,
            "called_at",
            bookings.c.called_at,
            "cause",
            bookings.c.cancel_cause,
        ).label("detail"),
    ).where(
        bookings.c.municipality == municipality,
        bookings.c.cancel_recorded_by.is_not(None),
        bookings.c.bulk_id.is_(None),
        bookings.c.cancelled_at.is_not(None),
    )


async def trail(ctx: Context, principal: Principal, municipality: str) -> list[dict[str, Any]]:
    """The municipality's trail, newest first (the last ``TRAIL_LIMIT`` lines)."""
    principal.require_municipality(municipality)
    merged = sa.union_all(
        _written(municipality),
        _booked_for_guardian(municipality),
        _cancelled_for_guardian(municipality),
    ).subquery()
    query = (
        sa.select(merged, facilities.c.name.label("facility_name"))
        .outerjoin(facilities, facilities.c.id == merged.c.facility_id)
        .order_by(merged.c.at.desc())
        .limit(TRAIL_LIMIT)
    )
    async with ctx.sessions() as session:
        rows = (await session.execute(query)).mappings().all()
    return [dict(row) for row in rows]

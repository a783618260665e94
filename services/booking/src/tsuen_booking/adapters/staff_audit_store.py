"""The staff audit trail's table, and the trail as officers read it: the lines written by staff
use cases merged with the proxy bookings and cancellations the booking rows already record.
Whether a caller's action is audited is the service layer's (domain/audit.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import bookings, facilities, staff_audit
from tsuen_booking.domain.audit import StaffAction


async def add_line(session: AsyncSession, **values: Any) -> None:
    await session.execute(sa.insert(staff_audit).values(id=uuid.uuid4(), **values))


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


async def trail(
    session: AsyncSession, municipality: str, *, limit: int
) -> Sequence[Mapping[Any, Any]]:
    """The municipality's last ``limit`` lines, newest first, each with its facility's name."""
    merged = sa.union_all(
        _written(municipality),
        _booked_for_guardian(municipality),
        _cancelled_for_guardian(municipality),
    ).subquery()
    query = (
        sa.select(merged, facilities.c.name.label("facility_name"))
        .outerjoin(facilities, facilities.c.id == merged.c.facility_id)
        .order_by(merged.c.at.desc())
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()

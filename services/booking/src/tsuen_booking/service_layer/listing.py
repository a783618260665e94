"""予約一覧 and one booking: the caller's bookings (and, with ``kind=interview``, first
interviews), filtered, within the caller's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from tsuen_booking.adapters.orm import bookings, children, interviews
from tsuen_booking.domain.booking import ACTIVE_STATUSES, BookingStatus
from tsuen_booking.domain.errors import BOOKING_NOT_FOUND_JA, InvalidRequest, NotFound
from tsuen_booking.service_layer.access import can_see_booking, tenant_filter
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.views import booking_out, interview_as_booking
from tsuen_common.auth import Principal
from tsuen_common.events.booking import BookingKind


@dataclass(frozen=True)
class BookingFilter:
    kind: BookingKind | None = None
    status: BookingStatus | None = None
    facility_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    upcoming: bool = False


async def _list_interviews(
    ctx: Context, principal: Principal, flt: BookingFilter
) -> list[dict[str, Any]]:
    stmt = sa.select(interviews).where(tenant_filter(principal, interviews))
    if flt.facility_id is not None:
        stmt = stmt.where(interviews.c.facility_id == flt.facility_id)
    if flt.child_id is not None:
        stmt = stmt.where(interviews.c.child_id == flt.child_id)
    day = sa.func.date(sa.func.timezone("Asia/Tokyo", interviews.c.starts_at))
    if flt.date_from is not None:
        stmt = stmt.where(day >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(day <= flt.date_to)
    if flt.status is BookingStatus.CANCELLED:
        stmt = stmt.where(interviews.c.status == "cancelled")
    elif flt.upcoming:  # what is still ahead: not the called-off ones
        stmt = stmt.where(interviews.c.status != "cancelled")
    if flt.upcoming:
        stmt = stmt.where(
            sa.or_(interviews.c.starts_at.is_(None), interviews.c.starts_at > ctx.clock())
        )
    stmt = stmt.order_by(interviews.c.starts_at.nulls_last(), interviews.c.id).limit(1000)
    async with ctx.sessions() as session:
        return [interview_as_booking(r) for r in (await session.execute(stmt)).mappings()]


async def list_bookings(
    ctx: Context, principal: Principal, flt: BookingFilter
) -> list[dict[str, Any]]:
    """予約一覧: uses (柔軟利用, 定期利用) and, with ``kind=interview``, first interviews."""
    if flt.kind is BookingKind.INTERVIEW:
        if flt.status is not None:
            raise InvalidRequest(
                "interviews have no booking status; leave out status",
                message_ja="初回面談には予約の状態がありません。状態の指定を外して検索してください。",
            )
        return await _list_interviews(ctx, principal, flt)
    stmt = (
        sa.select(bookings, children.c.name.label("child_name"))
        .outerjoin(children, children.c.child_id == bookings.c.child_id)
        .where(tenant_filter(principal, bookings))
    )
    if flt.kind is not None:
        stmt = stmt.where(bookings.c.kind == flt.kind.value)
    if flt.status is not None:
        stmt = stmt.where(bookings.c.status == flt.status.value)
    if flt.facility_id is not None:
        stmt = stmt.where(bookings.c.facility_id == flt.facility_id)
    if flt.child_id is not None:
        stmt = stmt.where(bookings.c.child_id == flt.child_id)
    if flt.date_from is not None:
        stmt = stmt.where(bookings.c.use_date >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(bookings.c.use_date <= flt.date_to)
    if flt.upcoming:
        stmt = stmt.where(
            bookings.c.ends_at > ctx.clock(),
            bookings.c.status.in_([s.value for s in ACTIVE_STATUSES]),
        )
    stmt = stmt.order_by(bookings.c.starts_at, bookings.c.id).limit(1000)
    async with ctx.sessions() as session:
        return [booking_out(r) for r in (await session.execute(stmt)).mappings()]


async def get_booking(ctx: Context, principal: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = (
            (await session.execute(sa.select(bookings).where(bookings.c.id == booking_id)))
            .mappings()
            .first()
        )
    if row is None or not can_see_booking(principal, row):
        raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
    return booking_out(row)

"""予約一覧 and one booking: the caller's bookings (and, with ``kind=interview``, first
interviews), filtered, within the caller's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_booking.adapters import booking_store, interview_store
from tsuen_booking.adapters.orm import bookings, interviews
from tsuen_booking.domain.booking import ACTIVE_STATUSES, BookingStatus
from tsuen_booking.domain.errors import BOOKING_NOT_FOUND_JA, InvalidRequest, NotFound
from tsuen_booking.service_layer.access import tenant_filter
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
    cancelled = None
    if flt.status is BookingStatus.CANCELLED:
        cancelled = True
    elif flt.upcoming:  # what is still ahead: not the called-off ones
        cancelled = False
    async with ctx.sessions() as session:
        rows = await interview_store.list_interviews(
            session,
            tenant_filter(principal, interviews),
            facility_id=flt.facility_id,
            child_id=flt.child_id,
            date_from=flt.date_from,
            date_to=flt.date_to,
            cancelled=cancelled,
            starting_after=ctx.clock() if flt.upcoming else None,
            limit=1000,
        )
    return [interview_as_booking(r) for r in rows]


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
    async with ctx.sessions() as session:
        rows = await booking_store.list_uses(
            session,
            tenant_filter(principal, bookings),
            kind=flt.kind.value if flt.kind is not None else None,
            status=flt.status.value if flt.status is not None else None,
            facility_id=flt.facility_id,
            child_id=flt.child_id,
            date_from=flt.date_from,
            date_to=flt.date_to,
            # 今後の予約: not over yet, and neither cancelled nor settled.
            ending_after=ctx.clock() if flt.upcoming else None,
            in_statuses=[s.value for s in ACTIVE_STATUSES] if flt.upcoming else None,
            limit=1000,
        )
    return [booking_out(r) for r in rows]


async def get_booking(ctx: Context, principal: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
    """One booking the caller's tenant reaches (the same rule as 予約一覧's); another tenant's
    is a 404 like a missing one."""
    async with ctx.sessions() as session:
        row = await booking_store.booking_in_tenant(
            session, booking_id, tenant_filter(principal, bookings)
        )
    if row is None:
        raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
    return booking_out(row)

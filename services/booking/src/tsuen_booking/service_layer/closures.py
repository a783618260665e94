"""臨時休園: a facility closes a day or a span (weather, an outbreak, no staff).

The days become closed days of the facility (nobody can book them any more, 定期利用 skips them)
and every active booking in them is cancelled as the facility's cancellation: no hours are
consumed, whatever the deadline (domain/cancellation.py), and each guardian and the facility get
the cancellation mail. Staff first see who is affected (``preview``); nothing changes until they
confirm (``close``). A booking already in use (checked in) is left for the check-out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import booking_store, facility_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.cancellation import CancellationCause
from tsuen_booking.domain.errors import FACILITY_NOT_FOUND_JA, InvalidRequest, NotFound
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.cancellation import cancel_locked, canceller
from tsuen_booking.service_layer.commands import FacilitySpec
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility, facility_out
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Forbidden, Principal, Role

MAX_CLOSURE_DAYS = 31


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise InvalidRequest(
            f"'to' ({last}) is before 'from' ({first})",
            message_ja="終了日が開始日より前になっています。",
        )
    if (last - first).days >= MAX_CLOSURE_DAYS:
        raise InvalidRequest(
            f"close at most {MAX_CLOSURE_DAYS} days at a time",
            message_ja=f"一度に休園にできるのは{MAX_CLOSURE_DAYS}日までです。",
        )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def _facility_for_staff(
    ctx: Context, session: AsyncSession, principal: Principal, facility_id: uuid.UUID
) -> Mapping[Any, Any]:
    row = await repo.facility_row(session, facility_id, lock=True)
    if row is None or not can_see_facility(ctx, principal, row):
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
    if principal.role is Role.GUARDIAN:
        raise Forbidden("only the facility or its municipality closes a facility")
    return row


async def preview(
    ctx: Context, principal: Principal, facility_id: uuid.UUID, first: date, last: date
) -> dict[str, Any]:
    """Who a closure would affect, before anything changes."""
    days = _days(first, last)
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
        if row is None or not can_see_facility(ctx, principal, row):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("only the facility or its municipality closes a facility")
        rows = await _affected(session, facility_id, days, ctx.clock())
    return {"days": days, "bookings": [booking_out(r) for r in rows]}


async def close(
    ctx: Context,
    principal: Principal,
    facility_id: uuid.UUID,
    first: date,
    last: date,
    reason: str,
) -> dict[str, Any]:
    """Close the days and cancel their bookings as the facility's cancellation."""
    days = _days(first, last)
    now = ctx.clock()
    if first < now.date():
        raise InvalidRequest(
            "a closure cannot start in the past", message_ja="過去の日は休園にできません。"
        )
    closure_id = uuid.uuid4()
    async with ctx.transaction() as session:
        row = await _facility_for_staff(ctx, session, principal, facility_id)
        spec = FacilitySpec.model_validate(
            {k: v for k, v in facility_out(row).items() if k not in ("id", "municipality")}
        )
        spec = spec.model_copy(update={"closed_days": sorted({*spec.closed_days, *days})})
        await facility_store.update_facility(
            session, facility_id, closed_days=spec.to_row()["closed_days"]
        )
        rows = await _affected(session, facility_id, days, now, lock=True)
        for booking in rows:
            await cancel_locked(
                ctx,
                session,
                booking,
                reason=f"臨時休園: {reason}",
                cancelled_by=canceller(principal),
                now=now,
                bulk_id=closure_id,
                cause=CancellationCause.FACILITY,
                recorded_by=principal.subject,
            )
        await audit.record(
            session,
            principal,
            StaffAction.FACILITY_CLOSED,
            municipality=row["municipality"],
            facility_id=facility_id,
            at=now,
            subject_id=closure_id,
            detail={
                "days": [d.isoformat() for d in days],
                "reason": reason,
                "bookings_cancelled": len(rows),
            },
        )
        cancelled = [
            booking_out(r)
            for r in await booking_store.with_child_names(session, [r["id"] for r in rows])
        ]
    return {"closure_id": closure_id, "days": days, "cancelled": cancelled}


async def _affected(
    session: AsyncSession,
    facility_id: uuid.UUID,
    days: list[date],
    now: datetime,
    *,
    lock: bool = False,
) -> Sequence[Mapping[Any, Any]]:
    # A use that is already over is settled by attendance, not cancelled by a closure.
    return await booking_store.confirmed_on_days(
        session, facility_id, days, ending_after=now, lock=lock
    )

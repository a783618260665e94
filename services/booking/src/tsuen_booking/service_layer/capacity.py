"""利用枠と開所時間の変更: the facility changes its week (opening hours, places) from a date on.

Like 臨時休園 (closures.py): staff first see exactly which bookings would no longer fit
(``preview``, domain/capacity.py decides), and ``apply`` commits the new week and cancels
exactly those, as the facility's cancellation (no hours consumed, each guardian and the facility
mailed), in one transaction under the facility row's lock — the lock every booking takes
(shared) first, so no booking slips in between the check and the change. If the bookings
affected are no longer the ones previewed, nothing changes (409).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import booking_store, facility_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.booking import ACTIVE_STATUSES
from tsuen_booking.domain.cancellation import CancellationCause
from tsuen_booking.domain.capacity import (
    Affected,
    BookedUse,
    fingerprint,
    no_longer_fit,
    week_to_json,
    weeks_after,
)
from tsuen_booking.domain.errors import FACILITY_NOT_FOUND_JA, Conflict, InvalidRequest, NotFound
from tsuen_booking.domain.facility import Facility, WeeklySchedule
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.cancellation import cancel_locked, canceller
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_booking.service_layer.views import booking_out
from tsuen_booking.service_layer.waitlist_offers import release_holds_from
from tsuen_common.auth import Forbidden, Principal, Role

WEEK_DAYS = range(7)


def week_summary(facility: Facility, day: date, week: WeeklySchedule | None) -> dict[str, Any]:
    """A week as staff read it: per weekday the hours and the fewest and most places."""
    hours_of = facility.opening_hours if week is None else week.opening_hours
    by_weekday = facility.places_by_weekday if week is None else week.places_by_weekday
    default = facility.places_per_slot if week is None else week.places_per_slot
    days = []
    for weekday in WEEK_DAYS:
        hours = hours_of.get(weekday)
        places = (
            [
                by_weekday.get(weekday, {}).get(h, default)
                for h in range(hours.open.hour, hours.close.hour + (hours.close.minute > 0))
            ]
            if hours
            else []
        )
        days.append(
            {
                "weekday": weekday,
                "open": hours.open.strftime("%H:%M") if hours else None,
                "close": hours.close.strftime("%H:%M") if hours else None,
                "places_min": min(places) if places else None,
                "places_max": max(places) if places else None,
            }
        )
    return {
        "effective_from": week.effective_from if week else None,
        "in_force_on": day if week is None or week.effective_from <= day else None,
        "opening_hours": {
            str(d): {"open": h.open.strftime("%H:%M"), "close": h.close.strftime("%H:%M")}
            for d, h in sorted(hours_of.items())
        },
        "places_per_slot": default,
        "places_by_weekday": {
            str(d): {str(h): p for h, p in sorted(v.items())} for d, v in sorted(by_weekday.items())
        },
        "days": days,
    }


async def _facility(
    ctx: Context, session: AsyncSession, principal: Principal, facility_id: uuid.UUID, *, lock: bool
) -> Mapping[Any, Any]:
    row = await repo.facility_row(session, facility_id, lock=lock)
    if row is None or not can_see_facility(ctx, principal, row):
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
    if principal.role is Role.GUARDIAN:
        raise Forbidden("only the facility or its municipality changes its places and hours")
    return row


async def weeks(ctx: Context, principal: Principal, facility_id: uuid.UUID) -> dict[str, Any]:
    """The week in force today and the later ones already decided."""
    today = ctx.clock().date()
    async with ctx.sessions() as session:
        facility = repo.facility_from_row(
            await _facility(ctx, session, principal, facility_id, lock=False)
        )
    now = facility.week_on(today)
    later = [w for w in facility.schedules if w.effective_from > today]
    return {
        "facility_id": facility_id,
        "today": today,
        "current": week_summary(facility, today, now),
        "later": [week_summary(facility, today, w) for w in later],
    }


def _check_start(week: WeeklySchedule, today: date) -> None:
    if week.effective_from <= today:
        raise InvalidRequest(
            "a new week starts tomorrow at the earliest",
            message_ja="利用枠・開所時間の変更は、明日以降の日付から指定してください。",
        )


def _after(facility: Facility, week: WeeklySchedule, today: date) -> Facility:
    try:
        return dataclasses.replace(facility, schedules=weeks_after(facility.schedules, week, today))
    except ValueError as exc:
        raise InvalidRequest(
            str(exc),
            message_ja="利用枠・開所時間の内容に誤りがあります。入力内容をご確認ください。",
        ) from None


async def _uses(
    session: AsyncSession, facility_id: uuid.UUID, since: date, *, lock: bool = False
) -> Sequence[Mapping[Any, Any]]:
    """The facility's active bookings from ``since`` on: the ones a new week may not fit."""
    return await booking_store.in_statuses_from(
        session, facility_id, since, [s.value for s in ACTIVE_STATUSES], lock=lock
    )


def _booked(row: Mapping[Any, Any]) -> BookedUse:
    return BookedUse(
        id=row["id"],
        use_date=row["use_date"],
        start=row["start_time"],
        end=row["end_time"],
        cell_minutes=row["cell_minutes"],
        made_at=row["created_at"],
    )


def _listed(rows: Sequence[Mapping[Any, Any]], affected: list[Affected]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in rows}
    return [{**booking_out(by_id[a.booking_id]), "misfit": a.misfit.value} for a in affected]


async def preview(
    ctx: Context, principal: Principal, facility_id: uuid.UUID, week: WeeklySchedule
) -> dict[str, Any]:
    """Which bookings the new week would cancel, and the fingerprint ``apply`` wants back."""
    today = ctx.clock().date()
    _check_start(week, today)
    async with ctx.sessions() as session:
        row = await _facility(ctx, session, principal, facility_id, lock=False)
        after = _after(repo.facility_from_row(row), week, today)
        rows = await _uses(session, facility_id, week.effective_from)
    affected = no_longer_fit(after, [_booked(r) for r in rows], week.effective_from)
    return {
        "effective_from": week.effective_from,
        "week": week_summary(after, today, week),
        "bookings": _listed(rows, affected),
        "fingerprint": fingerprint(week, affected),
    }


async def apply(
    ctx: Context,
    principal: Principal,
    facility_id: uuid.UUID,
    week: WeeklySchedule,
    *,
    reason: str,
    previewed: str,
) -> dict[str, Any]:
    """Commit the new week and cancel exactly the previewed bookings, or change nothing (409)."""
    now = ctx.clock()
    today = now.date()
    _check_start(week, today)
    change_id = uuid.uuid4()
    async with ctx.transaction() as session:
        # FOR UPDATE on the facility row: a booking takes it FOR SHARE first, so none is made
        # while this runs, and one waiting sees the new week (its row version changed).
        row = await _facility(ctx, session, principal, facility_id, lock=True)
        before = repo.facility_from_row(row)
        after = _after(before, week, today)
        rows = await _uses(session, facility_id, week.effective_from, lock=True)
        affected = no_longer_fit(after, [_booked(r) for r in rows], week.effective_from)
        if fingerprint(week, affected) != previewed:
            raise Conflict(
                "the bookings affected changed since the preview",
                message_ja=(
                    "確認したあとに予約が変わりました。影響を受ける予約をもう一度確認してから、"
                    "変更してください。"
                ),
            )
        await facility_store.update_facility(
            session, facility_id, schedules=[week_to_json(w) for w in after.schedules]
        )
        by_id = {r["id"]: r for r in rows}
        for a in sorted(affected, key=lambda a: a.booking_id):
            await cancel_locked(
                ctx,
                session,
                by_id[a.booking_id],
                reason=f"利用枠・開所時間の変更: {reason}",
                cancelled_by=canceller(principal),
                now=now,
                bulk_id=change_id,
                cause=CancellationCause.FACILITY,
                recorded_by=principal.subject,
            )
        await release_holds_from(session, facility_id, week.effective_from)  # 空き待ち
        await _set_places(session, after, week.effective_from)
        await facility_store.add_capacity_change(
            session,
            id=change_id,
            facility_id=facility_id,
            municipality=row["municipality"],
            effective_from=week.effective_from,
            week_before=_in_force_json(before, week.effective_from),
            week_after=week_to_json(week),
            reason=reason,
            cancelled=[
                {"booking_id": str(a.booking_id), "misfit": a.misfit.value} for a in affected
            ],
            changed_by=principal.subject,
        )
        await audit.record(
            session,
            principal,
            StaffAction.CAPACITY_CHANGED,
            municipality=row["municipality"],
            facility_id=facility_id,
            at=now,
            subject_id=change_id,
            detail={
                "effective_from": week.effective_from.isoformat(),
                "reason": reason,
                "bookings_cancelled": len(affected),
            },
        )
        cancelled = await booking_store.with_child_names(session, [a.booking_id for a in affected])
    return {
        "change_id": change_id,
        "effective_from": week.effective_from,
        "cancelled": _listed(cancelled, affected),
    }


def _in_force_json(facility: Facility, day: date) -> dict[str, Any]:
    """The week that was in force on ``day`` before the change (the facility's first week
    carries ``day`` as its date here)."""
    return week_to_json(
        facility.week_on(day)
        or WeeklySchedule(
            effective_from=day,
            opening_hours=facility.opening_hours,
            places_per_slot=facility.places_per_slot,
            places_by_weekday=facility.places_by_weekday,
        )
    )


async def _set_places(session: AsyncSession, facility: Facility, since: date) -> None:
    """The cells already in use from ``since`` on get the new week's places. The bookings that
    did not fit are cancelled by now, so ``taken ≤ places`` holds (the table's CHECK proves it)."""
    for use_date, cell_start in await facility_store.cells_in_use_from_for_update(
        session, facility.id, since
    ):
        await facility_store.set_cell_places(
            session,
            facility.id,
            use_date,
            cell_start,
            facility.places_at(use_date, cell_start.hour),
        )

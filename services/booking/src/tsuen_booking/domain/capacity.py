"""利用枠と開所時間の変更: a facility changes its week (hours, places) from a date on.

A reduction never silently drops a booking. Before anything changes, staff see exactly which
confirmed bookings would no longer fit under the new week; confirming cancels exactly those, as
the facility's cancellation (no hours consumed). Which bookings no longer fit:

1. a booking outside the new opening hours (or on a weekday the new week closes) — every one;
2. then, day by day, while some cell holds more bookings than its new places: of the bookings in
   any over-full cell, the one made **last** is cancelled (ties by id). Families who booked
   first keep their place — the order in which places were won anyway — and a booking that
   spans several over-full cells frees a place in each, so no more are cancelled than needed.

The preview's fingerprint names the new week and the affected set; the change is applied only if
both are still the same (a booking made or cancelled since may change who is affected).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from tsuen_booking.domain.facility import Facility, WeeklySchedule, cells

__all__ = [
    "Affected",
    "BookedUse",
    "Misfit",
    "fingerprint",
    "no_longer_fit",
    "week_to_json",
    "weeks_after",
]


@dataclass(frozen=True, slots=True)
class BookedUse:
    """A confirmed booking as the rule needs it: where it sits and when it was made."""

    id: uuid.UUID
    use_date: date
    start: time
    end: time
    cell_minutes: int
    made_at: datetime


class Misfit(StrEnum):
    OUTSIDE_HOURS = "outside_hours"
    """The new week does not open the facility for the whole booking."""
    OVER_PLACES = "over_places"
    """A cell of the booking has fewer places than bookings; this one was made last."""


@dataclass(frozen=True, slots=True)
class Affected:
    booking_id: uuid.UUID
    misfit: Misfit


def weeks_after(
    weeks: Sequence[WeeklySchedule], new: WeeklySchedule, today: date
) -> tuple[WeeklySchedule, ...]:
    """The facility's later weeks once ``new`` is added.

    ``new`` replaces every week from its date on (a plan not yet in force is replaced by the
    newer one); of the weeks already in force, only the one in force today is kept.
    """
    if new.effective_from <= today:
        raise ValueError("a new week starts tomorrow at the earliest")
    kept = [w for w in weeks if w.effective_from < new.effective_from]
    in_force = [w for w in kept if w.effective_from <= today]
    later = [w for w in kept if w.effective_from > today]
    return (*in_force[-1:], *later, new)


def no_longer_fit(after: Facility, uses: Iterable[BookedUse], since: date) -> list[Affected]:
    """The bookings from ``since`` on that the facility ``after`` the change cannot keep
    (the module's rule), in the order of their day and start."""
    affected: dict[uuid.UUID, Misfit] = {}
    by_day: dict[date, list[BookedUse]] = {}
    for use in uses:
        if use.use_date < since:
            continue
        hours = after.hours_on(use.use_date)
        if hours is None or not hours.contains(use.start, use.end):
            affected[use.id] = Misfit.OUTSIDE_HOURS
        else:
            by_day.setdefault(use.use_date, []).append(use)
    for day, kept in by_day.items():
        covers = {u.id: list(cells(day, u.start, u.end, u.cell_minutes)) for u in kept}
        while True:
            count: dict[time, int] = {}
            for use in kept:
                for cell in covers[use.id]:
                    count[cell] = count.get(cell, 0) + 1
            over = {c for c, n in count.items() if n > after.places_at(day, c.hour)}
            if not over:
                break
            latest = max(
                (u for u in kept if over.intersection(covers[u.id])),
                key=lambda u: (u.made_at, u.id),
            )
            affected[latest.id] = Misfit.OVER_PLACES
            kept.remove(latest)
    order = {u.id: (u.use_date, u.start, u.id) for day in by_day.values() for u in day}
    return sorted(
        (Affected(i, m) for i, m in affected.items()),
        key=lambda a: order.get(a.booking_id, (date.min, time.min, a.booking_id)),
    )


def _week_json(week: WeeklySchedule) -> dict[str, object]:
    return {
        "effective_from": week.effective_from.isoformat(),
        "opening_hours": {
            str(d): [h.open.strftime("%H:%M"), h.close.strftime("%H:%M")]
            for d, h in sorted(week.opening_hours.items())
        },
        "places_per_slot": week.places_per_slot,
        "places_by_weekday": {
            str(d): {str(h): p for h, p in sorted(hours.items())}
            for d, hours in sorted(week.places_by_weekday.items())
        },
    }


def fingerprint(week: WeeklySchedule, affected: Iterable[Affected]) -> str:
    """What the preview showed: the new week and the bookings it cancels (their ids)."""
    text = json.dumps(
        {"week": _week_json(week), "affected": sorted(str(a.booking_id) for a in affected)},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def week_to_json(week: WeeklySchedule) -> dict[str, object]:
    """The week as the facility row keeps it (``facilities.schedules``)."""
    data = _week_json(week)
    data["opening_hours"] = {
        str(d): {"open": h.open.strftime("%H:%M"), "close": h.close.strftime("%H:%M")}
        for d, h in sorted(week.opening_hours.items())
    }
    return data

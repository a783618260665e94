"""利用枠と開所時間の変更: a later week, and which bookings no longer fit under it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from tsuen_booking.domain.cancellation import cancellation_deadline
from tsuen_booking.domain.capacity import (
    Affected,
    BookedUse,
    Misfit,
    fingerprint,
    no_longer_fit,
    weeks_after,
)
from tsuen_booking.domain.facility import Facility, OpeningHours, WeeklySchedule
from tsuen_common.policy import load_policies
from tsuen_common.timeutil import JST

MONDAY = date(2026, 6, 1)
TUESDAY = date(2026, 6, 2)
NEXT_MONDAY = date(2026, 6, 8)
TODAY = date(2026, 5, 28)

FACILITY = Facility(
    id=uuid.UUID(int=7),
    municipality="131016",
    name="テスト保育園",
    opening_hours=dict.fromkeys(range(5), OpeningHours(time(8, 30), time(17))),
    places_per_slot=3,
)


def week(
    since: date = MONDAY,
    places: int = 1,
    hours: OpeningHours = OpeningHours(time(8, 30), time(17)),
    weekdays: range = range(5),
    by_weekday: dict[int, dict[int, int]] | None = None,
) -> WeeklySchedule:
    return WeeklySchedule(since, dict.fromkeys(weekdays, hours), places, by_weekday or {})


def after(new: WeeklySchedule) -> Facility:
    return replace(FACILITY, schedules=weeks_after(FACILITY.schedules, new, TODAY))


def use(n: int, day: date, start: int, end: int, made_minute: int) -> BookedUse:
    return BookedUse(
        id=uuid.UUID(int=n),
        use_date=day,
        start=time(start),
        end=time(end),
        cell_minutes=60,
        made_at=datetime(2026, 5, 20, 9, made_minute, tzinfo=JST),
    )


def test_a_later_week_changes_hours_and_places_only_from_its_date():
    facility = after(week(places=1, hours=OpeningHours(time(9), time(12))))
    assert facility.hours_on(date(2026, 5, 29)) == OpeningHours(time(8, 30), time(17))
    assert facility.places_at(date(2026, 5, 29), 10) == 3
    assert facility.hours_on(MONDAY) == OpeningHours(time(9), time(12))
    assert facility.places_at(MONDAY, 10) == 1


def test_a_weekday_the_new_week_closes_is_closed_from_its_date_and_deadlines_skip_it():
    facility = after(week(weekdays=range(1, 5)))  # no Mondays from 2026-06-01
    assert facility.is_open_on(date(2026, 5, 25))  # a Monday before
    assert not facility.is_open_on(MONDAY)
    assert facility.hours_on(MONDAY) is None
    # Chiyoda: 17:00 on the previous open day; Monday 2026-06-08 is closed, so a Tuesday use's
    # deadline is the Friday before.
    rule = load_policies().get("131016").cancellation
    deadline = cancellation_deadline(rule, facility, date(2026, 6, 9))
    assert deadline == datetime(2026, 6, 5, 17, tzinfo=JST)


def test_weeks_after_replaces_later_weeks_from_the_new_date_and_keeps_the_one_in_force():
    in_force = week(since=date(2026, 5, 1), places=2)
    planned = week(since=date(2026, 7, 1), places=5)
    new = week(since=date(2026, 6, 15), places=4)
    assert weeks_after((in_force, planned), new, TODAY) == (in_force, new)
    older = week(since=date(2026, 4, 1), places=9)
    assert weeks_after((older, in_force), new, TODAY) == (in_force, new)


def test_a_new_week_cannot_start_today_or_earlier():
    with pytest.raises(ValueError, match="tomorrow"):
        weeks_after((), week(since=TODAY), TODAY)


def test_fewer_places_cancel_the_bookings_made_last_in_the_full_cell():
    uses = [use(1, MONDAY, 9, 11, 0), use(2, MONDAY, 10, 11, 5), use(3, MONDAY, 10, 12, 3)]
    affected = no_longer_fit(after(week(places=1)), uses, MONDAY)
    # 10:00–11:00 has three bookings and one place: the two made last (5 and 3 minutes past)
    # go; the first-made booking stays.
    assert affected == [
        Affected(uuid.UUID(int=2), Misfit.OVER_PLACES),
        Affected(uuid.UUID(int=3), Misfit.OVER_PLACES),
    ]


def test_one_cancellation_frees_every_cell_it_held():
    # Two cells each over by one; the latest-made booking sits in both: only it goes.
    uses = [use(1, MONDAY, 9, 10, 0), use(2, MONDAY, 11, 12, 1), use(3, MONDAY, 9, 12, 9)]
    affected = no_longer_fit(after(week(places=1)), uses, MONDAY)
    assert affected == [Affected(uuid.UUID(int=3), Misfit.OVER_PLACES)]


def test_bookings_outside_the_new_hours_are_all_affected_and_do_not_count_for_places():
    uses = [use(1, MONDAY, 15, 17, 0), use(2, MONDAY, 9, 10, 1), use(3, MONDAY, 9, 10, 2)]
    new = week(places=2, hours=OpeningHours(time(9), time(15)))
    affected = no_longer_fit(after(new), uses, MONDAY)
    assert affected == [Affected(uuid.UUID(int=1), Misfit.OUTSIDE_HOURS)]


def test_a_closed_weekday_affects_its_bookings_and_other_days_keep_theirs():
    uses = [use(1, MONDAY, 9, 10, 0), use(2, TUESDAY, 9, 10, 1), use(3, NEXT_MONDAY, 9, 10, 2)]
    affected = no_longer_fit(after(week(places=3, weekdays=range(1, 5))), uses, MONDAY)
    assert [a.booking_id for a in affected] == [uuid.UUID(int=1), uuid.UUID(int=3)]
    assert {a.misfit for a in affected} == {Misfit.OUTSIDE_HOURS}


def test_days_before_the_new_week_are_never_affected():
    uses = [use(1, date(2026, 5, 29), 9, 10, 0), use(2, date(2026, 5, 29), 9, 10, 1)]
    assert no_longer_fit(after(week(places=0)), uses, MONDAY) == []


def test_places_per_weekday_and_hour_are_what_the_cells_are_judged_by():
    uses = [use(1, TUESDAY, 9, 10, 0), use(2, TUESDAY, 9, 10, 1), use(3, MONDAY, 9, 10, 1)]
    new = week(places=0, by_weekday={1: {9: 1}, 0: {9: 1}})
    affected = no_longer_fit(after(new), uses, MONDAY)
    assert affected == [Affected(uuid.UUID(int=2), Misfit.OVER_PLACES)]


def test_no_reduction_affects_nobody():
    uses = [use(n, MONDAY, 9, 12, n) for n in range(1, 4)]
    assert no_longer_fit(after(week(places=3)), uses, MONDAY) == []


def test_the_fingerprint_changes_with_the_affected_set_and_with_the_week():
    one = [Affected(uuid.UUID(int=1), Misfit.OVER_PLACES)]
    two = [*one, Affected(uuid.UUID(int=2), Misfit.OVER_PLACES)]
    assert fingerprint(week(), one) == fingerprint(week(), list(one))
    assert fingerprint(week(), one) != fingerprint(week(), two)
    assert fingerprint(week(), one) != fingerprint(week(places=2), one)
    assert fingerprint(week(), two) == fingerprint(week(), list(reversed(two)))

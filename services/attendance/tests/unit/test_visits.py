"""Check-in and check-out rules, and every lateness boundary (Chiyoda: 10 minutes or more late
is one more hour; 9 is not)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from tsuen_attendance.domain.visits import (
    BookingNotActive,
    CheckInTooEarly,
    CheckInTooLate,
    NotCheckedIn,
    NotToday,
    Visit,
    VisitStatus,
    late_minutes,
)
from tsuen_common.policy import AttendancePolicy, load_policies
from tsuen_common.timeutil import JST

POLICIES = load_policies()
CHIYODA = POLICIES.get("131016").attendance
KAKEGAWA = POLICIES.get("222135").attendance
DAY = date(2026, 11, 24)


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=JST)


def visit(start: datetime, end: datetime, **kw: object) -> Visit:
    return Visit(
        booking_id=uuid.uuid4(),
        municipality="131016",
        facility_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        use_date=start.astimezone(JST).date(),
        starts_at=start,
        ends_at=end,
        **kw,  # type: ignore[arg-type]
    )


def checked_in(v: Visit, when: datetime | None = None) -> Visit:
    return replace(v, checked_in_at=when or v.starts_at)


# --- lateness ----------------------------------------------------------------------------------


def test_nine_minutes_after_the_end_is_not_late() -> None:
    v = checked_in(visit(at(9), at(12)))
    out, changed = v.check_out(at(12, 9), CHIYODA)
    assert changed
    assert (out.late_minutes, out.penalty_minutes) == (9, 0)


def test_nine_minutes_fifty_nine_seconds_is_still_not_late() -> None:
    out, _ = checked_in(visit(at(9), at(12))).check_out(at(12, 9, 59), CHIYODA)
    assert (out.late_minutes, out.penalty_minutes) == (9, 0)


def test_ten_minutes_after_the_end_adds_one_hour() -> None:
    out, _ = checked_in(visit(at(9), at(12))).check_out(at(12, 10), CHIYODA)
    assert (out.late_minutes, out.penalty_minutes) == (10, 60)


def test_much_later_still_adds_the_penalty_once() -> None:
    out, _ = checked_in(visit(at(9), at(12))).check_out(at(14, 30), CHIYODA)
    assert (out.late_minutes, out.penalty_minutes) == (150, 60)


def test_a_pickup_across_midnight_counts_the_minutes_across_the_day_change() -> None:
    v = checked_in(visit(at(20), at(23, 55)))
    on_time, _ = v.check_out(at(0, 4, day=DAY + timedelta(days=1)), CHIYODA)
    late, _ = v.check_out(at(0, 5, day=DAY + timedelta(days=1)), CHIYODA)
    assert (on_time.late_minutes, on_time.penalty_minutes) == (9, 0)
    assert (late.late_minutes, late.penalty_minutes) == (10, 60)


def test_a_booking_spanning_the_unit_boundary_is_judged_from_its_own_end() -> None:
    # 09:00–10:30 crosses the 10:00 hour (Kakegawa counts whole hours, Chiyoda 30 minutes):
    # lateness is measured from the booked end, never from a rounded unit boundary.
    v = checked_in(visit(at(9), at(10, 30)))
    for policy in (CHIYODA, KAKEGAWA):
        assert v.check_out(at(10, 39), policy)[0].penalty_minutes == 0
        assert v.check_out(at(10, 40), policy)[0].penalty_minutes == 60
        # The rounded hour (11:00) is not the reference either.
        assert v.check_out(at(11, 0), policy)[0].late_minutes == 30


def test_the_grace_and_penalty_are_the_municipalitys_policy() -> None:
    strict = AttendancePolicy(late_pickup_grace_minutes=5, late_pickup_penalty_minutes=30)
    out, _ = checked_in(visit(at(9), at(12))).check_out(at(12, 5), strict)
    assert out.penalty_minutes == 30
    free = AttendancePolicy(late_pickup_penalty_minutes=0)
    assert checked_in(visit(at(9), at(12))).check_out(at(13), free)[0].penalty_minutes == 0


def test_leaving_early_refunds_nothing_and_is_not_late() -> None:
    out, _ = checked_in(visit(at(9), at(12))).check_out(at(10), CHIYODA)
    assert (out.late_minutes, out.penalty_minutes) == (0, 0)
    assert out.ends_at == at(12)  # the booked time stays what booking consumes


def test_late_minutes_are_whole_minutes_and_never_negative() -> None:
    assert late_minutes(at(12), at(11)) == 0
    assert late_minutes(at(12), at(12, 0, 59)) == 0
    assert late_minutes(at(12), at(12, 1)) == 1


# --- check-in ----------------------------------------------------------------------------------


def test_check_in_opens_early_by_policy() -> None:
    v = visit(at(9), at(12))
    with pytest.raises(CheckInTooEarly, match="08:45"):
        v.check_in(at(8, 44, 59), CHIYODA)
    done, changed = v.check_in(at(8, 45), CHIYODA)
    assert changed
    assert done.checked_in_at == at(8, 45)


def test_arriving_late_is_allowed_until_the_booked_end() -> None:
    v = visit(at(9), at(12))
    assert v.check_in(at(11, 59), CHIYODA)[0].checked_in_at == at(11, 59)
    with pytest.raises(CheckInTooLate):
        v.check_in(at(12), CHIYODA)


def test_check_in_only_on_the_use_date() -> None:
    v = visit(at(9), at(12))
    with pytest.raises(NotToday):
        v.check_in(at(9, day=DAY - timedelta(days=1)), CHIYODA)


def test_a_cancelled_booking_cannot_be_checked_into() -> None:
    with pytest.raises(BookingNotActive):
        visit(at(9), at(12), cancelled=True).check_in(at(9), CHIYODA)


def test_a_second_check_in_changes_nothing() -> None:
    first, _ = visit(at(9), at(12)).check_in(at(9, 1), CHIYODA)
    again, changed = first.check_in(at(9, 20), CHIYODA)
    assert not changed
    assert again == first


def test_a_second_check_out_changes_nothing() -> None:
    first, _ = checked_in(visit(at(9), at(12))).check_out(at(12, 15), CHIYODA)
    again, changed = first.check_out(at(12, 40), CHIYODA)
    assert not changed
    assert again == first


def test_check_out_needs_a_check_in() -> None:
    with pytest.raises(NotCheckedIn):
        visit(at(9), at(12)).check_out(at(12), CHIYODA)


# --- status and no-shows -----------------------------------------------------------------------


def test_status_follows_the_day() -> None:
    v = visit(at(9), at(12))
    assert v.status(at(8)) is VisitStatus.EXPECTED
    inside = checked_in(v)
    assert inside.status(at(10)) is VisitStatus.IN_USE
    assert inside.check_out(at(12), CHIYODA)[0].status(at(13)) is VisitStatus.LEFT
    assert v.status(at(12)) is VisitStatus.NO_SHOW


def test_no_show_is_due_at_the_booked_end_without_check_in() -> None:
    v = visit(at(9), at(12))
    assert not v.is_no_show(at(11, 59))
    assert v.is_no_show(at(12))
    assert not checked_in(v).is_no_show(at(13))
    assert not replace(v, cancelled=True).is_no_show(at(13))
    assert not replace(v, no_show_at=at(12)).is_no_show(at(13))


def test_a_running_late_pickup_shows_on_the_roster() -> None:
    inside = checked_in(visit(at(9), at(12)))
    assert not inside.is_late_pickup(at(12, 9), CHIYODA)
    assert inside.is_late_pickup(at(12, 10), CHIYODA)

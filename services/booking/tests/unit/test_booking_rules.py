"""What a requested use must satisfy: unit, opening hours, open day, certification and age."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from tsuen_booking.domain.booking import BookingPlan, overlapping_booking, plan_booking
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.errors import InvalidRequest
from tsuen_booking.domain.facility import Facility, OpeningHours, cell_minutes, grid_cells
from tsuen_common.events.booking import BookingKind
from tsuen_common.policy import QuotaPolicy, load_policies
from tsuen_common.timeutil import JST

POLICIES = load_policies()
CHIYODA = POLICIES.get("131016").quota  # 60 minimum, then 30-minute steps
KAKEGAWA = POLICIES.get("222135").quota  # whole hours
NOW = datetime(2026, 4, 1, 9, 0, tzinfo=JST)
THURSDAY = date(2026, 5, 7)

FACILITY = Facility(
    id=uuid.UUID(int=7),
    municipality="131016",
    name="テスト保育園",
    opening_hours=dict.fromkeys(range(5), OpeningHours(time(8, 30), time(17))),
    places_per_slot=3,
    places_by_weekday={3: {9: 1}},
    place_overrides={THURSDAY: {10: 0}},
)
CHILD = CertifiedChild(
    child_id=uuid.UUID(int=1),
    municipality="131016",
    guardian_id=uuid.UUID(int=2),
    guardian_email="parent@example.jp",
    valid_from=date(2026, 4, 1),
    valid_until=date(2027, 3, 31),
    birth_date=date(2025, 1, 15),
)


def plan(
    start: time,
    end: time,
    *,
    quota: QuotaPolicy = CHIYODA,
    child: CertifiedChild = CHILD,
    day: date = THURSDAY,
    kind: BookingKind = BookingKind.FLEXIBLE,
) -> BookingPlan:
    return plan_booking(
        facility=FACILITY, quota=quota, child=child, use_date=day, start=start, end=end,
        now=NOW, kind=kind,
    )  # fmt: skip


def test_a_valid_booking_holds_its_length_and_covers_its_cells() -> None:
    p = plan(time(10), time(11, 30))
    assert p.minutes == 90
    assert p.cells == (time(10), time(10, 30), time(11))
    assert p.starts_at == datetime(2026, 5, 7, 10, tzinfo=JST)


def test_whole_hour_municipalities_refuse_half_hours() -> None:
    assert plan(time(10), time(12), quota=KAKEGAWA).cells == (time(10), time(11))
    with pytest.raises(InvalidRequest, match="steps of 60 minutes"):
        plan(time(10), time(11, 30), quota=KAKEGAWA)
    with pytest.raises(InvalidRequest, match="steps of 30 minutes"):
        plan(time(10, 15), time(11, 15))


def test_a_booking_is_at_least_the_minimum() -> None:
    with pytest.raises(InvalidRequest, match="at least 60 minutes"):
        plan(time(10), time(10, 30))


def test_end_before_start_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="must be after start"):
        plan(time(11), time(10))


def test_a_closed_day_is_named() -> None:
    with pytest.raises(InvalidRequest, match=r"^facility closed on 2026-05-05$"):
        plan(time(10), time(11), day=date(2026, 5, 5))  # こどもの日
    with pytest.raises(InvalidRequest, match=r"^facility closed on 2026-05-09$"):
        plan(time(10), time(11), day=date(2026, 5, 9))  # Saturday


def test_outside_opening_hours_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="open 08:30–17:00"):
        plan(time(16), time(17, 30))


def test_the_past_cannot_be_booked() -> None:
    with pytest.raises(InvalidRequest, match="already begun"):
        plan(time(10), time(11), day=date(2026, 3, 31))


def test_the_age_is_checked_on_the_use_date() -> None:
    baby = replace(CHILD, birth_date=date(2025, 11, 10))
    # born 2025-11-10 → reaches 6 months on 2026-05-09
    with pytest.raises(InvalidRequest, match=r"^child is not yet 6 months old on 2026-05-07"):
        plan(time(10), time(11), child=baby)
    assert plan(time(10), time(11), child=baby, day=date(2026, 5, 11)).minutes == 60


def test_the_last_usable_day_is_two_days_before_the_third_birthday() -> None:
    child = replace(CHILD, birth_date=date(2023, 6, 12))
    # born 2023-06-12 → reaches 3 on 2026-06-11 → last usable day 2026-06-10
    assert plan(time(10), time(11), child=child, day=date(2026, 6, 10)).minutes == 60
    with pytest.raises(InvalidRequest, match="3 years old on 2026-06-11"):
        plan(time(10), time(11), child=child, day=date(2026, 6, 11))


def test_the_certification_window_and_revocation_are_checked() -> None:
    revoked = replace(CHILD, revoked_from=date(2026, 5, 1))
    with pytest.raises(InvalidRequest, match="certification ended on 2026-05-01"):
        plan(time(10), time(11), child=revoked)
    late = replace(CHILD, valid_from=date(2026, 6, 1))
    with pytest.raises(InvalidRequest, match="certification starts on 2026-06-01"):
        plan(time(10), time(11), child=late)


def test_an_interview_is_not_a_use_booking() -> None:
    with pytest.raises(InvalidRequest, match="interview"):
        plan(time(10), time(11), kind=BookingKind.INTERVIEW)


def test_places_come_from_date_overrides_then_weekday_then_default() -> None:
    assert FACILITY.places_at(THURSDAY, 10) == 0
    assert FACILITY.places_at(THURSDAY, 9) == 1
    assert FACILITY.places_at(THURSDAY, 11) == 3
    assert FACILITY.places_at(date(2026, 5, 8), 10) == 3


@pytest.mark.parametrize(("unit", "cell"), [(60, 60), (30, 30), (45, 15), (90, 30)])
def test_grid_cells_never_straddle_an_hour(unit: int, cell: int) -> None:
    assert cell_minutes(unit) == cell


def test_a_facility_needs_an_open_weekday_and_ordered_hours() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        Facility(id=uuid.UUID(int=1), municipality="131016", name="x", opening_hours={},
                 places_per_slot=1)  # fmt: skip
    with pytest.raises(ValueError, match="before closing"):
        OpeningHours(time(17), time(9))


def test_a_facility_builds_its_calendar_once() -> None:
    assert FACILITY.calendar is FACILITY.calendar
    # A changed facility is a new object with its own calendar.
    closed = replace(FACILITY, closed_days=frozenset({date(2026, 5, 8)}))
    assert FACILITY.is_open_on(date(2026, 5, 8))
    assert not closed.is_open_on(date(2026, 5, 8))
    assert not FACILITY.is_open_on(date(2026, 5, 9))  # a Saturday


def test_grid_cells_start_on_the_step_and_end_by_closing() -> None:
    day = date(2027, 6, 9)
    hourly = grid_cells(day, time(8, 30), time(12, 15), 60)
    assert hourly == [time(9), time(10), time(11)]
    half = grid_cells(day, time(8, 30), time(10, 15), 30)
    assert half == [time(8, 30), time(9), time(9, 30)]
    assert grid_cells(day, time(9), time(9, 30), 60) == []


def test_chiyoda_fy2025_books_only_at_the_decided_facility() -> None:
    # Issue 17, item 4: "令和7年度については、利用できる施設は申し込み後、決定した1施設のみ".
    decided, other = uuid.uuid4(), uuid.uuid4()
    child = CertifiedChild(
        child_id=uuid.uuid4(),
        municipality="131016",
        guardian_id=uuid.uuid4(),
        guardian_email="a@example.jp",
        valid_from=date(2025, 4, 1),
        valid_until=date(2027, 3, 31),
        decided_facility_id=decided,
    )
    through = date(2026, 3, 31)
    child.check_decided_facility(decided, date(2026, 3, 31), through)
    with pytest.raises(InvalidRequest, match="only the facility decided"):
        child.check_decided_facility(other, date(2026, 3, 31), through)
    child.check_decided_facility(other, date(2026, 4, 1), through)  # FY2026: anywhere
    child.check_decided_facility(other, date(2026, 3, 1), None)  # no such policy


def test_an_overlap_is_refused_naming_the_hours_asked_for_not_as_if_they_were_booked() -> None:
    refusal = overlapping_booking(date(2026, 12, 9), time(11), time(12))
    assert refusal.code == "conflict"
    assert refusal.message_ja.startswith("ご希望の2026年12月9日 11:00–12:00には、")
    assert "ほかの予約が重なっています" in refusal.message_ja

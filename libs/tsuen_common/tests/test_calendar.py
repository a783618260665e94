"""The open-day calendar, against the real 2026/2027 national holidays."""

from __future__ import annotations

from datetime import date

import pytest

from tsuen_common.calendar import DEFAULT_YEAR_END_CLOSURE, WEEKEND, BusinessCalendar

CALENDAR = BusinessCalendar()


def test_defaults_are_weekends_and_year_end_closure() -> None:
    assert CALENDAR.closed_weekdays == WEEKEND == frozenset({5, 6})
    assert frozenset({(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}) == (
        DEFAULT_YEAR_END_CLOSURE
    )


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 4, 29),  # 昭和の日
        date(2026, 5, 4),  # みどりの日
        date(2026, 5, 5),  # こどもの日
        date(2026, 5, 6),  # 振替休日 (憲法記念日 was a Sunday)
        date(2026, 9, 21),  # 敬老の日
        date(2026, 9, 22),  # 国民の休日, between two holidays
        date(2026, 9, 23),  # 秋分の日
        date(2027, 1, 1),  # 元日
        date(2027, 1, 11),  # 成人の日
        date(2027, 3, 22),  # 振替休日 (春分の日 was a Sunday)
    ],
)
def test_national_holidays_are_closed(holiday: date) -> None:
    assert holiday.weekday() not in WEEKEND
    assert not CALENDAR.is_open_day(holiday)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 3),
    ],
)
def test_year_end_closure(day: date) -> None:
    assert not CALENDAR.is_open_day(day)


def test_ordinary_weekdays_are_open_and_weekends_closed() -> None:
    assert CALENDAR.is_open_day(date(2026, 6, 15))  # Monday
    assert CALENDAR.is_open_day(date(2026, 12, 28))  # Monday before the closure
    assert CALENDAR.is_open_day(date(2027, 1, 4))  # Monday after it
    assert not CALENDAR.is_open_day(date(2026, 6, 13))  # Saturday
    assert not CALENDAR.is_open_day(date(2026, 6, 14))  # Sunday


def test_previous_open_day_of_a_monday_is_the_friday() -> None:
    assert CALENDAR.previous_open_day(date(2026, 6, 15)) == date(2026, 6, 12)


def test_previous_open_day_is_strictly_before() -> None:
    assert CALENDAR.previous_open_day(date(2026, 6, 17)) == date(2026, 6, 16)


def test_previous_open_day_skips_golden_week_2026() -> None:
    # Thursday 5/7 ← Wed 5/6 振替休日, Tue 5/5, Mon 5/4, Sun 5/3, Sat 5/2 → Friday 5/1.
    assert CALENDAR.previous_open_day(date(2026, 5, 7)) == date(2026, 5, 1)


def test_previous_open_day_skips_silver_week_2026() -> None:
    # Thursday 9/24 ← 9/23 秋分の日, 9/22 国民の休日, 9/21 敬老の日, weekend → Friday 9/18.
    assert CALENDAR.previous_open_day(date(2026, 9, 24)) == date(2026, 9, 18)


def test_previous_open_day_skips_year_end_and_new_year() -> None:
    assert CALENDAR.previous_open_day(date(2027, 1, 4)) == date(2026, 12, 28)
    assert CALENDAR.next_open_day(date(2026, 12, 28)) == date(2027, 1, 4)


def test_next_open_day_skips_coming_of_age_day_2027() -> None:
    # Friday 1/8 → weekend, Monday 1/11 成人の日 → Tuesday 1/12.
    assert CALENDAR.next_open_day(date(2027, 1, 8)) == date(2027, 1, 12)


def test_business_days_before() -> None:
    tuesday = date(2026, 6, 16)
    assert CALENDAR.business_days_before(tuesday, 1) == date(2026, 6, 15)
    assert CALENDAR.business_days_before(tuesday, 2) == date(2026, 6, 12)
    assert CALENDAR.business_days_before(date(2026, 9, 24), 2) == date(2026, 9, 17)


@pytest.mark.parametrize("n", [0, -1])
def test_business_days_before_needs_at_least_one(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CALENDAR.business_days_before(date(2026, 6, 16), n)


def test_facility_closed_day() -> None:
    sports_day_event = date(2026, 6, 12)  # a Friday the facility closes
    calendar = BusinessCalendar(extra_closed_days=frozenset({sports_day_event}))
    assert not calendar.is_open_day(sports_day_event)
    assert calendar.previous_open_day(date(2026, 6, 15)) == date(2026, 6, 11)


def test_facility_open_day_overrides_weekend_and_holiday() -> None:
    saturday, holiday = date(2026, 6, 13), date(2026, 7, 20)  # 海の日
    calendar = BusinessCalendar(extra_open_days=frozenset({saturday, holiday}))
    assert calendar.is_open_day(saturday)
    assert calendar.is_open_day(holiday)
    assert calendar.previous_open_day(date(2026, 6, 15)) == saturday


def test_facility_open_on_saturdays() -> None:
    calendar = BusinessCalendar(closed_weekdays=frozenset({6}))
    assert calendar.previous_open_day(date(2026, 6, 15)) == date(2026, 6, 13)


def test_no_year_end_closure() -> None:
    calendar = BusinessCalendar(year_end_closure=frozenset())
    assert calendar.is_open_day(date(2026, 12, 29))
    assert not calendar.is_open_day(date(2027, 1, 1))  # still 元日


def test_calendar_is_frozen_and_hashable() -> None:
    with pytest.raises(AttributeError):
        CALENDAR.closed_weekdays = frozenset()  # type: ignore[misc]
    assert hash(BusinessCalendar()) == hash(CALENDAR)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"closed_weekdays": frozenset({7})}, "closed_weekdays"),
        ({"closed_weekdays": frozenset(range(7))}, "no open days"),
        ({"year_end_closure": frozenset({(2, 30)})}, "no such day"),
        (
            {
                "extra_closed_days": frozenset({date(2026, 6, 12)}),
                "extra_open_days": frozenset({date(2026, 6, 12)}),
            },
            "both",
        ),
    ],
)
def test_invalid_calendars_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]

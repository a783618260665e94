"""Age rules: 民法143条 and 年齢計算ニ関スル法律 applied to 0歳6か月 ≤ age < 満3歳."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen_common.age import (
    AgeWindow,
    InvalidBirthDate,
    age_window,
    first_usable_day,
    is_eligible_by_age,
    last_usable_day,
    months_old,
    reaches_age,
    validate_birth_date,
)

ONE_DAY = timedelta(days=1)


def test_kakegawa_example_born_2024_04_10_usable_until_2027_04_08() -> None:
    # "令和6年4月10日生まれの場合、令和9年4月8日まで利用できます"
    assert last_usable_day(date(2024, 4, 10)) == date(2027, 4, 8)


def test_ordinary_birth_reaches_six_months_the_day_before_the_corresponding_day() -> None:
    assert first_usable_day(date(2024, 4, 10)) == date(2024, 10, 9)


@pytest.mark.parametrize(
    ("birth", "years", "months", "reached"),
    [
        (date(2024, 4, 10), 3, 0, date(2027, 4, 9)),
        (date(2024, 4, 1), 1, 0, date(2025, 3, 31)),  # born on the 1st: the previous month's end
        (date(2024, 1, 1), 0, 6, date(2024, 6, 30)),
        (date(2024, 8, 31), 0, 6, date(2025, 2, 28)),  # no "Feb 31": end of February (ただし書)
        (date(2023, 8, 31), 0, 6, date(2024, 2, 29)),  # ... which is the 29th in a leap year
        (date(2024, 2, 29), 3, 0, date(2027, 2, 28)),  # no 2027-02-29
        (date(2024, 2, 29), 4, 0, date(2028, 2, 28)),  # 2028-02-29 exists: the day before it
        (date(2023, 1, 29), 0, 1, date(2023, 2, 28)),  # no 2023-02-29
        (date(2024, 1, 28), 0, 1, date(2024, 2, 27)),
        (date(2024, 7, 15), 0, 18, date(2026, 1, 14)),  # months beyond a year carry into years
        (date(2024, 7, 15), 1, 6, date(2026, 1, 14)),
    ],
)
def test_reaches_age(birth: date, years: int, months: int, reached: date) -> None:
    assert reaches_age(birth, years=years, months=months) == reached


@pytest.mark.parametrize(("years", "months"), [(0, 0), (-1, 0), (0, -6)])
def test_reaches_age_rejects_empty_or_negative_ages(years: int, months: int) -> None:
    with pytest.raises(ValueError, match="age"):
        reaches_age(date(2024, 4, 10), years=years, months=months)


@pytest.mark.parametrize(
    ("birth", "first", "last"),
    [
        # Six months later the corresponding day is missing → last day of that month.
        (date(2024, 8, 31), date(2025, 2, 28), date(2027, 8, 29)),
        (date(2024, 3, 31), date(2024, 9, 30), date(2027, 3, 29)),
        (date(2024, 5, 31), date(2024, 11, 30), date(2027, 5, 29)),
        (date(2024, 12, 31), date(2025, 6, 30), date(2027, 12, 29)),
        # Six months later the corresponding day exists → the day before it.
        (date(2024, 1, 31), date(2024, 7, 30), date(2027, 1, 29)),
    ],
)
def test_month_end_births(birth: date, first: date, last: date) -> None:
    assert first_usable_day(birth) == first
    assert last_usable_day(birth) == last


def test_leap_day_birth() -> None:
    birth = date(2024, 2, 29)
    assert first_usable_day(birth) == date(2024, 8, 28)  # 2024-08-29 exists
    # Reaches 3 on 2027-02-28 (no 2027-02-29), so the last usable day is 2027-02-27.
    assert last_usable_day(birth) == date(2027, 2, 27)


@pytest.mark.parametrize(
    "birth",
    [
        date(2024, 4, 10),
        date(2024, 8, 31),
        date(2024, 1, 31),
        date(2024, 3, 31),
        date(2024, 5, 31),
        date(2024, 12, 31),
        date(2024, 2, 29),
    ],
)
def test_is_eligible_by_age_at_both_boundaries(birth: date) -> None:
    first, last = first_usable_day(birth), last_usable_day(birth)
    assert not is_eligible_by_age(birth, first - ONE_DAY)
    assert is_eligible_by_age(birth, first)
    assert is_eligible_by_age(birth, last)
    assert not is_eligible_by_age(birth, last + ONE_DAY)


def test_is_eligible_by_age_concrete_days() -> None:
    birth = date(2024, 4, 10)
    assert not is_eligible_by_age(birth, date(2024, 10, 8))
    assert is_eligible_by_age(birth, date(2024, 10, 9))
    assert is_eligible_by_age(birth, date(2027, 4, 8))
    assert not is_eligible_by_age(birth, date(2027, 4, 9))  # the day the child reaches 3


def test_age_window() -> None:
    window = age_window(date(2024, 4, 10))
    assert window == AgeWindow(first_usable_day=date(2024, 10, 9), last_usable_day=date(2027, 4, 8))
    assert window.contains(date(2025, 1, 1))
    assert not window.contains(date(2024, 4, 10))


def test_age_window_is_frozen() -> None:
    window = age_window(date(2024, 4, 10))
    with pytest.raises(AttributeError):
        window.first_usable_day = date(2024, 1, 1)  # type: ignore[misc]


def test_validate_birth_date_accepts_today_and_the_past() -> None:
    today = date(2026, 4, 1)
    assert validate_birth_date(today, today) == today
    assert validate_birth_date(date(2024, 4, 10), today) == date(2024, 4, 10)


def test_birth_date_in_the_future_is_rejected() -> None:
    with pytest.raises(InvalidBirthDate, match="2026-04-02"):
        validate_birth_date(date(2026, 4, 2), date(2026, 4, 1))
    with pytest.raises(InvalidBirthDate):
        age_window(date(2026, 4, 2), today=date(2026, 4, 1))
    assert issubclass(InvalidBirthDate, ValueError)


# --- 月齢 on the roster -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (date(2025, 4, 10), date(2025, 4, 10), 0),
        (date(2025, 4, 10), date(2025, 10, 9), 5),  # the day before the 応当日
        (date(2025, 4, 10), date(2025, 10, 10), 6),  # on the 応当日
        (date(2025, 1, 31), date(2025, 2, 28), 1),  # no 2/31: counts on the month's last day
        (date(2024, 1, 31), date(2024, 2, 28), 0),  # 2024 is a leap year: 2/29 is the last day
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
        (date(2023, 12, 15), date(2026, 12, 5), 35),
    ],
)
def test_months_old_counts_whole_months_from_the_corresponding_day(
    birth: date, on: date, months: int
) -> None:
    assert months_old(birth, on) == months


def test_months_old_refuses_a_day_before_birth() -> None:
    with pytest.raises(InvalidBirthDate):
        months_old(date(2025, 4, 10), date(2025, 4, 9))


@given(birth=st.dates(date(2020, 1, 1), date(2026, 12, 31)), days=st.integers(0, 1500))
def test_months_old_never_falls_as_days_pass(birth: date, days: int) -> None:
    on = birth + timedelta(days=days)
    assert months_old(birth, on) <= months_old(birth, on + timedelta(days=1))
    assert months_old(birth, on) <= days // 28

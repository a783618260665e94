"""Age rules of こども誰でも通園制度: who is old enough, and until when.

The scheme serves children from 0歳6か月 up to, but not including, 満3歳 **on the use date**
(Chiyoda: "0歳6ヶ月から満3歳未満"; Kakegawa: "利用日時点で、0歳6か月から満3歳未満").

Japanese law counts age as a period that starts on the birth date itself
(年齢計算ニ関スル法律 1項: 出生ノ日ヨリ之ヲ起算ス) and ends under 民法143条:

* 2項 本文 — the period ends on the day **before** the day that corresponds to the birth date
  (応当日) in the last month. A child born 2024-04-10 reaches 3 on 2027-04-09.
* 2項 ただし書 — when the last month has no corresponding day (born 08-31, six months later
  "02-31"), the period ends on the **last day of that month**: 2025-02-28, not a day earlier.

The same ただし書 covers leap-day births: born 2024-02-29, there is no 2027-02-29, so the child
reaches 3 on 2027-02-28.

Because the scheme requires 満3歳未満, the last usable day is the day before the child reaches 3,
which Chiyoda words as "満3歳(誕生日の前々日)" and Kakegawa illustrates with
"令和6年4月10日生まれの場合、令和9年4月8日まで利用できます".

Everything here is pure: "today" is always a parameter, never read from a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "AgeWindow",
    "InvalidBirthDate",
    "age_window",
    "first_usable_day",
    "is_eligible_by_age",
    "last_usable_day",
    "reaches_age",
    "validate_birth_date",
]

FIRST_USABLE_AGE_MONTHS = 6
"""The scheme starts at 0歳6か月."""

AGE_LIMIT_YEARS = 3
"""The scheme ends before 満3歳."""

_ONE_DAY = timedelta(days=1)


class InvalidBirthDate(ValueError):
    """A birth date that cannot belong to a child (for example, one after today)."""


def _last_day_of_month(year: int, month: int) -> int:
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (first_of_next - _ONE_DAY).day


def reaches_age(birth: date, years: int = 0, months: int = 0) -> date:
    """The day on which a child born on ``birth`` reaches ``years`` years and ``months`` months.

    民法143条2項: the day before the corresponding day (応当日); when the target month has no
    corresponding day, the last day of that month (ただし書). Born 2024-04-10 reaches 6 months on
    2024-10-09; born 2024-08-31 reaches 6 months on 2025-02-28.
    """
    if years < 0 or months < 0:
        raise ValueError(f"an age cannot be negative: {years} years {months} months")
    total_months = years * 12 + months
    if total_months == 0:
        raise ValueError("an age of 0 months has no end day; give years or months")

    month_index = birth.month - 1 + total_months
    year, month = birth.year + month_index // 12, month_index % 12 + 1
    last_day = _last_day_of_month(year, month)
    if birth.day > last_day:
        # 民法143条2項ただし書: no 応当日 in the last month → ends on that month's last day.
        return date(year, month, last_day)
    return date(year, month, birth.day) - _ONE_DAY


def first_usable_day(birth: date) -> date:
    """The first day the child may use the scheme: the day it reaches 0歳6か月."""
    return reaches_age(birth, months=FIRST_USABLE_AGE_MONTHS)


def last_usable_day(birth: date) -> date:
    """The last day the child may use the scheme: the day before it reaches 満3歳.

    Born 2024-04-10 → reaches 3 on 2027-04-09 → last usable day 2027-04-08 (Kakegawa's example).
    """
    return reaches_age(birth, years=AGE_LIMIT_YEARS) - _ONE_DAY


@dataclass(frozen=True, slots=True)
class AgeWindow:
    """The span of use dates (both ends included) on which a child's age allows the scheme."""

    first_usable_day: date
    last_usable_day: date

    def contains(self, day: date) -> bool:
        return self.first_usable_day <= day <= self.last_usable_day


def validate_birth_date(birth: date, today: date) -> date:
    """Return ``birth`` unchanged, or raise :class:`InvalidBirthDate` if it lies after ``today``.

    A child not yet born cannot be certified (認定); catching this at the door keeps a typo in the
    year from producing a window years in the future.
    """
    if birth > today:
        raise InvalidBirthDate(
            f"birth date {birth.isoformat()} is after today ({today.isoformat()})"
        )
    return birth


def age_window(birth: date, *, today: date | None = None) -> AgeWindow:
    """The child's :class:`AgeWindow`; if ``today`` is given, the birth date is validated first."""
    if today is not None:
        validate_birth_date(birth, today)
    return AgeWindow(
        first_usable_day=first_usable_day(birth), last_usable_day=last_usable_day(birth)
    )


def is_eligible_by_age(birth: date, on: date) -> bool:
    """Whether the child's age allows use on the use date ``on`` (0歳6か月 ≤ age < 満3歳)."""
    return age_window(birth).contains(on)


def months_old(birth: date, on: date) -> int:
    """月齢 as a nursery counts it: whole months since birth, one more on each 応当日.

    The roster shows it beside the child's name (what a child of that age eats, how they
    sleep). A month with no 応当日 counts on its last day (born 1/31 → 1 month on 2/28).
    Not the legal age of :func:`reaches_age`, which changes a day earlier (民法143条).
    """
    if on < birth:
        raise InvalidBirthDate(f"{on} is before the birth date {birth}")
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day and on.day < _last_day_of_month(on.year, on.month):
        months -= 1
    return months

"""Cancellation deadlines per municipality on the facility's calendar (real 2026 holidays)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest

from tsuen_booking.domain.cancellation import (
    CancellationCause,
    cancellation_deadline,
    check_called_at,
    decide_cancellation,
)
from tsuen_booking.domain.errors import InvalidRequest
from tsuen_booking.domain.facility import Facility, OpeningHours
from tsuen_common.policy import load_policies
from tsuen_common.timeutil import JST

POLICIES = load_policies()
CHIYODA = POLICIES.get("131016").cancellation  # 17:00 on the previous open day
KAKEGAWA = POLICIES.get("222135").cancellation  # 12:00 one business day before
WEEKDAYS = dict.fromkeys(range(5), OpeningHours(time(9), time(17)))


def facility(
    *, closed_days: frozenset[date] = frozenset(), hours: dict[int, OpeningHours] | None = None
) -> Facility:
    return Facility(
        id=uuid.UUID(int=7),
        municipality="131016",
        name="テスト保育園",
        opening_hours=hours or WEEKDAYS,
        places_per_slot=3,
        closed_days=closed_days,
    )


def jst(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=JST)


@pytest.mark.parametrize(
    ("use_date", "deadline_day", "why"),
    [
        (date(2026, 6, 10), date(2026, 6, 9), "Wednesday: the Tuesday before"),
        (date(2026, 6, 8), date(2026, 6, 5), "Monday: skips the weekend to Friday"),
        (date(2026, 7, 21), date(2026, 7, 17), "after 海の日 (Mon 7/20) and a weekend"),
        (date(2026, 5, 7), date(2026, 5, 1), "Golden Week: 5/2–5/6 closed"),
        (date(2026, 5, 7), date(2026, 5, 1), "5/6 is a 振替休日 (憲法記念日 fell on Sunday)"),
        (
            date(2026, 9, 24),
            date(2026, 9, 18),
            "Silver Week: 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分",
        ),
        (date(2027, 1, 4), date(2026, 12, 28), "年末年始 12/29–1/3"),
    ],
)
def test_chiyoda_deadline_is_17_on_the_previous_open_day(
    use_date: date, deadline_day: date, why: str
) -> None:
    assert cancellation_deadline(CHIYODA, facility(), use_date) == jst(deadline_day, 17), why


def test_a_facility_closed_day_is_not_an_open_day() -> None:
    closed_friday = facility(closed_days=frozenset({date(2026, 6, 5)}))
    assert cancellation_deadline(CHIYODA, closed_friday, date(2026, 6, 8)) == jst(
        date(2026, 6, 4), 17
    )


def test_a_facility_open_on_saturday_counts_saturday() -> None:
    six_days = facility(hours={**WEEKDAYS, 5: OpeningHours(time(9), time(12))})
    assert cancellation_deadline(CHIYODA, six_days, date(2026, 6, 8)) == jst(date(2026, 6, 6), 17)


@pytest.mark.parametrize(
    ("use_date", "deadline_day"),
    [
        (date(2026, 6, 10), date(2026, 6, 9)),
        (date(2026, 6, 8), date(2026, 6, 5)),
        (date(2026, 5, 7), date(2026, 5, 1)),
        (date(2026, 11, 24), date(2026, 11, 20)),  # 11/23 勤労感謝の日 (Mon)
    ],
)
def test_kakegawa_deadline_is_noon_one_business_day_before(
    use_date: date, deadline_day: date
) -> None:
    assert cancellation_deadline(KAKEGAWA, facility(), use_date) == jst(deadline_day, 12)


def test_the_deadline_instant_itself_is_timely_and_a_moment_later_is_not() -> None:
    use_date = date(2026, 6, 10)
    deadline = cancellation_deadline(CHIYODA, facility(), use_date)
    on_time = decide_cancellation(
        rule=CHIYODA, facility=facility(), use_date=use_date, held_minutes=120,
        cancelled_at=deadline,
    )  # fmt: skip
    late = decide_cancellation(
        rule=CHIYODA, facility=facility(), use_date=use_date, held_minutes=120,
        cancelled_at=deadline + timedelta(microseconds=1),
    )  # fmt: skip
    assert (on_time.timely, on_time.consumed_minutes) == (True, 0)
    assert (late.timely, late.consumed_minutes) == (False, 120)


def test_after_the_start_the_hours_are_consumed() -> None:
    use_date = date(2026, 6, 10)
    outcome = decide_cancellation(
        rule=KAKEGAWA, facility=facility(), use_date=use_date, held_minutes=60,
        cancelled_at=jst(use_date, 10),
    )  # fmt: skip
    assert (outcome.timely, outcome.consumed_minutes) == (False, 60)


def test_the_system_cancelling_never_costs_hours() -> None:
    use_date = date(2026, 6, 10)
    outcome = decide_cancellation(
        rule=CHIYODA, facility=facility(), use_date=use_date, held_minutes=60,
        cancelled_at=jst(use_date, 10), by_system=True,
    )  # fmt: skip
    assert (outcome.timely, outcome.consumed_minutes) == (True, 0)


@pytest.mark.parametrize("cause", ["facility", "municipality", "system"])
def test_a_cancellation_the_family_did_not_cause_never_costs_hours(cause: str) -> None:
    # Issue 17, item 1: a closure after the deadline, even after the start, costs nothing.
    use_date = date(2026, 6, 10)
    outcome = decide_cancellation(
        rule=KAKEGAWA, facility=facility(), use_date=use_date, held_minutes=120,
        cancelled_at=jst(use_date, 10), cause=CancellationCause(cause),
    )  # fmt: skip
    assert (outcome.timely, outcome.consumed_minutes) == (True, 0)


def test_a_phoned_cancellation_is_judged_at_the_call() -> None:
    # Issue 17, item 2: the guardian phoned at 11:59 the day before; staff typed it at 15:00.
    use_date = date(2026, 6, 10)
    deadline = cancellation_deadline(KAKEGAWA, facility(), use_date)
    at_the_call = decide_cancellation(
        rule=KAKEGAWA, facility=facility(), use_date=use_date, held_minutes=60,
        cancelled_at=deadline - timedelta(minutes=1),
    )  # fmt: skip
    assert at_the_call.consumed_minutes == 0
    now = deadline + timedelta(hours=3)
    check_called_at(
        deadline - timedelta(minutes=1), now=now, booked_at=deadline - timedelta(days=3)
    )
    with pytest.raises(InvalidRequest, match="later than now"):
        check_called_at(now + timedelta(seconds=1), now=now, booked_at=now - timedelta(days=1))
    with pytest.raises(InvalidRequest, match="before the booking"):
        check_called_at(now - timedelta(days=2), now=now, booked_at=now - timedelta(days=1))

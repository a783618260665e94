"""The day-before reminder: when it is due, at once, or not at all."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from tsuen_common.timeutil import JST, at_jst
from tsuen_notification.domain.schedule import reminder_due_at

USE = date(2026, 12, 10)


def test_due_at_the_reminder_hour_the_day_before() -> None:
    now = at_jst(date(2026, 12, 1), time(9))
    assert reminder_due_at(USE, 18, now) == at_jst(date(2026, 12, 9), time(18))


def test_booking_for_tomorrow_after_the_hour_is_due_at_once() -> None:
    now = at_jst(date(2026, 12, 9), time(20, 30))
    assert reminder_due_at(USE, 18, now) == now


def test_booking_for_tomorrow_before_the_hour_waits_for_it() -> None:
    now = at_jst(date(2026, 12, 9), time(17, 59))
    assert reminder_due_at(USE, 18, now) == at_jst(date(2026, 12, 9), time(18))


def test_exactly_at_the_hour_is_due_now() -> None:
    now = at_jst(date(2026, 12, 9), time(18))
    assert reminder_due_at(USE, 18, now) == now


def test_booking_on_the_use_day_gets_no_reminder() -> None:
    assert reminder_due_at(USE, 18, at_jst(USE, time(0))) is None
    assert reminder_due_at(USE, 18, at_jst(USE, time(8))) is None


def test_last_instant_of_the_day_before_still_gets_one() -> None:
    now = datetime(2026, 12, 9, 23, 59, 59, tzinfo=JST)
    assert reminder_due_at(USE, 18, now) == now


def test_now_in_utc_is_compared_as_the_same_instant() -> None:
    # 2026-12-09 15:00 UTC is 2026-12-10 00:00 JST: already the use day in Japan.
    from datetime import UTC

    assert reminder_due_at(USE, 18, datetime(2026, 12, 9, 15, 0, tzinfo=UTC)) is None
    due = reminder_due_at(USE, 18, datetime(2026, 12, 9, 8, 0, tzinfo=UTC))  # 17:00 JST
    assert due == at_jst(date(2026, 12, 9), time(18))


def test_hour_zero_means_midnight_starting_the_day_before() -> None:
    now = at_jst(date(2026, 12, 1), time(9))
    assert reminder_due_at(USE, 0, now) == at_jst(date(2026, 12, 9), time(0))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        reminder_due_at(USE, 18, datetime(2026, 12, 1, 9))


def test_impossible_hour_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.23"):
        reminder_due_at(USE, 24, at_jst(date(2026, 12, 1), time(9)))

"""Dates and times as a Japanese notice writes them, always in Japan time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tsuen_common.timeutil import JST
from tsuen_notification.domain.formatting import (
    date_ja,
    datetime_ja,
    minutes_ja,
    month_ja,
    time_range_ja,
    yen,
)


def test_date_with_weekday() -> None:
    assert date_ja(date(2026, 11, 22)) == "2026年11月22日(日)"
    assert date_ja(date(2026, 11, 23)) == "2026年11月23日(月)"


def test_utc_instant_is_shown_in_japan_time() -> None:
    # 15:30 UTC is 00:30 the next day in Tokyo.
    assert datetime_ja(datetime(2026, 11, 21, 15, 30, tzinfo=UTC)) == "2026年11月22日(日) 0:30"


def test_time_range_on_one_day() -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=JST)
    end = datetime(2026, 11, 22, 12, 30, tzinfo=JST)
    assert time_range_ja(start, end) == "9:00〜12:30"


def test_time_range_across_midnight_names_both_days() -> None:
    start = datetime(2026, 11, 22, 22, 0, tzinfo=JST)
    end = datetime(2026, 11, 23, 1, 0, tzinfo=JST)
    assert time_range_ja(start, end) == "2026年11月22日(日) 22:00〜2026年11月23日(月) 1:00"


@pytest.mark.parametrize(
    ("minutes", "text"), [(60, "1時間"), (90, "1時間30分"), (15, "15分"), (600, "10時間")]
)
def test_minutes(minutes: int, text: str) -> None:
    assert minutes_ja(minutes) == text


def test_month_and_yen() -> None:
    assert month_ja("2026-04") == "2026年4月"
    assert yen(1700) == "1,700円"


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        datetime_ja(datetime(2026, 11, 22, 9))

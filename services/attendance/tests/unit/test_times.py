from __future__ import annotations

from datetime import UTC, date, datetime

from tsuen_attendance.domain.times import hhmm, in_jst, jst_day, parse_instant
from tsuen_common.timeutil import JST


def test_an_instant_from_the_database_is_shown_in_japan_time() -> None:
    # 15:05 UTC is 00:05 the next day in Japan: the 利用日 is Japan's.
    stored = datetime(2026, 11, 23, 15, 5, tzinfo=UTC)
    assert in_jst(stored).utcoffset() == JST.utcoffset(stored)
    assert in_jst(stored) == stored
    assert jst_day(stored) == date(2026, 11, 24)
    assert hhmm(stored) == "00:05"
    assert hhmm(None) is None


def test_an_operator_instant_without_an_offset_is_japan_time() -> None:
    assert parse_instant("2026-11-24T18:00:00") == datetime(2026, 11, 24, 18, tzinfo=JST)
    assert parse_instant("2026-11-24T09:00:00+00:00") == datetime(2026, 11, 24, 18, tzinfo=JST)

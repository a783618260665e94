"""How dates and times read in a Japanese notice: ``2026年11月22日(日)``, ``9:00``.

Every instant is shown in Japan time whatever offset the event carried, because the guardian and
the facility read it as a wall-clock time in Japan.
"""

from __future__ import annotations

from datetime import date, datetime

from tsuen_common.text import minutes_ja
from tsuen_common.timeutil import JST

__all__ = [
    "date_ja",
    "datetime_ja",
    "minutes_ja",
    "month_ja",
    "time_ja",
    "time_range_ja",
    "weekly_ja",
    "yen",
]

_WEEKDAYS = "月火水木金土日"


def date_ja(day: date) -> str:
    """``2026年11月22日(日)``: the weekday helps a parent check the day against a calendar."""
    return f"{day.year}年{day.month}月{day.day}日({_WEEKDAYS[day.weekday()]})"


def time_ja(instant: datetime) -> str:
    """``9:05``: no leading zero on the hour, as Japanese notices write it."""
    local = _jst(instant)
    return f"{local.hour}:{local.minute:02d}"


def datetime_ja(instant: datetime) -> str:
    """``2026年11月22日(日) 9:05``."""
    local = _jst(instant)
    return f"{date_ja(local.date())} {time_ja(local)}"


def time_range_ja(starts_at: datetime, ends_at: datetime) -> str:
    """``9:00〜12:00``, or both full date-times when the range crosses midnight."""
    start, end = _jst(starts_at), _jst(ends_at)
    if start.date() == end.date():
        return f"{time_ja(start)}〜{time_ja(end)}"
    return f"{datetime_ja(start)}〜{datetime_ja(end)}"


def month_ja(month: str) -> str:
    """``2026-11`` → ``2026年11月``."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def yen(amount: int) -> str:
    return f"{amount:,}円"


def _jst(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("a notice shows only timezone-aware instants")
    return instant.astimezone(JST)


def weekly_ja(weekday: int, start: str, end: str) -> str:
    """毎週水曜日 10:00〜12:00 (weekday: 0 = Monday)."""
    return f"毎週{_WEEKDAYS[weekday]}曜日 {start}〜{end}"

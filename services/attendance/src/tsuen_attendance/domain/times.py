"""Japan time as attendance reads, shows and stores it: the one place for the service's
conversions. The zone and "now" come from :mod:`tsuen_common.timeutil` (``JST``, ``now_jst``),
which honours the test clock; nothing here reads the wall clock itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import overload

from tsuen_common.timeutil import JST

__all__ = ["hhmm", "in_jst", "jst_day", "parse_instant"]


def in_jst(instant: datetime) -> datetime:
    """The same instant in Japan time (PostgreSQL hands ``timestamptz`` back in UTC)."""
    return instant.astimezone(JST)


def jst_day(instant: datetime) -> date:
    """The day (利用日) ``instant`` falls on in Japan."""
    return in_jst(instant).date()


@overload
def hhmm(instant: datetime) -> str: ...
@overload
def hhmm(instant: None) -> None: ...
def hhmm(instant: datetime | None) -> str | None:
    """``09:05``: a time of day in Japan, as pages and messages show it."""
    return in_jst(instant).strftime("%H:%M") if instant is not None else None


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; without an offset it is Japan time, like every time in tsuen."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=JST)

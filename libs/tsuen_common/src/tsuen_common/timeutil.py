"""Time in tsuen is Asia/Tokyo; dates are dates. One place for the zone and for 'now'."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> datetime:
    return datetime.now(JST)


def today_jst() -> date:
    return now_jst().date()


def at_jst(day: date, clock: time) -> datetime:
    """The instant ``clock`` on ``day`` in Japan (no DST there, so always unambiguous)."""
    return datetime.combine(day, clock, tzinfo=JST)

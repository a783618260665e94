"""Dates typed by people into forms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tsuen_common.timeutil import JST

MIN_YEAR, MAX_YEAR = 2000, 2100
"""The years the platform's services accept (booking refuses others with a 422)."""


def parse_day(text: str) -> date | None:
    """``YYYY-MM-DD`` (what ``<input type=date>`` sends) → date; "" → None; ValueError for
    anything else, including years no booking can be in."""
    text = text.strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    if not MIN_YEAR <= day.year <= MAX_YEAR or len(text) != 10:
        raise ValueError(f"not a usable date: {text!r}")
    return day


def clock_time(value: Any) -> str | None:
    """An instant a service sent (ISO 8601, any offset) as the clock in Japan shows it: 09:05."""
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(JST).strftime("%H:%M")

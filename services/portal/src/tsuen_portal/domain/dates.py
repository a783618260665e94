"""Dates typed by people into forms."""

from __future__ import annotations

from datetime import date

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

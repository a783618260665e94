"""The money pages' rules: which months can have been billed, how billing's statements and
claims are grouped for a page, and how yen are written. Every amount comes from billing as an
integer number of yen; nothing here adds, rounds or prices anything (docs/billing.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from babel.numbers import format_currency, format_decimal

T = TypeVar("T")


def yen(amount: int | None, lang: str) -> str:
    """An amount in whole yen as people read it: 「1,200円」 / "¥1,200". Billing's None (a
    line outside the scheme's rates) is shown as nothing owed, the way billing's own printable
    statement does."""
    value = amount or 0
    if lang == "ja":
        return f"{format_decimal(value, locale='ja_JP')}円"
    return format_currency(value, "JPY", locale="en_JP")


def closable_months(today: date, count: int = 12) -> list[str]:
    """The months a monthly close (月次締め) may have billed, newest first: the month before
    ``today``'s and earlier (billing closes a month only after it has ended)."""
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def chosen_month(asked: str, months: list[str]) -> str:
    """The month a page shows: the one asked for when it is offered, else the newest."""
    return asked if asked in months else months[0]


def by_month(items: Iterable[T], month_of: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """Statements (or claims) grouped by billing month, the newest month first; within a
    month the order billing gave is kept."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(month_of(item), []).append(item)
    return sorted(groups.items(), key=lambda group: group[0], reverse=True)


def month_label(month: str, lang: str) -> str:
    """A billing month (``YYYY-MM``, billing's form) as people write it: 2026年12月 /
    December 2026. Anything else is shown as it came."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        return month
    return f"{year}年{number}月" if lang == "ja" else f"{first:%B} {year}"

"""Yen, months and fiscal years: the rounding rules, each written once.

Rounding (docs/billing.md#rounding):
- A line's amount is ``minutes × yen per hour ÷ 60`` rounded **down** to the yen (切り捨て),
  computed once per line and per rate, never on a sum. With the platform's 30- and 60-minute
  units and whole-yen hourly rates the division is exact for every shipped rate; the rule only
  matters for a rate that is not a multiple of 2 with a 30-minute step, and then it never
  charges a fraction of a yen the rate does not earn.
- Totals are sums of line amounts: no rounding happens on a total.
- Minutes are not rounded here: booking's ledger rounds use to the municipality's unit
  (``QuotaRule.charged_minutes``) and billing charges exactly what the ledger consumed.
"""

from __future__ import annotations

from datetime import date

__all__ = ["fiscal_year", "month_bounds", "month_of", "next_month", "parse_month", "yen_for"]


def yen_for(minutes: int, yen_per_hour: int) -> int:
    """The amount for ``minutes`` at ``yen_per_hour``, rounded down to the yen."""
    if minutes < 0 or yen_per_hour < 0:
        raise ValueError("minutes and rates are never negative")
    return minutes * yen_per_hour // 60


def fiscal_year(day: date) -> int:
    """年度: April to March. 2027-03-31 is in FY2026, 2027-04-01 in FY2027."""
    return day.year if day.month >= 4 else day.year - 1


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(month: str) -> date:
    """'2027-06' → 2027-06-01; ValueError for anything else."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"a month is YYYY-MM, not {month!r}")
    try:
        first = date(int(month[:4]), int(month[5:]), 1)
    except ValueError:
        raise ValueError(f"a month is YYYY-MM, not {month!r}") from None
    if not 2000 <= first.year <= 2100:
        raise ValueError(f"month out of range: {month}")
    return first


def next_month(month: str) -> str:
    first = parse_month(month)
    return month_of(date(first.year + first.month // 12, first.month % 12 + 1, 1))


def month_bounds(month: str) -> tuple[date, date]:
    """First day and the first day of the following month."""
    return parse_month(month), parse_month(next_month(month))

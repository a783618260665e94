"""Which days a facility is open (開所日), for deadlines counted in open or business days.

Cancellation deadlines are counted backwards over open days, not calendar days: Chiyoda's
"前日17時" means 17:00 on the open day before the use date ("土日祝日を挟む場合は、利用日直前の
開所日を「前日」と定義"); Kakegawa's rule is "利用日の1営業日前の正午". So the platform needs one
calendar that knows weekends, national holidays (祝日, 振替休日 and 国民の休日, via ``jpholiday``),
the year-end/new-year closure (年末年始, 12/29–1/3 at most nurseries), and each facility's own
closed or specially opened days.

Pure: no clock and no I/O; a facility's extra days are handed in by whoever loaded them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import jpholiday

__all__ = [
    "DEFAULT_YEAR_END_CLOSURE",
    "WEEKEND",
    "BusinessCalendar",
]

WEEKEND: frozenset[int] = frozenset({5, 6})
"""Saturday and Sunday, as :meth:`datetime.date.weekday` numbers (Monday is 0)."""

DEFAULT_YEAR_END_CLOSURE: frozenset[tuple[int, int]] = frozenset(
    {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
)
"""年末年始 12/29–1/3, as (month, day): the closure most nurseries and municipal offices keep."""

_ONE_DAY = timedelta(days=1)

# Ten years of days: far beyond any real run of closed days, so reaching it means the calendar
# was configured to be (practically) never open, and we say so instead of looping.
_MAX_SEARCH_DAYS = 3660


def _no_days() -> frozenset[date]:
    return frozenset()


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A facility's (or office's) calendar of open days.

    A day is open unless it falls on a closed weekday, a national holiday, a year-end closure day
    or one of ``extra_closed_days``; ``extra_open_days`` overrides all of those (a facility that
    opens on a particular Saturday or holiday).
    """

    closed_weekdays: frozenset[int] = WEEKEND
    year_end_closure: frozenset[tuple[int, int]] = DEFAULT_YEAR_END_CLOSURE
    extra_closed_days: frozenset[date] = field(default_factory=_no_days)
    extra_open_days: frozenset[date] = field(default_factory=_no_days)

    def __post_init__(self) -> None:
        # Accept any iterable from callers but keep the instance hashable and immutable.
        for name in ("closed_weekdays", "year_end_closure", "extra_closed_days", "extra_open_days"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))

        bad_weekdays = sorted(d for d in self.closed_weekdays if d not in range(7))
        if bad_weekdays:
            raise ValueError(f"closed_weekdays must be 0 (Monday) to 6 (Sunday): {bad_weekdays}")
        if len(self.closed_weekdays) == 7 and not self.extra_open_days:
            raise ValueError("a calendar closed on every weekday has no open days")
        for month, day in self.year_end_closure:
            try:
                date(2024, month, day)  # a leap year, so (2, 29) is accepted
            except ValueError:
                raise ValueError(f"year_end_closure has no such day: {(month, day)}") from None
        both = sorted(self.extra_closed_days & self.extra_open_days)
        if both:
            raise ValueError(
                f"days both extra closed and extra open: {[d.isoformat() for d in both]}"
            )

    def is_open_day(self, d: date) -> bool:
        """Whether the facility is open on ``d`` (開所日)."""
        if d in self.extra_open_days:
            return True
        if d in self.extra_closed_days:
            return False
        if d.weekday() in self.closed_weekdays:
            return False
        if (d.month, d.day) in self.year_end_closure:
            return False
        return not jpholiday.is_holiday(d)

    def previous_open_day(self, d: date) -> date:
        """The last open day strictly before ``d``."""
        return self._step(d, -_ONE_DAY)

    def next_open_day(self, d: date) -> date:
        """The first open day strictly after ``d``."""
        return self._step(d, _ONE_DAY)

    def business_days_before(self, d: date, n: int) -> date:
        """The ``n``-th open day strictly before ``d`` (``n=1`` is :meth:`previous_open_day`)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        day = d
        for _ in range(n):
            day = self.previous_open_day(day)
        return day

    def _step(self, d: date, step: timedelta) -> date:
        day = d
        for _ in range(_MAX_SEARCH_DAYS):
            day += step
            if self.is_open_day(day):
                return day
        direction = "before" if step < timedelta(0) else "after"
        raise ValueError(f"no open day within {_MAX_SEARCH_DAYS} days {direction} {d.isoformat()}")

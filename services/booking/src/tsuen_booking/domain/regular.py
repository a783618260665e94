"""定期利用: which days of a month a weekly plan falls on."""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["occurrences"]


def occurrences(
    *, weekday: int, valid_from: date, valid_until: date | None, month: str
) -> list[date]:
    """The plan's days in ``month`` (``YYYY-MM``): its weekday, inside its validity.

    Closed days are not removed here: each occurrence is checked like any booking, so a closed
    day is reported ("facility closed on …") rather than silently missing.
    """
    year, mon = (int(part) for part in month.split("-"))
    last = calendar.monthrange(year, mon)[1]
    return [
        day
        for day in (date(year, mon, n) for n in range(1, last + 1))
        if day.weekday() == weekday
        and day >= valid_from
        and (valid_until is None or day <= valid_until)
    ]

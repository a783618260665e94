"""When the day-before reminder goes out (利用日の前日に…予約通知, Kakegawa's page).

Pure: the caller passes the clock reading, so the rule is tested at any hour of any day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tsuen_common.timeutil import at_jst


def reminder_due_at(use_date: date, reminder_hour: int, now: datetime) -> datetime | None:
    """The instant the reminder for ``use_date`` is due, or None when none should be sent.

    - Normally ``reminder_hour``:00 JST on the day before ``use_date``.
    - A booking made after that hour (for tomorrow) gets its reminder at once: the promise is
      "the day before", and late is better than never while the day before lasts.
    - A booking made on the use day itself gets none: the confirmation just sent is the reminder.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= reminder_hour <= 23:
        raise ValueError(f"reminder hour must be 0..23, not {reminder_hour}")
    if now >= at_jst(use_date, time(0)):
        return None
    scheduled = at_jst(use_date - timedelta(days=1), time(reminder_hour))
    return max(scheduled, now)

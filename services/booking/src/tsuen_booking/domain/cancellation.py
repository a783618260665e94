"""Cancellation (キャンセル): until when it is free, and what a cancellation costs.

The deadline is the facility municipality's :class:`~tsuen_common.policy.CancellationRule`
counted on the facility's own calendar (Chiyoda: 17:00 on the previous 開所日; Kakegawa: 12:00 one
business day before). Before it (the instant itself included) the hold is released; after it,
the booked hours are consumed, whatever the reason (sickness too) and whether or not the use has
begun. The system's own cancellations (a revoked certification) never cost hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tsuen_booking.domain.facility import Facility
from tsuen_common.policy import CancellationRule

__all__ = ["CancellationOutcome", "cancellation_deadline", "decide_cancellation"]


def cancellation_deadline(rule: CancellationRule, facility: Facility, use_date: date) -> datetime:
    return rule.deadline(use_date, facility.calendar)


@dataclass(frozen=True, slots=True)
class CancellationOutcome:
    timely: bool
    consumed_minutes: int


def decide_cancellation(
    *,
    rule: CancellationRule,
    facility: Facility,
    use_date: date,
    held_minutes: int,
    cancelled_at: datetime,
    by_system: bool = False,
) -> CancellationOutcome:
    if by_system or rule.is_timely(cancelled_at, use_date, facility.calendar):
        return CancellationOutcome(timely=True, consumed_minutes=0)
    return CancellationOutcome(timely=False, consumed_minutes=held_minutes)

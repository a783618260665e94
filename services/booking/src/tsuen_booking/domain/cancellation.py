"""Cancellation (キャンセル): until when it is free, and what a cancellation costs.

The deadline is the facility municipality's :class:`~tsuen_common.policy.CancellationRule`
counted on the facility's own calendar (Chiyoda: 17:00 on the previous 開所日; Kakegawa: 12:00 one
business day before). Before it (the instant itself included) the hold is released; after it,
the booked hours are consumed, whatever the reason (sickness too) and whether or not the use has
begun.

Who *caused* a cancellation decides whether the deadline applies at all (issue 17): the family's
own cancellations are judged against it; the facility's (a closure, no staff for the slot), the
municipality's and the system's (a revoked certification) never cost the child an hour. Who
*entered* it is another matter: staff who take a guardian's phone call enter the guardian's
cancellation, judged at the time of the call they record, not at the time they type it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tsuen_booking.domain.errors import InvalidRequest
from tsuen_booking.domain.facility import Facility
from tsuen_common.policy import CancellationRule

__all__ = [
    "CancellationCause",
    "CancellationOutcome",
    "cancellation_deadline",
    "check_called_at",
    "decide_cancellation",
]


class CancellationCause(StrEnum):
    GUARDIAN = "guardian"  # the family (sickness, plans): the deadline applies
    FACILITY = "facility"  # closure, staffing, the facility's decision: never costs hours
    MUNICIPALITY = "municipality"  # the ward's decision: never costs hours
    SYSTEM = "system"  # a revoked certification and the like: never costs hours

    @property
    def costs_the_child(self) -> bool:
        return self is CancellationCause.GUARDIAN


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
    cause: CancellationCause = CancellationCause.GUARDIAN,
) -> CancellationOutcome:
    """``cancelled_at`` is when the family cancelled: now, or the recorded time of their call."""
    if by_system or not cause.costs_the_child:
        return CancellationOutcome(timely=True, consumed_minutes=0)
    if rule.is_timely(cancelled_at, use_date, facility.calendar):
        return CancellationOutcome(timely=True, consumed_minutes=0)
    return CancellationOutcome(timely=False, consumed_minutes=held_minutes)


def check_called_at(called_at: datetime, *, now: datetime, booked_at: datetime) -> None:
    """A phoned cancellation's time: not in the future, not before the booking existed."""
    if called_at > now:
        raise InvalidRequest(
            "the time of the guardian's call cannot be later than now",
            message_ja="保護者から電話があった時刻に、現在より後の時刻は指定できません。",
        )
    if called_at < booked_at:
        raise InvalidRequest(
            "the time of the guardian's call is before the booking was made",
            message_ja="電話があった時刻が、予約された時刻より前になっています。",
        )

"""Settling a booking from attendance's events: which check-out still charges a late pickup,
and what the hours beyond the cap cost (service_layer/settlement.py applies them)."""

from __future__ import annotations

import math

from tsuen_booking.domain.booking import BookingStatus


def late_pickup_of_late_cancellation(
    *,
    status: BookingStatus,
    outcome: BookingStatus,
    penalty_minutes: int,
    consumed_minutes: int,
    charged_penalty_minutes: int,
    charged_over_cap_minutes: int,
) -> bool:
    """A check-out with a late pickup of a booking cancelled late after the child had arrived
    (the cancellation won the race with CheckedIn): its hours were consumed by the
    cancellation, so only the late pickup is charged, and only once."""
    return (
        status is BookingStatus.CANCELLED
        and outcome is BookingStatus.USED
        and penalty_minutes > 0
        and consumed_minutes > 0  # a late cancellation: the booked time is consumed
        and charged_penalty_minutes == 0  # its late pickup not charged yet
        and charged_over_cap_minutes == 0
    )


def over_cap_fee_yen(over_cap_minutes: int, extra_hour_fee_yen: int) -> int:
    """1時間ごとに追加料金: every started hour beyond the cap, at the facility's rate."""
    return math.ceil(over_cap_minutes / 60) * extra_hour_fee_yen if over_cap_minutes > 0 else 0

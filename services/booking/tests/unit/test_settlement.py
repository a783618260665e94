"""Settlement's rules without a database: the late pickup of a late cancellation, the over-cap
fee."""

from __future__ import annotations

from typing import Any

import pytest

from tsuen_booking.domain.booking import BookingStatus
from tsuen_booking.domain.settlement import late_pickup_of_late_cancellation, over_cap_fee_yen


def _late(**changes: Any) -> bool:
    facts: dict[str, Any] = {
        "status": BookingStatus.CANCELLED,
        "outcome": BookingStatus.USED,
        "penalty_minutes": 15,
        "consumed_minutes": 120,
        "charged_penalty_minutes": 0,
        "charged_over_cap_minutes": 0,
    }
    return late_pickup_of_late_cancellation(**{**facts, **changes})


def test_a_late_cancelled_booking_picked_up_late_is_charged_the_late_pickup() -> None:
    assert _late()


@pytest.mark.parametrize(
    "changes",
    [
        {"status": BookingStatus.CONFIRMED},  # not cancelled: settled as usual
        {"outcome": BookingStatus.NO_SHOW},  # no check-out
        {"penalty_minutes": 0},  # picked up on time
        {"consumed_minutes": 0},  # cancelled in time: nothing was consumed
        {"charged_penalty_minutes": 15},  # charged once already
        {"charged_over_cap_minutes": 30},
    ],
)
def test_anything_else_is_not_a_late_pickup_of_a_late_cancellation(
    changes: dict[str, Any],
) -> None:
    assert not _late(**changes)


@pytest.mark.parametrize(
    ("minutes", "fee"), [(0, 0), (1, 500), (60, 500), (61, 1000), (120, 1000), (121, 1500)]
)
def test_the_over_cap_fee_is_every_started_hour_at_the_facilitys_rate(
    minutes: int, fee: int
) -> None:
    assert over_cap_fee_yen(minutes, 500) == fee


def test_a_facility_without_a_rate_charges_nothing() -> None:
    assert over_cap_fee_yen(90, 0) == 0

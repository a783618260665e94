"""Reconciliation: billed minutes against booking's ledger, booking by booking.

Per booking, billing's minutes are the sum of its lines (booked time, late pickup, over cap);
booking's are ``consumed_minutes + over_cap_minutes`` of the booking (consumed includes the
late-pickup hour the cap absorbed). Every booking where the two differ is named.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Difference", "compare"]


@dataclass(frozen=True, order=True)
class Difference:
    booking_id: uuid.UUID
    billed_minutes: int
    ledger_minutes: int

    def describe(self) -> str:
        return (
            f"booking {self.booking_id}: billed {self.billed_minutes} min, "
            f"booking's ledger {self.ledger_minutes} min"
        )


def compare(billed: Mapping[uuid.UUID, int], ledger: Mapping[uuid.UUID, int]) -> list[Difference]:
    return sorted(
        Difference(booking, billed.get(booking, 0), ledger.get(booking, 0))
        for booking in set(billed) | set(ledger)
        if billed.get(booking, 0) != ledger.get(booking, 0)
    )

"""``tsuen-billing reconcile --month M``: prove the month's billed minutes equal booking's."""

from __future__ import annotations

from tsuen_billing.adapters import reads
from tsuen_billing.adapters.booking_api import BookingLedger
from tsuen_billing.domain.money import month_bounds
from tsuen_billing.domain.reconcile import Difference, compare
from tsuen_billing.service_layer.context import Billing


async def reconcile_month(ctx: Billing, ledger: BookingLedger, month: str) -> list[Difference]:
    first, end = month_bounds(month)
    async with ctx.sessions() as session:
        billed = await reads.minutes_by_booking(session, month)
    booked = await ledger.minutes_by_booking(first, end)
    return compare({b: m for b, (_, _, m) in billed.items()}, booked)

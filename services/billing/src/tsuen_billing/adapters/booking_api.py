"""Booking's ledger as booking's API shows it (GET /v1/bookings): billing never reads booking's
database. A platform-admin token sees every facility."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx

__all__ = ["BookingLedger", "LedgerUnavailable"]

# booking answers at most this many bookings per query (its list limit).
PAGE_LIMIT = 1000


class LedgerUnavailable(RuntimeError):
    pass


class BookingLedger:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def minutes_by_booking(self, first: date, end: date) -> dict[uuid.UUID, int]:
        """Per booking used in [first, end): consumed + over-cap minutes; one query per day."""
        minutes: dict[uuid.UUID, int] = {}
        day = first
        while day < end:
            response = await self.client.get(
                "/v1/bookings", params={"from": day.isoformat(), "to": day.isoformat()}
            )
            if response.status_code != 200:
                raise LedgerUnavailable(
                    f"booking answered {response.status_code} for {day}: {response.text[:200]}"
                )
            rows = response.json()
            if len(rows) >= PAGE_LIMIT:
                raise LedgerUnavailable(
                    f"{day}: booking's list is capped at {PAGE_LIMIT} bookings a query; "
                    "reconcile cannot prove that day complete"
                )
            for row in rows:
                minutes[uuid.UUID(row["id"])] = int(row["consumed_minutes"]) + int(
                    row["over_cap_minutes"]
                )
            day += timedelta(days=1)
        return minutes

"""臨時休園 for the facility's staff: who a closure would affect (a preview, nothing changes),
then the closure itself (booking cancels those bookings as the facility's: hours kept)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tsuen_portal.adapters.backends import BackendRefused
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.bookings import Booking, booking_from
from tsuen_portal.service_layer.staff.calls import act, refusal


@dataclass(frozen=True)
class Closure:
    days: list[date]
    bookings: list[Booking]

    @property
    def families(self) -> int:
        return len({b.child_id for b in self.bookings})


def _closure(body: dict[str, Any], key: str) -> Closure:
    return Closure(
        days=[date.fromisoformat(str(d)) for d in body.get("days", [])],
        bookings=[booking_from(b) for b in body.get(key, [])],
    )


async def preview_closure(
    api: Backends, account: Account, token: str, first: date, last: date
) -> Closure:
    response = await api.booking.send(
        "GET",
        f"/v1/facilities/{account.facility_id}/closures/preview",
        token,
        params={"from": first.isoformat(), "to": last.isoformat()},
    )
    if response.status_code >= 400:
        refused = refusal(response)
        if response.status_code in (403, 404) or refused is None:
            raise BackendRefused(f"closure preview: {response.status_code}")
        raise refused
    return _closure(response.json(), "bookings")


async def close(
    api: Backends, account: Account, token: str, first: date, last: date, reason: str
) -> Closure:
    body = await act(
        api.booking,
        "POST",
        f"/v1/facilities/{account.facility_id}/closures",
        token,
        {"from": first.isoformat(), "to": last.isoformat(), "reason": reason},
    )
    return _closure(body, "cancelled")

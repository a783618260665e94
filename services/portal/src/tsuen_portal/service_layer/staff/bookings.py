"""The facility's bookings for its staff: the list, one booking, cancelling it for the guardian
(or as the facility) and 代理予約 for a child whose 初回面談 here was held."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import act, when
from tsuen_portal.service_layer.staff.requests import interviews_here


@dataclass(frozen=True)
class Booking:
    id: str
    child_id: str
    child_name: str
    kind: str
    status: str
    use_date: date | None
    start: str
    end: str
    by_proxy: bool
    cancelled_at: datetime | None
    cancel_reason: str | None
    cancel_cause: str | None
    called_at: datetime | None
    held_minutes: int = 0
    consumed_minutes: int = 0  # of a cancelled booking: the hours its late cancellation used

    @property
    def cancellable(self) -> bool:
        return self.status == "confirmed"


def booking_from(body: dict[str, Any]) -> Booking:
    return Booking(
        id=str(body["id"]),
        child_id=str(body["child_id"]),
        child_name=str(body.get("child_name") or ""),
        kind=str(body["kind"]),
        status=str(body["status"]),
        use_date=date.fromisoformat(str(body["use_date"])) if body.get("use_date") else None,
        start=str(body.get("start") or ""),
        end=str(body.get("end") or ""),
        by_proxy=bool(body.get("by_proxy")),
        cancelled_at=when(body.get("cancelled_at")),
        cancel_reason=body.get("cancel_reason"),
        cancel_cause=body.get("cancel_cause"),
        called_at=when(body.get("called_at")),
        held_minutes=int(body.get("held_minutes") or 0),
        consumed_minutes=int(body.get("consumed_minutes") or 0),
    )


async def cancellation_deadline(api: Backends, token: str, booking_id: str) -> datetime | None:
    """Until when the family may cancel for free (the staff member on the phone says so)."""
    try:
        limit = await api.booking.get(f"/v1/bookings/{booking_id}/cancellation-deadline", token)
    except BackendNotFound:
        return None
    return datetime.fromisoformat(str(limit["deadline"]))


async def bookings(
    api: Backends, account: Account, token: str, first: date, last: date, status: str = ""
) -> list[Booking]:
    params: dict[str, Any] = {
        "facility_id": account.facility_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
    }
    if status:
        params["status"] = status
    body = await api.booking.get("/v1/bookings", token, params)
    found = [booking_from(b) for b in body if b.get("kind") != "interview"]
    return sorted(found, key=lambda b: (b.use_date or date.max, b.start, b.child_name))


async def booking(api: Backends, account: Account, token: str, booking_id: str) -> Booking:
    body = await api.booking.get(f"/v1/bookings/{booking_id}", token)
    if str(body.get("facility_id")) != account.facility_id:
        raise BackendNotFound(booking_id)
    found = booking_from(body)
    if not found.child_name and found.use_date:
        # One booking comes without the name; the facility's list of that day has it.
        same_day = await bookings(api, account, token, found.use_date, found.use_date)
        named = next((b for b in same_day if b.id == found.id), None)
        if named is not None:
            found = replace(found, child_name=named.child_name)
    return found


async def cancel_booking(
    api: Backends,
    account: Account,
    token: str,
    booking_id: str,
    *,
    reason: str,
    cause: str,
    called_at: datetime | None,
) -> Booking:
    await booking(api, account, token, booking_id)  # another facility's booking: 404
    body: dict[str, Any] = {"reason": reason, "cause": cause}
    if called_at is not None:
        body["called_at"] = called_at.isoformat()
    await act(api.booking, "POST", f"/v1/bookings/{booking_id}/cancel", token, body)
    return await booking(api, account, token, booking_id)


async def known_children(api: Backends, account: Account, token: str) -> dict[str, str]:
    """Children whose 初回面談 here was held (child id → name): whom staff may book for."""
    return {
        i.child_id: i.child_name
        for i in await interviews_here(api, account, token)
        if i.status == "held"
    }


async def book_for_guardian(
    api: Backends,
    account: Account,
    token: str,
    *,
    child_id: str,
    use_date: date,
    start: str,
    end: str,
) -> Booking:
    """代理予約: booking checks acceptance, places and hours as for the guardian."""
    if child_id not in await known_children(api, account, token):
        raise BackendNotFound(child_id)
    body = await act(
        api.booking,
        "POST",
        "/v1/bookings",
        token,
        {
            "facility_id": account.facility_id,
            "child_id": child_id,
            "use_date": use_date.isoformat(),
            "start": start,
            "end": end,
            "kind": "flexible",
        },
    )
    return await booking(api, account, token, str(body["id"]))

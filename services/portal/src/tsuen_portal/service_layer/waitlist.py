"""空き待ち for the guardian (issue 17): join a full time's wait list from the facility's page,
the list of entries and offers, and answering an offer (book it, decline it) or leaving.
Booking decides everything (who is next, the hold, the booking rules on accept); the portal
renders, and shows booking's refusal in its words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.facility_pages import Refusal, refusal
from tsuen_portal.service_layer.guardian import Backends

STATUS = {
    "waiting": N_("Waiting for a place"),
    "offered": N_("A place is held for you"),
    "booked": N_("Booked"),
    "left": N_("You left the wait list"),
    "declined": N_("You declined the place"),
    "expired": N_("The hold ran out"),
    "lapsed": N_("No place came free"),
}


@dataclass(frozen=True)
class Entry:
    id: str
    facility_id: str
    facility_name: str
    child_name: str
    use_date: date
    start: str
    end: str
    status: str
    hold_until: datetime | None
    position: int | None
    booking_id: str | None

    @property
    def offered(self) -> bool:
        return self.status == "offered"

    @property
    def active(self) -> bool:
        return self.status in ("waiting", "offered")


def _entry(body: dict[str, Any]) -> Entry:
    return Entry(
        id=str(body["id"]),
        facility_id=str(body["facility_id"]),
        facility_name=str(body.get("facility_name") or ""),
        child_name=str(body.get("child_name") or ""),
        use_date=date.fromisoformat(str(body["use_date"])),
        start=str(body["start"])[:5],
        end=str(body["end"])[:5],
        status=str(body["status"]),
        hold_until=datetime.fromisoformat(body["hold_until"]) if body.get("hold_until") else None,
        position=body.get("position"),
        booking_id=str(body["booking_id"]) if body.get("booking_id") else None,
    )


def _not_theirs(response: httpx.Response) -> None:
    """Another family's entry is booking's 404, and the page's, exactly like a missing one."""
    if response.status_code == 404:
        raise BackendNotFound(response.request.url.path)


def is_full(refused: Refusal) -> bool:
    """Booking refused because a cell of the time is full: the wait list is the way on."""
    return refused.detail.startswith("no free place")


async def join(
    api: Backends, token: str, facility_id: str, child_id: str, day: str, start: str, end: str
) -> str | Refusal:
    """The new entry's id, or why not (a place came free meanwhile, already waiting, …)."""
    response = await api.booking.send(
        "POST",
        "/v1/waitlist",
        token,
        json={
            "facility_id": facility_id,
            "child_id": child_id,
            "use_date": day,
            "start": start,
            "end": end,
        },
    )
    if response.status_code == 201:
        return str(response.json()["id"])
    return refusal(response)


async def entries(api: Backends, token: str) -> list[Entry]:
    """From today on: offers first (they have a deadline), then waiting, then the ended."""
    found = [_entry(e) for e in await api.booking.get("/v1/waitlist", token)]
    order = {"offered": 0, "waiting": 1}
    return sorted(found, key=lambda e: (order.get(e.status, 2), e.use_date, e.start))


async def entry(api: Backends, token: str, entry_id: str) -> Entry:
    """One entry; another family's is booking's 404 (``BackendNotFound``)."""
    return _entry(await api.booking.get(f"/v1/waitlist/{entry_id}", token))


async def accept(api: Backends, token: str, entry_id: str) -> str | Refusal:
    """Book the held place: the booking's id, or booking's refusal (the hold stays)."""
    response = await api.booking.send("POST", f"/v1/waitlist/{entry_id}/accept", token)
    _not_theirs(response)
    if response.status_code == 201:
        return str(response.json()["id"])
    return refusal(response)


async def leave(api: Backends, token: str, entry_id: str) -> Refusal | None:
    response = await api.booking.send("POST", f"/v1/waitlist/{entry_id}/leave", token)
    _not_theirs(response)
    return None if response.status_code == 200 else refusal(response)

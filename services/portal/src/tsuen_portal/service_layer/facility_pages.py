"""What the facility page, a booking's page and the 初回面談 list show, and the changes they
send (book 柔軟利用, cancel, favourite, ask for an interview). Booking decides everything: a
refusal comes back as its Japanese ``message_ja`` (and ``detail`` for the English page)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from tsuen_portal.adapters.backends import BackendNotFound, BackendRefused, _message_ja
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.guardian import (
    Backends,
    certificates,
    facility_name,
    facility_names,
)

WEEKDAY_KEYS = ("0", "1", "2", "3", "4", "5", "6")


@dataclass(frozen=True)
class Refusal:
    """Why booking said no: its Japanese sentence when it has one; else ``reason``, the
    portal's words for the refusals booking only explains to developers (``detail``)."""

    message_ja: str
    detail: str
    reason: str = ""  # a message id


# Booking's guardian-facing refusals without a message_ja, by the start of their detail.
EXPLAINED = (
    ("the facility has not accepted this child yet",
     N_("The facility has not accepted the child yet. Ask for a first interview and wait for "
        "the facility's answer.")),
    ("no free place", N_("There is no free place at that time. Choose another time.")),
    ("quota exceeded", N_("This is more than the hours the child has left this month.")),
    ("child already has a booking", N_("The child already has a booking at that time.")),
    ("facility closed on", N_("The facility is closed that day.")),
    ("facility is open", N_("The facility is not open at that time.")),
    ("a booking is at least", N_("The booking is too short. Book a longer time.")),
    ("bookings go in steps", N_("Choose the start and end times from the lists.")),
    ("has already begun", N_("That time has already begun. Choose a later time.")),
    ("child is not yet 6 months old", N_("The child is not yet 6 months old on that day.")),
    ("child is 3 years old", N_("The child is 3 years old on that day and cannot use the "
                                "scheme any more.")),
    ("child's certification", N_("The child's certificate is not valid on that day.")),
    ("until ", N_("Until the date your municipality set, the child may use only the facility "
                  "decided at application.")),
    ("the child's municipality does not allow", N_("Your municipality does not allow booking "
                                                   "facilities in other municipalities.")),
    ("proposed interview times must be in the future", N_("Suggest times in the future.")),
    ("an interview with this facility was already requested",
     N_("You have already asked this facility for a first interview.")),
)  # fmt: skip


def refusal(response: httpx.Response) -> Refusal:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    text = detail if isinstance(detail, str) else ""
    reason = next((msg for start, msg in EXPLAINED if text.startswith(start)), "")
    return Refusal(_message_ja(response), text, reason)


@dataclass(frozen=True)
class Cell:
    start: str
    end: str
    free: int
    places: int


@dataclass(frozen=True)
class GridDay:
    day: date
    open: bool
    cells: list[Cell]


@dataclass(frozen=True)
class Child:
    child_id: str
    certificate_number: str
    name: str | None = None


@dataclass(frozen=True)
class FacilityPage:
    id: str
    name: str
    address: str
    phone: str
    facility_type: str
    comments: str
    hours: list[tuple[int, str, str]]  # weekday (0 = Monday), open, close
    favourite: bool
    week: date  # its Monday
    days: list[GridDay]
    children: list[Child]
    today: date

    @property
    def starts(self) -> list[str]:
        return sorted({c.start for d in self.days for c in d.cells})

    @property
    def ends(self) -> list[str]:
        return sorted({c.end for d in self.days for c in d.cells})

    @property
    def open_days(self) -> list[date]:
        """Days that can still be booked: open, today or later."""
        return [d.day for d in self.days if d.open and d.day >= self.today]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def children(api: Backends, account: Account, token: str) -> list[Child]:
    return [
        Child(c.child_id, c.certificate_number, c.child_name)
        for c in await certificates(api, account, token)
        if c.status == "active"
    ]


async def facility(
    api: Backends, account: Account, token: str, facility_id: str, week: date, today: date
) -> FacilityPage:
    """BackendNotFound when the guardian may not see it (booking decides)."""
    body = await api.booking.get(f"/v1/facilities/{facility_id}", token)
    grid, favourites, kids = await asyncio.gather(
        api.booking.get(
            f"/v1/facilities/{facility_id}/availability",
            token,
            {"from": week.isoformat(), "to": (week + timedelta(days=6)).isoformat()},
        ),
        api.booking.get("/v1/facilities", token, {"favourites": "true"}),
        children(api, account, token),
    )
    hours_in = body.get("opening_hours") or {}
    hours = [
        (int(k), str(v["open"])[:5], str(v["close"])[:5])
        for k, v in sorted(hours_in.items(), key=lambda kv: int(kv[0]))
        if k in WEEKDAY_KEYS and isinstance(v, dict)
    ]
    return FacilityPage(
        id=str(body["id"]),
        name=str(body["name"]),
        address=str(body.get("address") or ""),
        phone=str(body.get("phone") or ""),
        facility_type=str(body.get("facility_type") or ""),
        comments=str(body.get("comments") or ""),
        hours=hours,
        favourite=any(str(f["id"]) == str(body["id"]) for f in favourites),
        week=week,
        days=[
            GridDay(
                day=date.fromisoformat(str(d["date"])),
                open=bool(d["open"]),
                cells=[
                    Cell(str(c["start"]), str(c["end"]), int(c["free"]), int(c["places"]))
                    for c in d["cells"]
                ],
            )
            for d in grid["days"]
        ],
        children=kids,
        today=today,
    )


async def set_favourite(api: Backends, token: str, facility_id: str, *, on: bool) -> None:
    response = await api.booking.send(
        "PUT" if on else "DELETE", f"/v1/favourites/{facility_id}", token
    )
    if response.status_code in (403, 404):
        raise BackendNotFound(facility_id)
    if response.status_code >= 400:
        raise BackendRefused(f"favourite: {response.status_code}")


async def book(
    api: Backends, token: str, facility_id: str, child_id: str, day: str, start: str, end: str
) -> str | Refusal:
    """The new booking's id, or why not."""
    response = await api.booking.send(
        "POST",
        "/v1/bookings",
        token,
        json={
            "facility_id": facility_id,
            "child_id": child_id,
            "use_date": day,
            "start": start,
            "end": end,
            "kind": "flexible",
        },
    )
    if response.status_code == 201:
        return str(response.json()["id"])
    return refusal(response)


async def deadline_if_booked(
    api: Backends, token: str, facility_id: str, day: str, start: str
) -> datetime | None:
    """The free-cancellation deadline a booking of ``day`` from ``start`` would have (booking's
    preview, by the facility's municipality's rule); None if it cannot be told now (the
    booking itself then says what is wrong)."""
    try:
        facility = await api.booking.get(f"/v1/facilities/{facility_id}", token)
        limit = await api.booking.get(
            f"/v1/municipalities/{facility['municipality']}/cancellation-deadline",
            token,
            {"facility_id": facility_id, "start": f"{day}T{start}"},
        )
    except (BackendNotFound, BackendRefused, KeyError):
        return None
    return datetime.fromisoformat(str(limit["deadline"]))


async def request_interview(
    api: Backends, token: str, facility_id: str, child_id: str, times: list[datetime]
) -> str | Refusal:
    response = await api.booking.send(
        "POST",
        "/v1/interviews",
        token,
        json={
            "facility_id": facility_id,
            "child_id": child_id,
            "proposed_times": [t.isoformat() for t in times],
        },
    )
    if response.status_code == 201:
        return str(response.json()["id"])
    return refusal(response)


# -- a booking's page -----------------------------------------------------------------------


@dataclass(frozen=True)
class BookingPage:
    id: str
    facility_id: str
    facility_name: str
    kind: str
    status: str
    use_date: date | None
    start: str
    end: str
    held_minutes: int
    consumed_minutes: int
    cancel_reason: str
    deadline: datetime | None
    cancellable: bool

    def late(self, now: datetime) -> bool:
        return self.deadline is not None and now > self.deadline


async def booking(api: Backends, token: str, booking_id: str) -> BookingPage:
    """BackendNotFound for a missing booking and for another family's (booking decides)."""
    body = await api.booking.get(f"/v1/bookings/{booking_id}", token)
    cancellable = str(body["status"]) == "confirmed"
    deadline: datetime | None = None
    name_task = facility_name(api, token, str(body["facility_id"]))
    if cancellable:
        name, limit = await asyncio.gather(
            name_task, api.booking.get(f"/v1/bookings/{booking_id}/cancellation-deadline", token)
        )
        deadline = datetime.fromisoformat(str(limit["deadline"]))
    else:
        name = await name_task
    return BookingPage(
        id=str(body["id"]),
        facility_id=str(body["facility_id"]),
        facility_name=name,
        kind=str(body["kind"]),
        status=str(body["status"]),
        use_date=date.fromisoformat(str(body["use_date"])) if body.get("use_date") else None,
        start=str(body.get("start") or ""),
        end=str(body.get("end") or ""),
        held_minutes=int(body.get("held_minutes") or 0),
        consumed_minutes=int(body.get("consumed_minutes") or 0),
        cancel_reason=str(body.get("cancel_reason") or ""),
        deadline=deadline,
        cancellable=cancellable,
    )


async def cancel(api: Backends, token: str, booking_id: str, reason: str) -> Refusal | None:
    response = await api.booking.send(
        "POST", f"/v1/bookings/{booking_id}/cancel", token, json={"reason": reason}
    )
    if response.status_code == 200:
        return None
    if response.status_code in (403, 404):
        raise BackendNotFound(booking_id)
    return refusal(response)


# -- 初回面談 -----------------------------------------------------------------------------------


async def cancel_interview(
    api: Backends, token: str, interview_id: str, reason: str
) -> Refusal | None:
    response = await api.booking.send(
        "POST", f"/v1/interviews/{interview_id}/cancel", token, json={"reason": reason}
    )
    if response.status_code == 200:
        return None
    if response.status_code in (403, 404):
        raise BackendNotFound(interview_id)
    return refusal(response)


@dataclass(frozen=True)
class Interview:
    id: str
    facility_id: str
    facility_name: str
    child_id: str
    status: str
    starts_at: datetime | None
    proposed_times: list[datetime]


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


async def interviews(api: Backends, token: str) -> list[Interview]:
    found = await api.booking.get("/v1/interviews", token)
    names = await facility_names(api, token, {str(i["facility_id"]) for i in found})
    out = [
        Interview(
            id=str(i["id"]),
            facility_id=str(i["facility_id"]),
            facility_name=names.get(str(i["facility_id"]), ""),
            child_id=str(i.get("child_id") or ""),
            status=str(i.get("status") or ""),
            starts_at=_instant(i.get("starts_at") or i.get("scheduled_at")),
            proposed_times=[t for t in (_instant(p) for p in i.get("proposed_times") or []) if t],
        )
        for i in found
    ]
    out.sort(key=lambda i: (i.starts_at is None, i.starts_at or datetime.max.astimezone()))
    return out

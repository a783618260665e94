"""利用枠と開所時間 for the facility's staff: the week in force, the later ones, and a new week
from a date — previewed (who no longer fits) before booking applies it with the preview's
fingerprint. Always the staff token's own facility (``account.facility_id``), never an id
from a form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound, BackendRefused
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.bookings import Booking, booking_from
from tsuen_portal.service_layer.staff.calls import act

WEEK = range(7)


@dataclass(frozen=True)
class Day:
    """One weekday of a week: hours (None when closed) and places per slot."""

    weekday: int
    open: str | None
    close: str | None
    places_min: int | None
    places_max: int | None

    @property
    def places(self) -> str:
        if self.places_min is None:
            return ""
        if self.places_min == self.places_max:
            return str(self.places_min)
        return f"{self.places_min}–{self.places_max}"


@dataclass(frozen=True)
class Week:
    effective_from: date | None
    days: list[Day]


@dataclass(frozen=True)
class Weeks:
    current: Week
    later: list[Week]


@dataclass(frozen=True)
class Affected:
    booking: Booking
    misfit: str  # outside_hours | over_places (booking's domain/capacity.py)


@dataclass(frozen=True)
class Preview:
    effective_from: date
    week: Week
    bookings: list[Affected]
    fingerprint: str


@dataclass(frozen=True)
class Changed:
    effective_from: date
    cancelled: list[Affected]


def _week(body: dict[str, Any]) -> Week:
    return Week(
        effective_from=(
            date.fromisoformat(str(body["effective_from"])) if body.get("effective_from") else None
        ),
        days=[
            Day(
                weekday=int(d["weekday"]),
                open=d.get("open"),
                close=d.get("close"),
                places_min=d.get("places_min"),
                places_max=d.get("places_max"),
            )
            for d in body.get("days", [])
        ],
    )


def _affected(items: list[dict[str, Any]]) -> list[Affected]:
    return [Affected(booking_from(b), str(b.get("misfit", ""))) for b in items]


def _hours(opens: time, closes: time) -> range:
    """The hours a day's places are given for (an hour begun before closing counts)."""
    return range(opens.hour, closes.hour + (closes.minute > 0))


def week_body(first: date, days: dict[int, tuple[time, time, int]]) -> dict[str, Any]:
    """Booking's new week from what staff entered: weekday → (opens, closes, places per slot).

    The fewest places entered is the default; a weekday with more carries its figure for each
    of its hours, so booking holds exactly what the form showed.
    """
    default = min(p for _, _, p in days.values())
    return {
        "effective_from": first.isoformat(),
        "opening_hours": {
            str(d): {"open": o.strftime("%H:%M"), "close": c.strftime("%H:%M")}
            for d, (o, c, _) in sorted(days.items())
        },
        "places_per_slot": default,
        "places_by_weekday": {
            str(d): {str(h): p for h in _hours(o, c)}
            for d, (o, c, p) in sorted(days.items())
            if p != default
        },
    }


async def weeks(api: Backends, account: Account, token: str) -> Weeks:
    response = await api.booking.send("GET", f"/v1/facilities/{account.facility_id}/weeks", token)
    if response.status_code in (403, 404):
        raise BackendNotFound(str(account.facility_id))
    if response.status_code >= 400:
        raise BackendRefused(f"weeks: {response.status_code}")
    body = response.json()
    return Weeks(current=_week(body["current"]), later=[_week(w) for w in body["later"]])


async def preview(api: Backends, account: Account, token: str, week: dict[str, Any]) -> Preview:
    """Who the new week would cancel; nothing changes (a refusal → staff.Refused)."""
    body = await act(
        api.booking, "POST", f"/v1/facilities/{account.facility_id}/weeks/preview", token, week
    )
    return Preview(
        effective_from=date.fromisoformat(str(body["effective_from"])),
        week=_week(body["week"]),
        bookings=_affected(body["bookings"]),
        fingerprint=str(body["fingerprint"]),
    )


async def apply(
    api: Backends,
    account: Account,
    token: str,
    week: dict[str, Any],
    *,
    reason: str,
    fingerprint: str,
) -> Changed:
    """The new week, cancelling exactly the previewed bookings (409 → staff.Refused)."""
    body = await act(
        api.booking,
        "POST",
        f"/v1/facilities/{account.facility_id}/weeks",
        token,
        {**week, "reason": reason, "fingerprint": fingerprint},
    )
    return Changed(
        effective_from=date.fromisoformat(str(body["effective_from"])),
        cancelled=_affected(body["cancelled"]),
    )

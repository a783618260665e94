"""The facility's month report for its staff: attendance's per-child counts, and its CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import attendance_api


@dataclass(frozen=True)
class ChildMonth:
    child_name: str
    bookings: int
    booked_minutes: int
    attended: int
    no_shows: int
    late_pickups: int
    late_minutes: int


def months_back(today: date, count: int = 6) -> list[str]:
    """This month and the ones before it, newest first: 2026-12, 2026-11, …"""
    out = []
    year, month = today.year, today.month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


async def month(api: Backends, account: Account, token: str, chosen: str) -> list[ChildMonth]:
    body = await attendance_api(api).get(
        f"/v1/facilities/{account.facility_id}/report", token, {"month": chosen}
    )
    return [
        ChildMonth(
            child_name=str(line.get("child_name") or ""),
            bookings=int(line["bookings"]),
            booked_minutes=int(line["booked_minutes"]),
            attended=int(line["attended"]),
            no_shows=int(line["no_shows"]),
            late_pickups=int(line["late_pickups"]),
            late_minutes=int(line["late_minutes"]),
        )
        for line in body
    ]


async def month_csv(api: Backends, account: Account, token: str, chosen: str) -> bytes:
    response = await attendance_api(api).send(
        "GET", f"/v1/facilities/{account.facility_id}/report.csv", token, params={"month": chosen}
    )
    if response.status_code != 200:
        raise BackendNotFound(str(response.request.url.path))
    return response.content

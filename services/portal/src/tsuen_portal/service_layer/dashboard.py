"""The municipality's dashboard with the officer's token: eligibility's counts (applications,
certifications, hours available), and per facility of the municipality attendance's month
report (bookings, booked hours, visits, no-shows, late pickups), this month and five before."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from tsuen_portal.domain.dashboard import FacilityMonth, facility_month, totals
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import attendance_api

# Calls to attendance at once: a municipality may have dozens of facilities.
PARALLEL_REPORTS = 8


@dataclass(frozen=True)
class Dashboard:
    month: str
    applications: dict[str, int]
    certifications_valid: int
    minutes_available: int
    facilities: list[FacilityMonth]
    total: FacilityMonth
    trend: list[tuple[str, int]]  # (month, booked minutes) oldest first


async def _facilities(api: Backends, account: Account, token: str) -> list[tuple[str, str]]:
    body = await api.booking.get("/v1/facilities", token, {"municipality": account.municipality})
    return sorted(((str(f["id"]), str(f["name"])) for f in body), key=lambda f: f[1])


async def build(
    api: Backends, account: Account, token: str, month: str, trend_months: list[str]
) -> Dashboard:
    attendance = attendance_api(api)
    facilities = await _facilities(api, account, token)
    gate = asyncio.Semaphore(PARALLEL_REPORTS)

    async def report(facility_id: str, name: str, chosen: str) -> FacilityMonth:
        async with gate:
            lines: list[dict[str, Any]] = await attendance.get(
                f"/v1/facilities/{facility_id}/report", token, {"month": chosen}
            )
        return facility_month(facility_id, name, lines)

    months = [month, *(m for m in trend_months if m != month)]
    stats, *by_month = await asyncio.gather(
        api.eligibility.get(
            f"/v1/municipalities/{account.municipality}/stats", token, {"month": month}
        ),
        *(asyncio.gather(*(report(fid, name, m) for fid, name in facilities)) for m in months),
    )
    chosen_rows = list(by_month[0])
    booked = {
        m: totals(list(rows)).booked_minutes for m, rows in zip(months, by_month, strict=True)
    }
    return Dashboard(
        month=month,
        applications={str(k): int(v) for k, v in stats["applications"].items()},
        certifications_valid=int(stats["certifications_valid"]),
        minutes_available=int(stats["minutes_available"]),
        facilities=chosen_rows,
        total=totals(chosen_rows),
        trend=[(m, booked[m]) for m in sorted(booked)],
    )

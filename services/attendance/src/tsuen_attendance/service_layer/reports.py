"""The facility's month report (domain/report.py): staff of the facility, or an officer for
their municipality's children at it."""

from __future__ import annotations

import uuid
from datetime import date

from tsuen_attendance.adapters import repository as repo
from tsuen_attendance.domain.report import ChildMonth, month_report
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_attendance.service_layer.tenancy import FACILITY_NOT_FOUND_JA, NotFound, sees_facility
from tsuen_common.auth import Principal, Role


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' → (2026-11-01, 2026-12-01); ValueError for anything else."""
    year, _, mon = month.partition("-")
    first = date(int(year), int(mon), 1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


async def facility_month(
    service: AttendanceService, *, viewer: Principal, facility_id: uuid.UUID, month: str
) -> list[ChildMonth]:
    if not sees_facility(viewer, None, facility_id):
        raise NotFound(f"no facility {facility_id}", message_ja=FACILITY_NOT_FOUND_JA)
    first, following = month_bounds(month)
    # Officers see their own municipality's children only; staff see their facility.
    municipality = viewer.municipality if viewer.role is Role.MUNICIPALITY_OFFICER else None
    async with service.sessions() as session:
        records = await repo.visits_of_facility_between(
            session, facility_id, first, following, municipality=municipality
        )
    return month_report(((r.visit, r.child_name or "") for r in records), service.now())

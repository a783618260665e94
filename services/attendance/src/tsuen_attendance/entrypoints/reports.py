"""The facility's month report over HTTP (domain/report.py): JSON and CSV."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from tsuen_attendance.domain.report import report_csv
from tsuen_attendance.entrypoints.api import _require_role
from tsuen_attendance.entrypoints.deps import BearerCaller, ServiceDep
from tsuen_attendance.service_layer import reports
from tsuen_common.auth import Role
from tsuen_common.problems import error_responses

router = APIRouter(prefix="/v1", tags=["attendance"])


class ChildMonthOut(BaseModel):
    child_id: uuid.UUID
    child_name: str
    bookings: int
    booked_minutes: int
    attended: int
    no_shows: int
    late_pickups: int
    late_minutes: int
    penalty_minutes: int
    days: list[date]


MonthParam = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM")]


@router.get(
    "/facilities/{facility_id}/report",
    summary="The facility's month: per child bookings, visits, late pickups, no-shows",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def month_report(
    facility_id: uuid.UUID, month: MonthParam, caller: BearerCaller, service: ServiceDep
) -> list[ChildMonthOut]:
    _require_role(caller, Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)
    lines = await reports.facility_month(
        service, viewer=caller, facility_id=facility_id, month=month
    )
    return [
        ChildMonthOut(
            **{k: v for k, v in vars(line).items() if k != "days"},
            days=sorted(date.fromisoformat(d) for d in line.days),
        )
        for line in lines
    ]


@router.get(
    "/facilities/{facility_id}/report.csv",
    summary="The month report as CSV (UTF-8 with BOM; columns in docs/attendance.md)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "the report"},
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def month_report_csv(
    facility_id: uuid.UUID, month: MonthParam, caller: BearerCaller, service: ServiceDep
) -> Response:
    _require_role(caller, Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)
    lines = await reports.facility_month(
        service, viewer=caller, facility_id=facility_id, month=month
    )
    return Response(
        report_csv(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{month}.csv"'},
    )

"""The staff's roster page: today's visits of the facility with 代理登録 for a guardian who
cannot scan."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tsuen_attendance.domain.times import jst_day
from tsuen_attendance.domain.visits import AttendanceError, VisitStatus
from tsuen_attendance.entrypoints.deps import ServiceDep
from tsuen_attendance.entrypoints.pages.common import (
    login_redirect,
    page_caller,
    read_form,
    render,
    visit_view,
)
from tsuen_attendance.service_layer.registrations import StaffAction
from tsuen_attendance.service_layer.tenancy import NotFound
from tsuen_common.auth import Principal, Role

router = APIRouter(include_in_schema=False)


def _staff_of(request: Request, facility_id: uuid.UUID) -> Principal | None:
    caller = page_caller(request)
    if (
        caller is None
        or caller.role is not Role.FACILITY_STAFF
        or caller.facility_id != str(facility_id)
    ):
        return None
    return caller


async def _roster_page(
    request: Request,
    service: ServiceDep,
    facility_id: uuid.UUID,
    staff: Principal,
    *,
    status_code: int = 200,
    **result: Any,
) -> HTMLResponse:
    now = service.now()
    view = await service.roster(viewer=staff, facility_id=facility_id)
    lines = []
    for line in view.roster.lines:
        record = view.records[line.visit.booking_id]
        lines.append(
            {
                **visit_view(record, now),
                "late_pickup": line.late_pickup,
                "in_by": record.checked_in_by_staff,
                "out_by": record.checked_out_by_staff,
            }
        )
    return render(
        "roster.html",
        status_code=status_code,
        facility_id=str(facility_id),
        facility_name=await service.facility_name(facility_id),
        day=jst_day(now).isoformat(),
        counts={
            "expected": view.roster.count(VisitStatus.EXPECTED),
            "arrived": view.roster.count(VisitStatus.IN_USE),
            "left": view.roster.count(VisitStatus.LEFT),
            "late": view.roster.late,
            "no_show": view.roster.count(VisitStatus.NO_SHOW),
        },
        lines=lines,
        message=result.get("message"),
        ok=result.get("ok", False),
        code=result.get("code", ""),
    )


@router.get("/facilities/{facility_id}/roster", response_class=HTMLResponse)
async def roster_page(facility_id: uuid.UUID, request: Request, service: ServiceDep) -> Response:
    staff = _staff_of(request, facility_id)
    if staff is None:
        return login_redirect(request)
    return await _roster_page(request, service, facility_id, staff)


@router.post("/facilities/{facility_id}/roster")
async def roster_register(
    facility_id: uuid.UUID, request: Request, service: ServiceDep
) -> Response:
    """代理登録 from the roster: staff register for a guardian who cannot scan."""
    staff = _staff_of(request, facility_id)
    if staff is None:
        return login_redirect(request)
    form = await read_form(request)
    try:
        booking_id = uuid.UUID(form.get("booking_id", ""))
        action = StaffAction(form.get("action", ""))
    except ValueError:
        return await _roster_page(
            request, service, facility_id, staff, status_code=400, code="bad_request",
            message="登録する予約と操作を選んでください。",
        )  # fmt: skip
    try:
        await service.staff_register(
            staff=staff, facility_id=facility_id, booking_id=booking_id, action=action
        )
    except (AttendanceError, NotFound) as exc:
        message = exc.message_ja if isinstance(exc, AttendanceError) else "予約が見つかりません。"
        return await _roster_page(
            request, service, facility_id, staff, status_code=409, code="rejected",
            message=message,
        )  # fmt: skip
    done = "利用開始" if action is StaffAction.CHECK_IN else "利用終了"
    return await _roster_page(
        request, service, facility_id, staff, ok=True, code=str(action),
        message=f"{done}を代理登録しました。",
    )  # fmt: skip

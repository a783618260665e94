"""The guardian's pages: the scan page a facility's code opens (利用開始 / 利用終了) and home
(today's bookings)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tsuen_attendance.domain.codes import CodeError
from tsuen_attendance.domain.times import hhmm
from tsuen_attendance.domain.visits import AttendanceError
from tsuen_attendance.entrypoints.deps import ServiceDep
from tsuen_attendance.entrypoints.pages.common import (
    login_redirect,
    page_caller,
    read_form,
    render,
    visit_view,
)
from tsuen_attendance.service_layer.registrations import Registration, StaffAction
from tsuen_attendance.service_layer.tenancy import NotFound
from tsuen_common.auth import Principal, Role

router = APIRouter(include_in_schema=False)


def _guardian(request: Request) -> Principal | None:
    caller = page_caller(request)
    return caller if caller is not None and caller.role is Role.GUARDIAN else None


def _error_page(exc: Exception) -> HTMLResponse:
    if isinstance(exc, CodeError):
        return render(
            "result.html", status_code=400, ok=False, code=exc.code,
            title="読み取りエラー", message=exc.message_ja,
        )  # fmt: skip
    if isinstance(exc, AttendanceError):
        return render(
            "result.html", status_code=409, ok=False, code=exc.code,
            title="登録できません", message=exc.message_ja,
        )  # fmt: skip
    return render(
        "result.html", status_code=404, ok=False, code="not_found",
        title="ご予約が見つかりません",
        message="このアカウントのご予約ではありません。ご予約した保護者のアカウントでログインしてください。",
    )  # fmt: skip


@router.get("/scan", response_class=HTMLResponse)
async def scan_page(request: Request, service: ServiceDep, t: str = "") -> Response:
    guardian = _guardian(request)
    if guardian is None:
        return login_redirect(request)
    try:
        view = await service.scan(guardian=guardian, token=t)
    except (CodeError, NotFound) as exc:
        return _error_page(exc)
    now = service.now()
    return render(
        "scan.html",
        facility_name=view.facility_name,
        token=view.token,
        visits=[visit_view(r, now) for r in view.visits],
    )


async def _register_from_form(
    request: Request, service: ServiceDep, action: StaffAction
) -> Response:
    guardian = _guardian(request)
    if guardian is None:
        return login_redirect(request)
    form = await read_form(request)
    try:
        booking_id = uuid.UUID(form.get("booking_id", ""))
    except ValueError:
        return render(
            "result.html", status_code=400, ok=False, code="bad_request",
            title="登録できません",
            message="ご予約を特定できませんでした。もう一度2次元コードを読み取ってください。",
        )  # fmt: skip
    token = form.get("t", "")
    try:
        reg: Registration = await (
            service.check_in if action is StaffAction.CHECK_IN else service.check_out
        )(guardian=guardian, token=token, booking_id=booking_id)
    except (CodeError, AttendanceError, NotFound) as exc:
        return _error_page(exc)
    v = reg.record.visit
    if action is StaffAction.CHECK_IN:
        title, message = "利用開始を登録しました", f"利用開始 {hhmm(v.checked_in_at)}(利用中)"
    else:
        title = "利用終了を登録しました"
        message = f"利用終了 {hhmm(v.checked_out_at)}"
        if v.penalty_minutes:
            message += (
                f"。お迎えが予約終了時刻を{v.late_minutes}分過ぎたため、"
                f"{v.penalty_minutes}分の利用が追加で算定されます。"
            )
    return render("result.html", ok=True, code=str(action), title=title, message=message)


@router.post("/scan/check-in")
async def scan_check_in(request: Request, service: ServiceDep) -> Response:
    return await _register_from_form(request, service, StaffAction.CHECK_IN)


@router.post("/scan/check-out")
async def scan_check_out(request: Request, service: ServiceDep) -> Response:
    return await _register_from_form(request, service, StaffAction.CHECK_OUT)


@router.get("/home", response_class=HTMLResponse)
async def home(request: Request, service: ServiceDep) -> Response:
    guardian = _guardian(request)
    if guardian is None:
        return login_redirect(request)
    now = service.now()
    records = await service.guardian_today(guardian=guardian)
    return render("home.html", visits=[visit_view(r, now) for r in records])

"""HTML pages: the facility's wall display, the guardian's scan page and home.

Authentication is the session cookie (:data:`SESSION_COOKIE`) holding a tsuen JWT, set by the
small ``/login`` form (production puts the identity provider's login in front of it). A display
tablet may also be opened once with ``?access_token=<staff JWT>``: the token moves into the
cookie and the browser is redirected to the clean URL, so it does not stay in the address bar.

Forms post ``application/x-www-form-urlencoded`` and are parsed here with the standard library
(no multipart parser needed); SameSite=Lax keeps other sites from posting them with the cookie,
and every state-changing form also carries the rotating code, which only the facility shows.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tsuen_attendance.adapters.repository import VisitRecord
from tsuen_attendance.domain.codes import CodeError
from tsuen_attendance.domain.times import hhmm, jst_day
from tsuen_attendance.domain.visits import AttendanceError, VisitStatus
from tsuen_attendance.entrypoints.api import code_out, require_display
from tsuen_attendance.entrypoints.deps import SESSION_COOKIE, ServiceDep, caller_or_none
from tsuen_attendance.service_layer.registrations import Registration, StaffAction
from tsuen_attendance.service_layer.tenancy import NotFound
from tsuen_common.auth import (
    Forbidden,
    InvalidToken,
    Principal,
    Role,
    Unauthenticated,
    get_token_verifier,
)

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)
_STATUS_LABEL = {
    VisitStatus.EXPECTED: "予約済",
    VisitStatus.IN_USE: "利用中",
    VisitStatus.LEFT: "利用終了",
    VisitStatus.NO_SHOW: "未登園",
    VisitStatus.CANCELLED: "キャンセル",
}
_KIND_LABEL = {"interview": "初回面談", "regular": "定期利用", "flexible": "柔軟利用"}
_MAX_FORM_BYTES = 4096


# Pages show a family's bookings and carry a live code: never cached, never framed by another
# site (a framed button is a click someone else chose), no code in a Referer header.
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        _templates.get_template(name).render(**context),
        status_code=status_code,
        headers=_PAGE_HEADERS,
    )


def _visit_view(record: VisitRecord, now: datetime) -> dict[str, Any]:
    v = record.visit
    state = v.status(now)
    return {
        "booking_id": str(v.booking_id),
        "facility_name": record.facility_name,
        "starts": hhmm(v.starts_at),
        "ends": hhmm(v.ends_at),
        "status": str(state),
        "status_label": _STATUS_LABEL[state],
        "kind_label": _KIND_LABEL.get(record.kind, record.kind),
        "child_name": record.child_name,
        "checked_in": hhmm(v.checked_in_at),
        "checked_out": hhmm(v.checked_out_at),
    }


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _safe_next(value: str | None) -> str:
    # Only a path on this site: an open redirect would let a phishing link borrow our login.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/home"
    return value


def _page_caller(request: Request) -> Principal | None:
    try:
        return caller_or_none(request, allow_cookie=True)
    except Unauthenticated:
        return None  # an expired session: log in again


def _set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.attendance.public_base_url.startswith("https://"),
        path="/",
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="form too large")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


# --- login -----------------------------------------------------------------------------------


# Login CSRF (issue 12, item 6): without it another site could post its own token here and
# sign a guardian into the wrong account. Double-submit: a random value in a SameSite=Strict
# cookie and in the form; a post whose two values differ was not sent from our page.
LOGIN_CSRF_COOKIE = "tsuen_login_csrf"


def _login_form(
    request: Request, *, target: str, message: str | None, status_code: int = 200
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    response = _render(
        "login.html", status_code=status_code, next=target, message=message, csrf=csrf
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=request.app.state.attendance.public_base_url.startswith("https://"),
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/home") -> HTMLResponse:
    return _login_form(request, target=_safe_next(next), message=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    token = form.get("token", "").strip()
    target = _safe_next(form.get("next"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.get("csrf", "")):
        return _login_form(
            request,
            target=target,
            status_code=403,
            message="このフォームは無効になりました。もう一度ログインしてください。",
        )
    try:
        get_token_verifier(request).verify(token)
    except InvalidToken:
        return _login_form(
            request,
            target=target,
            status_code=401,
            message="トークンが無効か期限切れです。新しいトークンでログインしてください。",
        )
    response = RedirectResponse(target, status_code=303)
    _set_session(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


# --- the facility's wall display ---------------------------------------------------------


@router.get("/facilities/{facility_id}/display", response_class=HTMLResponse)
async def display(
    facility_id: uuid.UUID,
    request: Request,
    service: ServiceDep,
    access_token: str | None = None,
) -> Response:
    if access_token:
        # Only a token that verifies becomes a session (a forged one never reaches the cookie).
        try:
            get_token_verifier(request).verify(access_token)
        except InvalidToken:
            return _login_form(
                request,
                target=request.url.path,
                status_code=401,
                message="トークンが無効か期限切れです。新しいトークンでログインしてください。",
            )
        response = RedirectResponse(request.url.path, status_code=303)
        _set_session(request, response, access_token)
        return response
    caller = _page_caller(request)
    if caller is None:
        return _login_redirect(request)
    try:
        require_display(caller, facility_id)
    except (NotFound, Forbidden, HTTPException):
        return _render(
            "result.html",
            status_code=404,
            ok=False,
            code="not_found",
            title="表示できません",
            message="この施設の2次元コードを表示する権限がありません。施設職員のアカウントでログインしてください。",
        )
    code = code_out(await service.current_code(facility_id))
    return _render(
        "display.html",
        facility_name=await service.facility_name(facility_id),
        svg_data_uri=code.svg_data_uri,
        step=code.step,
        refresh_in_ms=code.refresh_in_ms,
        refresh_in_seconds=max(1, code.refresh_in_ms // 1000),
        code_url=f"/v1/facilities/{facility_id}/code",
    )


# --- guardians -------------------------------------------------------------------------------


def _guardian(request: Request) -> Principal | None:
    caller = _page_caller(request)
    return caller if caller is not None and caller.role is Role.GUARDIAN else None


def _error_page(exc: Exception) -> HTMLResponse:
    if isinstance(exc, CodeError):
        return _render(
            "result.html", status_code=400, ok=False, code=exc.code,
            title="読み取りエラー", message=exc.message_ja,
        )  # fmt: skip
    if isinstance(exc, AttendanceError):
        return _render(
            "result.html", status_code=409, ok=False, code=exc.code,
            title="登録できません", message=exc.message_ja,
        )  # fmt: skip
    return _render(
        "result.html", status_code=404, ok=False, code="not_found",
        title="ご予約が見つかりません",
        message="このアカウントのご予約ではありません。ご予約した保護者のアカウントでログインしてください。",
    )  # fmt: skip


@router.get("/scan", response_class=HTMLResponse)
async def scan_page(request: Request, service: ServiceDep, t: str = "") -> Response:
    guardian = _guardian(request)
    if guardian is None:
        return _login_redirect(request)
    try:
        view = await service.scan(guardian=guardian, token=t)
    except (CodeError, NotFound) as exc:
        return _error_page(exc)
    now = service.now()
    return _render(
        "scan.html",
        facility_name=view.facility_name,
        token=view.token,
        visits=[_visit_view(r, now) for r in view.visits],
    )


async def _register_from_form(
    request: Request, service: ServiceDep, action: StaffAction
) -> Response:
    guardian = _guardian(request)
    if guardian is None:
        return _login_redirect(request)
    form = await _form(request)
    try:
        booking_id = uuid.UUID(form.get("booking_id", ""))
    except ValueError:
        return _render(
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
    return _render("result.html", ok=True, code=str(action), title=title, message=message)


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
        return _login_redirect(request)
    now = service.now()
    records = await service.guardian_today(guardian=guardian)
    return _render("home.html", visits=[_visit_view(r, now) for r in records])


# --- staff: today's roster with 代理登録 ---------------------------------------------------------


def _staff_of(request: Request, facility_id: uuid.UUID) -> Principal | None:
    caller = _page_caller(request)
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
                **_visit_view(record, now),
                "late_pickup": line.late_pickup,
                "in_by": record.checked_in_by_staff,
                "out_by": record.checked_out_by_staff,
            }
        )
    return _render(
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
        return _login_redirect(request)
    return await _roster_page(request, service, facility_id, staff)


@router.post("/facilities/{facility_id}/roster")
async def roster_register(
    facility_id: uuid.UUID, request: Request, service: ServiceDep
) -> Response:
    """代理登録 from the roster: staff register for a guardian who cannot scan."""
    staff = _staff_of(request, facility_id)
    if staff is None:
        return _login_redirect(request)
    form = await _form(request)
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

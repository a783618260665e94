"""What every page shares: the templates, rendering with the page headers, a visit as the
templates show it, the session cookie, the login redirect and reading a posted form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tsuen_attendance.adapters.repository import VisitRecord
from tsuen_attendance.domain.times import hhmm
from tsuen_attendance.domain.visits import VisitStatus
from tsuen_attendance.entrypoints.deps import SESSION_COOKIE, caller_or_none
from tsuen_common.auth import Principal, Unauthenticated

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
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


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        _templates.get_template(name).render(**context),
        status_code=status_code,
        headers=_PAGE_HEADERS,
    )


def visit_view(record: VisitRecord, now: datetime) -> dict[str, Any]:
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


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    # Only a path on this site: an open redirect would let a phishing link borrow our login.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/home"
    return value


def page_caller(request: Request) -> Principal | None:
    try:
        return caller_or_none(request, allow_cookie=True)
    except Unauthenticated:
        return None  # an expired session: log in again


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.attendance.public_base_url.startswith("https://"),
        path="/",
    )


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="form too large")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}

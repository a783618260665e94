"""The facility's wall display: the current 2D code, for staff of that facility. A tablet may be
opened once with ``?access_token=<staff JWT>``: the token moves into the cookie and the browser
is redirected to the clean URL, so it does not stay in the address bar."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tsuen_attendance.entrypoints.api import code_out, require_display
from tsuen_attendance.entrypoints.deps import ServiceDep
from tsuen_attendance.entrypoints.pages.common import (
    login_redirect,
    page_caller,
    render,
    set_session,
)
from tsuen_attendance.entrypoints.pages.login import login_form
from tsuen_attendance.service_layer.tenancy import NotFound
from tsuen_common.auth import Forbidden, InvalidToken, get_token_verifier

router = APIRouter(include_in_schema=False)


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
            return login_form(
                request,
                target=request.url.path,
                status_code=401,
                message="トークンが無効か期限切れです。新しいトークンでログインしてください。",
            )
        response = RedirectResponse(request.url.path, status_code=303)
        set_session(request, response, access_token)
        return response
    caller = page_caller(request)
    if caller is None:
        return login_redirect(request)
    try:
        require_display(caller, facility_id)
    except (NotFound, Forbidden, HTTPException):
        return render(
            "result.html",
            status_code=404,
            ok=False,
            code="not_found",
            title="表示できません",
            message="この施設の2次元コードを表示する権限がありません。施設職員のアカウントでログインしてください。",
        )
    code = code_out(await service.current_code(facility_id))
    return render(
        "display.html",
        facility_name=await service.facility_name(facility_id),
        svg_data_uri=code.svg_data_uri,
        step=code.step,
        refresh_in_ms=code.refresh_in_ms,
        refresh_in_seconds=max(1, code.refresh_in_ms // 1000),
        code_url=f"/v1/facilities/{facility_id}/code",
    )

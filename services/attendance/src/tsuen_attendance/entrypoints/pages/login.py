"""The small ``/login`` form: a tsuen JWT becomes the session cookie (production puts the
identity provider's login in front of it)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tsuen_attendance.entrypoints.pages.common import read_form, render, safe_next, set_session
from tsuen_common.auth import InvalidToken, get_token_verifier

router = APIRouter(include_in_schema=False)

# Login CSRF (issue 12, item 6): without it another site could post its own token here and
# sign a guardian into the wrong account. Double-submit: a random value in a SameSite=Strict
# cookie and in the form; a post whose two values differ was not sent from our page.
LOGIN_CSRF_COOKIE = "tsuen_login_csrf"


def login_form(
    request: Request, *, target: str, message: str | None, status_code: int = 200
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    response = render(
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
    return login_form(request, target=safe_next(next), message=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    token = form.get("token", "").strip()
    target = safe_next(form.get("next"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.get("csrf", "")):
        return login_form(
            request,
            target=target,
            status_code=403,
            message="このフォームは無効になりました。もう一度ログインしてください。",
        )
    try:
        get_token_verifier(request).verify(token)
    except InvalidToken:
        return login_form(
            request,
            target=target,
            status_code=401,
            message="トークンが無効か期限切れです。新しいトークンでログインしてください。",
        )
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response

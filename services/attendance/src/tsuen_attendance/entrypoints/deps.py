"""What the routers share: the use-case object and the caller (bearer header or session cookie).

Pages on a phone or a wall tablet cannot send an ``Authorization`` header on navigation, so they
carry the same tsuen JWT in an HttpOnly cookie (:data:`SESSION_COOKIE`, SameSite=Lax, so a
cross-site form cannot use it). JSON endpoints that change state accept the bearer header only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_common.auth import InvalidToken, Principal, Unauthenticated, get_token_verifier

SESSION_COOKIE = "tsuen_session"


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_service(request: Request) -> AttendanceService:
    service: AttendanceService = request.app.state.attendance
    return service


ServiceDep = Annotated[AttendanceService, Depends(get_service)]


def caller_or_none(request: Request, *, allow_cookie: bool) -> Principal | None:
    """The verified caller, None if no credential was sent; 401 if one was sent and is bad."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    if token is None and allow_cookie:
        token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return get_token_verifier(request).verify(token)
    except InvalidToken as exc:
        raise Unauthenticated(
            f"{exc}; log in again", challenge='Bearer error="invalid_token"'
        ) from exc


def _required(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("missing bearer token")
    return principal


async def bearer_caller(request: Request) -> Principal:
    return _required(caller_or_none(request, allow_cookie=False))


async def bearer_or_cookie_caller(request: Request) -> Principal:
    return _required(caller_or_none(request, allow_cookie=True))


BearerCaller = Annotated[Principal, Depends(bearer_caller)]
AnyCaller = Annotated[Principal, Depends(bearer_or_cookie_caller)]

"""FastAPI wiring: one verifier per app, a principal per request.

Wire an app once at startup::

    app = FastAPI()
    configure_auth(app, TokenVerifier.from_settings(settings))

then ask for the caller in a route::

    OfficerDep = Annotated[Principal, Depends(require_roles(Role.MUNICIPALITY_OFFICER))]

    @router.get("/municipalities/{code}/bookings")
    async def list_bookings(code: str, principal: OfficerDep) -> ...:
        principal.require_municipality(code)  # Forbidden -> 403, via configure_auth

``configure_auth`` is the only supported way in: it stores the verifier on
``app.state.token_verifier`` and maps :class:`Forbidden` to 403, so routes can use the
``Principal.require_*`` checks without catching anything. Tests swap the verifier by calling
``configure_auth`` with one of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tsuen_common.auth.errors import Forbidden, InvalidToken
from tsuen_common.auth.principal import Principal, Role
from tsuen_common.auth.verifier import TokenVerifier
from tsuen_common.errors import FORBIDDEN_JA, UNAUTHORIZED_JA, error_body

# auto_error=False: FastAPI's own error lacks the RFC 6750 error code, so we raise our own.
_bearer = HTTPBearer(auto_error=False, description="A tsuen JWT: `Authorization: Bearer <token>`")


class Unauthenticated(Exception):
    """No bearer token, or one that does not verify: 401 with ``WWW-Authenticate``."""

    def __init__(self, detail: str, *, challenge: str = "Bearer") -> None:
        super().__init__(detail)
        self.challenge = challenge


def configure_auth(app: FastAPI, verifier: TokenVerifier) -> None:
    app.state.token_verifier = verifier
    app.add_exception_handler(Forbidden, _forbidden_to_403)
    app.add_exception_handler(Unauthenticated, _unauthenticated_to_401)


def get_token_verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        # A wiring mistake, not the caller's fault: fail loudly as a 500.
        raise RuntimeError("auth is not configured: call configure_auth(app, verifier) at startup")
    return verifier


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 with ``WWW-Authenticate: Bearer`` if there is none."""
    verifier = get_token_verifier(request)
    if credentials is None:
        raise Unauthenticated("missing bearer token")
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise Unauthenticated(str(exc), challenge='Bearer error="invalid_token"') from exc


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only these roles through (403 otherwise).

    Platform admins are not let through implicitly: list ``Role.PLATFORM_ADMIN`` if they may.
    """
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)
    allowed_text = ", ".join(sorted(allowed))

    async def principal_with_role(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role '{principal.role}' may not do this; allowed: {allowed_text}")
        return principal

    return principal_with_role


# The officer of a municipality (or a platform admin): the same door in every service.
OfficerDep = Annotated[
    Principal, Depends(require_roles(Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN))
]
# A municipality in a path: its six-digit 全国地方公共団体コード; anything else is a 422.
MunicipalityCode = Annotated[
    str, Path(pattern=r"^\d{6}$", description="全国地方公共団体コード, e.g. 131016")
]


async def _forbidden_to_403(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_403_FORBIDDEN,
        content=error_body(str(exc), "forbidden", FORBIDDEN_JA),
    )


async def _unauthenticated_to_401(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unauthenticated)
    return JSONResponse(
        status_code=status.HTTP_401_UNAUTHORIZED,
        content=error_body(str(exc), "unauthenticated", UNAUTHORIZED_JA),
        headers={"WWW-Authenticate": exc.challenge},
    )

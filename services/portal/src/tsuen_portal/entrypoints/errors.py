"""Error pages in the visitor's language: 403 (also a refused CSRF token), 404, 500, 503."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tsuen_common.logging import get_logger
from tsuen_portal.adapters.backends import BackendRefused, BackendUnavailable
from tsuen_portal.entrypoints.web import CsrfRefused, LoginRequired, Page, page_of, portal_of

log = get_logger(__name__)


async def _error_page(request: Request, status_code: int, kind: str) -> Response:
    try:
        page = await page_of(request)  # a signed-in user keeps the menu and the logout button
    except Exception:  # the database itself may be what failed
        page = Page(request, portal_of(request), None)
    return await page.render("error.html", status_code, kind=kind)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, LoginRequired):
        return RedirectResponse(exc.target, status_code=303)
    if isinstance(exc, CsrfRefused):
        log.info("form refused: CSRF token missing or wrong", path=request.url.path)
        return await _error_page(request, 403, "csrf")
    code = exc.status_code
    kind = {403: "forbidden", 404: "not_found", 405: "not_found", 413: "too_large"}.get(
        code, "server"
    )
    return await _error_page(request, code if kind != "server" else 500, kind)


async def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("a backend service is unavailable", path=request.url.path, error=str(exc))
    response = await _error_page(request, 503, "unavailable")
    response.headers["Retry-After"] = "5"
    return response


async def _refused(request: Request, exc: Exception) -> Response:
    log.error("a backend refused the portal's request", path=request.url.path, error=str(exc))
    return await _error_page(request, 500, "server")


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on a page", path=request.url.path)
    return await _error_page(request, 500, "server")


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(BackendUnavailable, _unavailable)
    app.add_exception_handler(BackendRefused, _refused)
    app.add_exception_handler(Exception, _server_error)

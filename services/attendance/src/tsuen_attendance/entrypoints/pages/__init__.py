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

from fastapi import APIRouter

from tsuen_attendance.entrypoints.pages import display, guardians, login, roster

router = APIRouter(include_in_schema=False)
for area in (login, display, guardians, roster):
    router.include_router(area.router)

"""Who may open a page, for every page module: the signed-in guardian, facility staff member or
officer, each with a fresh access token for the services. Signed out (or a session identity no
longer honours): the login page; anyone else: the 403 page. An id from a URL or a form that is
not a UUID is the same 404 as an unknown one."""

from __future__ import annotations

import uuid

from fastapi import HTTPException, status

from tsuen_portal.adapters.backends import BackendUnauthorized
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.web import LoginRequired, Page, login_url, signed_in_as
from tsuen_portal.service_layer.officer import OFFICER
from tsuen_portal.service_layer.staff.calls import STAFF

GUARDIAN = "guardian"


async def guardian_token(page: Page, *, only_guardians: bool = False) -> tuple[Account, str]:
    """The signed-in account and a fresh access token, or off to the login page; with
    ``only_guardians`` staff and officers get the 403 page (their screens come later)."""
    session = page.session
    if session is None or not session.signed_in or session.account is None:
        raise LoginRequired(login_url(page.request))
    if only_guardians and session.account.role != GUARDIAN:
        raise HTTPException(status.HTTP_403_FORBIDDEN)
    try:
        token = await page.portal.sessions.access_token(session, page.client_ip)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return session.account, token


async def staff_token(page: Page) -> tuple[Account, str]:
    """The signed-in staff member and a fresh access token; others get the 403 page."""
    return await signed_in_as(page, STAFF, tenant="facility_id")


async def officer_token(page: Page) -> tuple[Account, str]:
    """The signed-in officer and a fresh access token; anyone else gets the 403 page."""
    return await signed_in_as(page, OFFICER, tenant="municipality")


def uuid_or_404(value: str) -> str:
    """An id from a URL or a form; anything else is the same 404 as an unknown id."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None

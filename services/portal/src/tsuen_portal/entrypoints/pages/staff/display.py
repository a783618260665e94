"""The facility's 2D code (二次元コード) on the entrance tablet, opened from the staff's portal
session: the portal asks attendance for the current code with the staff member's token and the
page reloads itself when the code turns (static/display.js; without scripts a button does
it). No token reaches the browser. Guardians scan it with their phone to register arrival
and pickup.

Parents stand at that tablet, so the staff member turns the session into the tablet's own
(「この端末を玄関の表示専用にする」, :data:`~tsuen_portal.domain.sessions.ENTRANCE_DISPLAY`): no
menu, and every other page answers 403 until someone logs out and in again."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendUnauthorized
from tsuen_portal.domain.sessions import ENTRANCE_DISPLAY
from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.web import LoginRequired, Page, PageDep, login_url
from tsuen_portal.service_layer.staff.calls import STAFF, attendance_api

router = APIRouter(prefix="/staff", include_in_schema=False)


async def _display_token(page: Page) -> tuple[str, str, bool]:
    """The facility, a fresh token and whether the session is the tablet's: staff, or a
    session kept to this page; anyone else gets the 403 page."""
    session = page.session
    if session is None or not session.signed_in or session.account is None:
        raise LoginRequired(login_url(page.request))
    account = session.account
    if account.role not in (STAFF, ENTRANCE_DISPLAY) or not account.facility_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN)
    try:
        token = await page.portal.sessions.access_token(session, page.client_ip)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return account.facility_id, token, account.role == ENTRANCE_DISPLAY


@router.get("/display")
async def display(page: PageDep) -> Response:
    facility_id, token, kept = await _display_token(page)
    code = await attendance_api(page.portal.backends).get(
        f"/v1/facilities/{facility_id}/code", token
    )
    # Reload just after the code turns (at most 5 s away, so a clock skew cannot strand it).
    refresh_ms = max(500, min(5000, int(code["refresh_in_ms"]) + 300))
    return await page.render(
        "staff_display.html",
        qr=str(code["svg_data_uri"]),
        refresh_ms=refresh_ms,
        step=int(code["step"]),
        entrance_only=kept,
    )


@router.post("/display/entrance")
async def keep_to_entrance(page: PageDep) -> Response:
    """「この端末を玄関の表示専用にする」 (staff only; CSRF like every form)."""
    await staff_token(page)
    await page.form()
    assert page.session is not None  # staff_token saw it signed in
    try:
        await page.portal.sessions.keep_to_entrance_display(page.session)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return page.redirect("/staff/display")


@router.get("/display/entrance")
async def entrance_form_address(page: PageDep) -> Response:
    return page.redirect("/staff/display")

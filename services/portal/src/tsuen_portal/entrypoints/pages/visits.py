"""利用開始/終了: the page the facility's 2D code opens, and 本日のご利用 (利用中).

The code's URL is this site's ``/scan?t=…`` (attendance's ``TSUEN_PUBLIC_BASE_URL`` is the
portal's address), so the guardian's own session carries the scan: a guardian who is not
signed in logs in and comes back to the same URL.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.service_layer import visits
from tsuen_portal.service_layer.facility_pages import Refusal

router = APIRouter(include_in_schema=False)


@router.get("/scan")
async def scan(page: PageDep, t: str = "") -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    scanned = await visits.scan(page.portal.backends, token, t)
    if isinstance(scanned, Refusal):
        return await page.render("scan_result.html", 409, refusal=scanned)
    return await page.render(
        "scan.html", form=True, scanned=scanned, visit_statuses=visits.VISIT_STATUSES
    )


async def _register(page: PageDep, action: str) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    try:
        booking_id = str(uuid.UUID(form.get("booking_id", "")))
    except ValueError:
        return await page.render("scan_result.html", 400, refusal=visits.UNREADABLE)
    done = await visits.register(page.portal.backends, token, action, form.get("t", ""), booking_id)
    if isinstance(done, Refusal):
        return await page.render("scan_result.html", 409, refusal=done)
    return await page.render("scan_result.html", done=done)


@router.post("/scan/check-in")
async def check_in(page: PageDep) -> Response:
    return await _register(page, visits.CHECK_IN)


@router.post("/scan/check-out")
async def check_out(page: PageDep) -> Response:
    return await _register(page, visits.CHECK_OUT)


@router.get("/scan/check-in")
@router.get("/scan/check-out")
async def registration_address(page: PageDep) -> Response:
    """A form address opened by hand (or the back button after a refusal): today's visits."""
    return page.redirect("/visits")


@router.get("/visits")
async def today(page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    lines = await visits.today(page.portal.backends, token)
    return await page.render("visits.html", lines=lines, visit_statuses=visits.VISIT_STATUSES)

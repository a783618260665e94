"""The facility's 2D code (二次元コード) on the entrance tablet, opened from the staff's portal
session: the portal asks attendance for the current code with the staff member's token and the
page reloads itself when the code turns (static/display.js; without scripts a button does
it). No token reaches the browser. Guardians scan it with their phone to register arrival
and pickup."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.service_layer.staff.calls import attendance_api

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/display")
async def display(page: PageDep) -> Response:
    account, token = await staff_token(page)
    code = await attendance_api(page.portal.backends).get(
        f"/v1/facilities/{account.facility_id}/code", token
    )
    # Reload just after the code turns (at most 5 s away, so a clock skew cannot strand it).
    refresh_ms = max(500, min(5000, int(code["refresh_in_ms"]) + 300))
    return await page.render(
        "staff_display.html",
        qr=str(code["svg_data_uri"]),
        refresh_ms=refresh_ms,
        step=int(code["step"]),
    )

"""本日の利用予定 (``/staff``): today's and the next days' roster, and 代理で利用開始 / 利用終了
for a guardian who cannot scan."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import staff_token, uuid_or_404
from tsuen_portal.entrypoints.pages.staff.shared import DONE
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff import roster as service
from tsuen_portal.service_layer.staff.calls import Refused

router = APIRouter(prefix="/staff", include_in_schema=False)

ROSTER_DAYS_AHEAD = 6  # today and the next few days: nothing of visits long past

ROSTER_STATUS = {
    "expected": N_("Not arrived yet"),
    "in_use": N_("In care"),
    "left": N_("Gone home"),
    "no_show": N_("Did not come"),
    "cancelled": N_("Cancelled"),
}


@router.get("")
async def roster(
    page: PageDep, day: Annotated[str, Query(alias="date")] = "", done: str = ""
) -> Response:
    account, token = await staff_token(page)
    today = today_jst()
    try:
        chosen = parse_day(day) or today
    except ValueError:
        chosen = today
    if not today <= chosen <= today + timedelta(days=ROSTER_DAYS_AHEAD):
        chosen = today
    try:
        shown = await service.roster(page.portal.backends, account, token, chosen)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    days = [today + timedelta(days=n) for n in range(ROSTER_DAYS_AHEAD + 1)]
    return await page.render(
        "staff_roster.html",
        roster=shown,
        days=days,
        today=today,
        done=DONE.get(done),
        refused=None,
        roster_statuses=ROSTER_STATUS,
    )


@router.post("/roster/{booking_id}/{action}")
async def register(booking_id: str, action: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    if action not in ("check-in", "check-out"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    booking_id = uuid_or_404(booking_id)
    day = form.get("date", "")
    back = f"/staff?date={day}" if _valid_day(day) else "/staff"
    kind = action.replace("-", "_")
    try:
        await service.register(page.portal.backends, account, token, booking_id, kind)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        shown = await service.roster(
            page.portal.backends,
            account,
            token,
            (parse_day(day) if _valid_day(day) else None) or today_jst(),
        )
        today = today_jst()
        return await page.render(
            "staff_roster.html",
            409,
            roster=shown,
            days=[today + timedelta(days=n) for n in range(ROSTER_DAYS_AHEAD + 1)],
            today=today,
            done=None,
            refused=refused,
            roster_statuses=ROSTER_STATUS,
        )
    sep = "&" if "?" in back else "?"
    return page.redirect(f"{back}{sep}done={kind}#b-{booking_id}")


def _valid_day(value: str) -> bool:
    try:
        return parse_day(value) is not None
    except ValueError:
        return False

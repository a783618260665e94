"""空き待ち (``/staff/waitlist?date=``): the facility's wait lists per day and time, the
children in line with their state (waiting and where in line, a place held until when,
accepted, declined, expired). Read-only; the facility is always the session's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff import waitlist as service

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/waitlist")
async def wait_list(page: PageDep, day: Annotated[str, Query(alias="date")] = "") -> Response:
    account, token = await staff_token(page)
    errors = FormErrors()
    try:
        chosen = parse_day(day)
    except ValueError:
        errors.add("date", N_("Enter a real date, like 2027-01-07"))
        chosen = None  # the whole list from today, under the error
    try:
        slots = await service.wait_list(page.portal.backends, account, token, chosen)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "staff_waitlist.html",
        400 if errors else 200,
        slots=slots,
        chosen=chosen,
        typed=day,
        today=today_jst(),
        errors=errors,
        statuses=service.STATUS,
    )

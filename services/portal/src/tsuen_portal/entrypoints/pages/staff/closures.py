"""臨時休園 (``/staff/closures``): days and a reason, who would be affected (a GET preview), then
the closure (every affected guardian mailed, hours kept)."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.staff.shared import REASON_MAX
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff import closures as service
from tsuen_portal.service_layer.staff.calls import Refused

router = APIRouter(prefix="/staff", include_in_schema=False)

MAX_CLOSURE_DAYS = 31


def _closure_input(values: dict[str, str], errors: FormErrors) -> tuple[date | None, date | None]:
    first = last = None
    with contextlib.suppress(ValueError):
        first = parse_day(values["from"])
    with contextlib.suppress(ValueError):
        last = parse_day(values["to"])
    if first is None:
        errors.add("from", N_("Enter the first closed day, like 2027-01-07"))
    elif first < today_jst():
        errors.add("from", N_("A closure cannot start in the past"))
    if values["to"] and last is None:
        errors.add("to", N_("Enter a real date, like 2027-01-07"))
    last = last or first
    if first and last and last < first:
        errors.add("to", N_("The end date must be on or after the start date"))
    elif first and last and (last - first).days >= MAX_CLOSURE_DAYS:
        errors.add("to", N_("Close at most 31 days at once"))
    if not values["reason"]:
        errors.add("reason", N_("Enter the reason (typhoon, outbreak, staff shortage…)"))
    elif len(values["reason"]) > REASON_MAX:
        errors.add("reason", N_("Use 200 characters or fewer"))
    return first, last


@router.get("/closures")
async def closure_form(
    page: PageDep,
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    reason: str = "",
    preview: str = "",
) -> Response:
    """The form; with ``preview=1`` (a GET: nothing changes) who would be affected, and the
    confirm button."""
    account, token = await staff_token(page)
    values = {"from": date_from.strip(), "to": date_to.strip(), "reason": reason.strip()}
    errors = FormErrors()
    affected = None
    refused: Refused | None = None
    if preview:
        first, last = _closure_input(values, errors)
        if not errors and first and last:
            try:
                affected = await service.preview_closure(
                    page.portal.backends, account, token, first, last
                )
            except Refused as no:
                refused = no
            values["to"] = last.isoformat()
    return await page.render(
        "staff_closures.html",
        400 if errors else (409 if refused else 200),
        form=True,
        values=values,
        errors=errors,
        affected=affected,
        refused=refused,
        today=today_jst(),
    )


@router.post("/closures")
async def close(page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    values = {k: form.get(k, "").strip() for k in ("from", "to", "reason")}
    errors = FormErrors()
    first, last = _closure_input(values, errors)
    refused: Refused | None = None
    if not errors and first and last:
        try:
            result = await service.close(
                page.portal.backends, account, token, first, last, values["reason"]
            )
        except Refused as no:
            refused = no
        else:
            return await page.render("staff_closed.html", result=result, reason=values["reason"])
    return await page.render(
        "staff_closures.html",
        409 if refused else 400,
        form=True,
        values=values,
        errors=errors,
        affected=None,
        refused=refused,
        today=today_jst(),
    )

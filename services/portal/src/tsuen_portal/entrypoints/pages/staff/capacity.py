"""利用枠と開所時間 (``/staff/capacity``): the facility's places per slot and opening hours per
weekday, and a new week from a date. Like 臨時休園: the form (a GET) shows first who would no
longer fit — by name, booking and why — and nothing changes until staff confirm (a POST with
the preview's fingerprint). If bookings changed in between, booking refuses (409) and the page
says to check again. The facility is always the signed-in staff member's own.
"""

from __future__ import annotations

import contextlib
from datetime import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_common.timeutil import now_jst
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.staff.shared import REASON_MAX
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff import capacity as service
from tsuen_portal.service_layer.staff.calls import Refused
from tsuen_portal.service_layer.staff.capacity import WEEK, Weeks, week_body

router = APIRouter(prefix="/staff", include_in_schema=False)

WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
MISFITS = {
    "outside_hours": N_("Outside the new opening hours"),
    "over_places": N_("More bookings than the new places (booked last)"),
}
MAX_PLACES = 999
FIELDS = ("from", "reason", *(f"{k}-{d}" for d in WEEK for k in ("open", "close", "places")))


def _time(text: str) -> time | None:
    with contextlib.suppress(ValueError):
        if len(text) in (5, 8):  # what <input type=time> sends: HH:MM (or HH:MM:SS)
            return time.fromisoformat(text)
    return None


def _week_input(values: dict[str, str], errors: FormErrors) -> dict[str, Any] | None:
    """Booking's new week from the form, or None with the errors to show."""
    first = None
    with contextlib.suppress(ValueError):
        first = parse_day(values["from"])
    if first is None:
        errors.add("from", N_("Enter the first day of the new hours, like 2027-01-07"))
    elif first <= now_jst().date():
        errors.add("from", N_("The new hours can start tomorrow at the earliest"))
    days: dict[int, tuple[time, time, int]] = {}
    for d in WEEK:
        opens, closes, places = (values[f"{k}-{d}"] for k in ("open", "close", "places"))
        if not opens and not closes:
            continue  # a closed weekday
        o, c = _time(opens), _time(closes)
        if o is None:
            errors.add(f"open-{d}", N_("Enter the opening time, like 08:30"))
        if c is None:
            errors.add(f"close-{d}", N_("Enter the closing time, like 17:00"))
        if o is not None and c is not None and o >= c:
            errors.add(f"close-{d}", N_("The closing time must be after the opening time"))
        if not places.isdigit() or int(places) > MAX_PLACES:
            errors.add(f"places-{d}", N_("Enter the places per slot as a number from 0 to 999"))
        if o is not None and c is not None and o < c and places.isdigit():
            days[d] = (o, c, int(places))
    if not days and not errors:
        errors.add("open-0", N_("Open the facility on at least one day"))
    if not values["reason"]:
        errors.add("reason", N_("Enter the reason (guardians read it if a booking is cancelled)"))
    elif len(values["reason"]) > REASON_MAX:
        errors.add("reason", N_("Use 200 characters or fewer"))
    if errors or first is None:
        return None
    return week_body(first, days)


def _values_from(weeks: Weeks) -> dict[str, str]:
    """The form starts from the week in force today."""
    values = dict.fromkeys(FIELDS, "")
    for day in weeks.current.days:
        values[f"open-{day.weekday}"] = day.open or ""
        values[f"close-{day.weekday}"] = day.close or ""
        values[f"places-{day.weekday}"] = "" if day.places_min is None else str(day.places_min)
    return values


async def _render(page: Page, status: int, **context: Any) -> Response:
    return await page.render(
        "staff_capacity.html",
        status,
        form=True,
        weekdays=WEEKDAY_NAMES,
        misfits=MISFITS,
        **context,
    )


@router.get("/capacity")
async def capacity_form(page: PageDep, preview: str = "") -> Response:
    """The week in force and the form; with ``preview=1`` (a GET: nothing changes) who the new
    week would cancel, and the confirm button."""
    account, token = await staff_token(page)
    api = page.portal.backends
    weeks = await service.weeks(api, account, token)
    query = page.request.query_params
    values = {k: query.get(k, "").strip() for k in FIELDS} if preview else _values_from(weeks)
    errors = FormErrors()
    shown = None
    refused: Refused | None = None
    if preview:
        week = _week_input(values, errors)
        if week is not None:
            try:
                shown = await service.preview(api, account, token, week)
            except Refused as no:
                refused = no
    return await _render(
        page,
        400 if errors else (409 if refused else 200),
        weeks=weeks,
        values=values,
        errors=errors,
        preview=shown,
        refused=refused,
    )


@router.post("/capacity")
async def change_capacity(page: PageDep) -> Response:
    account, token = await staff_token(page)
    api = page.portal.backends
    form = await page.form()
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    errors = FormErrors()
    week = _week_input(values, errors)
    refused: Refused | None = None
    if week is not None:
        try:
            changed = await service.apply(
                api,
                account,
                token,
                week,
                reason=values["reason"],
                fingerprint=str(form.get("fingerprint", "")),
            )
        except Refused as no:
            refused = no
        else:
            return await page.render(
                "staff_capacity_done.html", changed=changed, reason=values["reason"]
            )
    weeks = await service.weeks(api, account, token)
    return await _render(
        page,
        409 if refused else 400,
        weeks=weeks,
        values=values,
        errors=errors,
        preview=None,
        refused=refused,
    )

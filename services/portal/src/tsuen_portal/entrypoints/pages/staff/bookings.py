"""施設の予約一覧 (``/staff/bookings``): the facility's bookings, cancelling one for the guardian
(with the time they called) or as the facility, and 代理予約 for a child whose 初回面談 here was
held."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_common.timeutil import JST, now_jst, today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.access import staff_token, uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.staff.shared import REASON_MAX
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.staff import bookings as service
from tsuen_portal.service_layer.staff.calls import Refused

router = APIRouter(prefix="/staff", include_in_schema=False)

BOOKING_DAYS = 14
CAUSES = {
    "guardian": N_("The guardian asked (by phone or in person)"),
    "facility": N_("The facility cancels (costs the family no hours)"),
}


@router.get("/bookings")
async def booking_list(
    page: PageDep,
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
) -> Response:
    account, token = await staff_token(page)
    errors = FormErrors()
    today = today_jst()
    first = last = None
    try:
        first = parse_day(date_from)
    except ValueError:
        errors.add("from", N_("Enter a real date, like 2027-01-07"))
    try:
        last = parse_day(date_to)
    except ValueError:
        errors.add("to", N_("Enter a real date, like 2027-01-07"))
    first = first or today
    last = last or first + timedelta(days=BOOKING_DAYS)
    if last < first:
        errors.add("to", N_("The end date must be on or after the start date"))
    elif (last - first).days > 62:
        errors.add("to", N_("Choose at most two months"))
    if errors:
        first, last = today, today + timedelta(days=BOOKING_DAYS)
    listed = await service.bookings(page.portal.backends, account, token, first, last)
    return await page.render(
        "staff_bookings.html",
        400 if errors else 200,
        bookings=listed,
        errors=errors,
        chosen={"from": date_from or first.isoformat(), "to": date_to or last.isoformat()},
        first=first,
        last=last,
        today=today,
        now_hhmm=now_jst().strftime("%H:%M"),  # a use that has begun is no longer cancelled here
    )


HOURS = [f"{h:02d}:00" for h in range(7, 21)]


async def _render_proxy(
    page: Page,
    account: Account,
    token: str,
    values: dict[str, str],
    errors: FormErrors,
    refused: Refused | None = None,
    status_code: int = 200,
) -> Response:
    children = await service.known_children(page.portal.backends, account, token)
    return await page.render(
        "staff_book.html",
        status_code,
        form=True,
        children=children,
        values=values,
        errors=errors,
        refused=refused,
        hours=HOURS,
    )


@router.get("/bookings/new")
async def proxy_form(page: PageDep) -> Response:
    """代理予約: staff book for a guardian (a child who had the 初回面談 here)."""
    account, token = await staff_token(page)
    values = {"child": "", "date": "", "start": "09:00", "end": "12:00"}
    return await _render_proxy(page, account, token, values, FormErrors())


@router.post("/bookings/new")
async def proxy_book(page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    values = {k: form.get(k, "").strip() for k in ("child", "date", "start", "end")}
    errors = FormErrors()
    if not values["child"]:
        errors.add("child", N_("Choose the child"))
    day: date | None = None
    with contextlib.suppress(ValueError):
        day = parse_day(values["date"])
    if day is None:
        errors.add("date", N_("Enter a real date, like 2027-01-07"))
    elif day < today_jst():
        errors.add("date", N_("Choose today or a later day"))
    if values["start"] not in HOURS:
        errors.add("start", N_("Choose the start time"))
    if values["end"] not in HOURS:
        errors.add("end", N_("Choose the end time"))
    elif values["start"] in HOURS and values["end"] <= values["start"]:
        errors.add("end", N_("The end time must be after the start time"))
    if errors or day is None:
        return await _render_proxy(page, account, token, values, errors, status_code=400)
    try:
        made = await service.book_for_guardian(
            page.portal.backends,
            account,
            token,
            child_id=uuid_or_404(values["child"]),
            use_date=day,
            start=values["start"],
            end=values["end"],
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as no:
        return await _render_proxy(page, account, token, values, errors, no, status_code=409)
    deadline = await service.cancellation_deadline(page.portal.backends, token, made.id)
    return await page.render(
        "staff_booked.html",
        booking=made,
        deadline=deadline,
        # Booked for tomorrow on a Sunday: already past the free cancellation time.
        past_deadline=deadline is not None and now_jst() > deadline,
    )


def _cancel_defaults() -> dict[str, str]:
    now = now_jst()
    return {
        "reason": "",
        "cause": "guardian",
        "called_date": now.date().isoformat(),
        "called_time": now.strftime("%H:%M"),
    }


@router.get("/bookings/{booking_id}/cancel")
async def cancel_form(booking_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    booking_id = uuid_or_404(booking_id)
    try:
        shown = await service.booking(page.portal.backends, account, token, booking_id)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "staff_cancel.html",
        form=True,
        booking=shown,
        deadline=await service.cancellation_deadline(page.portal.backends, token, booking_id),
        values=_cancel_defaults(),
        errors=FormErrors(),
        causes=CAUSES,
        refused=None,
    )


@router.post("/bookings/{booking_id}/cancel")
async def cancel(booking_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    booking_id = uuid_or_404(booking_id)
    try:
        shown = await service.booking(page.portal.backends, account, token, booking_id)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    values = {k: form.get(k, "").strip() for k in ("reason", "cause", "called_date", "called_time")}
    errors = FormErrors()
    if values["cause"] not in CAUSES:
        errors.add("cause-guardian", N_("Choose who cancels"))
    if not values["reason"]:
        errors.add("reason", N_("Enter the reason"))
    elif len(values["reason"]) > REASON_MAX:
        errors.add("reason", N_("Use 200 characters or fewer"))
    called_at: datetime | None = None
    if values["cause"] == "guardian":
        try:
            called_day = parse_day(values["called_date"])
            called_time = time.fromisoformat(values["called_time"])
            if called_day is None:
                raise ValueError("no date")
            called_at = datetime.combine(called_day, called_time, tzinfo=JST)
        except ValueError:
            errors.add("called_date", N_("Enter the date and time the guardian called"))
        if called_at is not None and called_at > now_jst() + timedelta(minutes=1):
            errors.add("called_date", N_("The call cannot be in the future"))
    refused: Refused | None = None
    if not errors:
        try:
            shown = await service.cancel_booking(
                page.portal.backends,
                account,
                token,
                booking_id,
                reason=values["reason"],
                cause=values["cause"],
                called_at=called_at,
            )
        except BackendNotFound:
            raise HTTPException(status.HTTP_404_NOT_FOUND) from None
        except Refused as no:
            refused = no
        else:
            return await page.render("staff_cancelled.html", booking=shown)
    return await page.render(
        "staff_cancel.html",
        409 if refused else 400,
        form=True,
        booking=shown,
        deadline=await service.cancellation_deadline(page.portal.backends, token, booking_id),
        values=values,
        errors=errors,
        causes=CAUSES,
        refused=refused,
    )

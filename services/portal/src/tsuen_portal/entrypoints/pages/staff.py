"""The facility staff's pages under ``/staff``: today's roster, the requests inbox (初回面談 and
定期利用), the facility's bookings with cancellation on a guardian's behalf, and 臨時休園.

Every page acts for the signed-in staff member's own facility (the session's ``facility_id``);
ids in URLs and forms are checked by the services with that token, so another facility's id
is a 404 exactly like a missing one. Guardians and officers get the 403 page.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_common.timeutil import JST, now_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import Page, PageDep, signed_in_as
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import staff
from tsuen_portal.service_layer.plans import WEEKDAYS
from tsuen_portal.service_layer.staff import Refused

router = APIRouter(prefix="/staff", include_in_schema=False)

ROSTER_DAYS_AHEAD = 6  # today and the next few days: nothing of visits long past
BOOKING_DAYS = 14
MAX_CLOSURE_DAYS = 31
REASON_MAX = 200

ROSTER_STATUS = {
    "expected": N_("Not arrived yet"),
    "in_use": N_("In care"),
    "left": N_("Gone home"),
    "no_show": N_("Did not come"),
    "cancelled": N_("Cancelled"),
}
DONE = {
    "check_in": N_("Arrival registered."),
    "check_out": N_("Pickup registered."),
    "scheduled": N_("The interview date is fixed. The guardian is mailed."),
    "held": N_("The interview and the health check are recorded."),
    "accepted": N_("The child is accepted. The guardian is mailed."),
    "declined": N_("The child is declined. The guardian is mailed."),
    "plan_declined": N_("The regular-use plan is declined. The guardian is mailed."),
}
HEALTH_CHECKS = {
    "no_concerns": N_("No concerns"),
    "follow_up": N_("Needs follow-up"),
}
CAUSES = {
    "guardian": N_("The guardian asked (by phone or in person)"),
    "facility": N_("The facility cancels (costs the family no hours)"),
}


async def staff_token(page: Page) -> tuple[Account, str]:
    """The signed-in staff member and a fresh access token; others get the 403 page."""
    return await signed_in_as(page, staff.STAFF, tenant="facility_id")


def _uuid(value: str) -> str:
    """An id from a URL or a form; anything else is the same 404 as an unknown id."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None


def _today() -> date:
    return now_jst().date()


# --- today's roster ---------------------------------------------------------------------------


@router.get("")
async def roster(
    page: PageDep, day: Annotated[str, Query(alias="date")] = "", done: str = ""
) -> Response:
    account, token = await staff_token(page)
    today = _today()
    try:
        chosen = parse_day(day) or today
    except ValueError:
        chosen = today
    if not today <= chosen <= today + timedelta(days=ROSTER_DAYS_AHEAD):
        chosen = today
    try:
        shown = await staff.roster(page.portal.backends, account, token, chosen)
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
    booking_id = _uuid(booking_id)
    day = form.get("date", "")
    back = f"/staff?date={day}" if _valid_day(day) else "/staff"
    kind = action.replace("-", "_")
    try:
        await staff.register(page.portal.backends, account, token, booking_id, kind)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        shown = await staff.roster(
            page.portal.backends,
            account,
            token,
            (parse_day(day) if _valid_day(day) else None) or _today(),
        )
        today = _today()
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


# --- requests inbox ---------------------------------------------------------------------------


async def _render_inbox(
    page: Page,
    account: Account,
    token: str,
    *,
    status_code: int = 200,
    done: str | None = None,
    refused: Refused | None = None,
    errors: FormErrors | None = None,
    failed_id: str = "",
    approved: list[date] | None = None,
) -> Response:
    inbox = await staff.inbox(page.portal.backends, account, token)
    return await page.render(
        "staff_requests.html",
        status_code,
        form=True,
        inbox=inbox,
        done=done,
        refused=refused,
        errors=errors or FormErrors(),
        failed_id=failed_id,
        approved=approved,
        health_checks=HEALTH_CHECKS,
        weekdays=WEEKDAYS,
        today=_today(),
    )


@router.get("/requests")
async def requests_inbox(page: PageDep, done: str = "") -> Response:
    account, token = await staff_token(page)
    return await _render_inbox(page, account, token, done=DONE.get(done))


@router.post("/interviews/{interview_id}/schedule")
async def schedule_interview(interview_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    interview_id = _uuid(interview_id)
    errors = FormErrors()
    day: date | None = None
    with contextlib.suppress(ValueError):
        day = parse_day(form.get(f"date-{interview_id}", ""))
    if day is None:
        errors.add(f"date-{interview_id}", N_("Enter the interview date, like 2027-01-07"))
    try:
        at = time.fromisoformat(form.get(f"time-{interview_id}", "").strip())
    except ValueError:
        errors.add(f"time-{interview_id}", N_("Enter the time, like 10:00"))
    if errors or day is None:
        return await _render_inbox(
            page, account, token, status_code=400, errors=errors, failed_id=interview_id
        )
    starts_at = datetime.combine(day, at, tzinfo=JST)
    if starts_at <= now_jst():
        errors.add(f"date-{interview_id}", N_("Choose a date and time in the future"))
        return await _render_inbox(
            page, account, token, status_code=400, errors=errors, failed_id=interview_id
        )
    try:
        await staff.schedule_interview(page.portal.backends, token, interview_id, starts_at)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    return page.redirect("/staff/requests?done=scheduled")


@router.post("/interviews/{interview_id}/held")
async def interview_held(interview_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    interview_id = _uuid(interview_id)
    health_check = form.get("health_check", "")
    note = form.get("note", "").strip()[:2000]
    if health_check not in HEALTH_CHECKS:
        errors = FormErrors()
        errors.add(f"health-{interview_id}", N_("Choose the result of the health check"))
        return await _render_inbox(
            page, account, token, status_code=400, errors=errors, failed_id=interview_id
        )
    try:
        await staff.interview_held(page.portal.backends, token, interview_id, health_check, note)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    return page.redirect("/staff/requests?done=held")


@router.post("/children/{child_id}/acceptance")
async def acceptance(child_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    child_id = _uuid(child_id)
    decision = form.get("decision", "")
    if decision not in ("accept", "decline"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        await staff.decide_child(
            page.portal.backends,
            account,
            token,
            child_id,
            decision == "accept",
            medical_care_consulted=form.get("medical_care_consulted") == "yes",
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    return page.redirect(
        f"/staff/requests?done={'accepted' if decision == 'accept' else 'declined'}"
    )


@router.post("/plans/{plan_id}/{decision}")
async def decide_plan(plan_id: str, decision: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    await page.form()
    plan_id = _uuid(plan_id)
    if decision not in ("approve", "decline"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        booked = await staff.decide_plan(
            page.portal.backends, token, plan_id, decision == "approve"
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    if decision == "decline":
        return page.redirect("/staff/requests?done=plan_declined")
    return await _render_inbox(page, account, token, approved=booked)


# --- bookings of the facility -----------------------------------------------------------------


@router.get("/bookings")
async def booking_list(
    page: PageDep,
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
) -> Response:
    account, token = await staff_token(page)
    errors = FormErrors()
    today = _today()
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
    listed = await staff.bookings(page.portal.backends, account, token, first, last)
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
    children = await staff.known_children(page.portal.backends, account, token)
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
    elif day < _today():
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
        made = await staff.book_for_guardian(
            page.portal.backends,
            account,
            token,
            child_id=_uuid(values["child"]),
            use_date=day,
            start=values["start"],
            end=values["end"],
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as no:
        return await _render_proxy(page, account, token, values, errors, no, status_code=409)
    return await page.render("staff_booked.html", booking=made)


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
    booking_id = _uuid(booking_id)
    try:
        shown = await staff.booking(page.portal.backends, account, token, booking_id)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "staff_cancel.html",
        form=True,
        booking=shown,
        values=_cancel_defaults(),
        errors=FormErrors(),
        causes=CAUSES,
        refused=None,
    )


@router.post("/bookings/{booking_id}/cancel")
async def cancel(booking_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    booking_id = _uuid(booking_id)
    try:
        shown = await staff.booking(page.portal.backends, account, token, booking_id)
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
            shown = await staff.cancel_booking(
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
        values=values,
        errors=errors,
        causes=CAUSES,
        refused=refused,
    )


# --- 臨時休園 ----------------------------------------------------------------------------------


def _closure_input(values: dict[str, str], errors: FormErrors) -> tuple[date | None, date | None]:
    first = last = None
    with contextlib.suppress(ValueError):
        first = parse_day(values["from"])
    with contextlib.suppress(ValueError):
        last = parse_day(values["to"])
    if first is None:
        errors.add("from", N_("Enter the first closed day, like 2027-01-07"))
    elif first < _today():
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
                affected = await staff.preview_closure(
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
        today=_today(),
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
            result = await staff.close(
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
        today=_today(),
    )

"""A facility's page (hours, comments, favourite, the week of free places, booking 柔軟利用 and
asking for a 初回面談), a booking's page (cancellation deadline, cancel with a reason) and the
初回面談 list. Another family's booking is a 404 exactly like a missing one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_common.timeutil import JST, now_jst, today_jst
from tsuen_portal import i18n
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import facility_pages as fp
from tsuen_portal.service_layer import late, plans, waitlist

router = APIRouter(include_in_schema=False)

CANCEL_REASONS = {
    "illness": N_("The child is ill"),
    "family": N_("Family reasons"),
    "schedule": N_("Our plans changed"),
    "other_facility": N_("We will use another facility"),
    "other": N_("Other reason"),
}
PROPOSALS = 3
INTERVIEW_REASONS = {
    "other_time": N_("I want another date or time"),
    "not_needed": N_("We no longer need it"),
    "illness": N_("The child is ill"),
    "other": N_("Other reason"),
}


def _week(value: str) -> date:
    try:
        chosen = parse_day(value) if value else None
    except ValueError:
        chosen = None
    today = today_jst()
    # At the weekend, this week has nothing left to book: show the next one.
    return fp.monday(chosen or (today + timedelta(days=2) if today.weekday() >= 5 else today))


async def _facility_page(
    page: Page,
    account: Account,
    token: str,
    facility_id: str,
    week: date,
    *,
    errors: FormErrors | None = None,
    refusal: fp.Refusal | None = None,
    chosen: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str = "",
    waitlist_offer: bool = False,
) -> Response:
    try:
        shown = await fp.facility(
            page.portal.backends, account, token, facility_id, week, today_jst()
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "facility.html",
        status_code,
        facility=shown,
        errors=errors or FormErrors(),
        refusal=refusal,
        chosen=chosen or {},
        notice=notice,
        previous_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
        this_week=fp.monday(today_jst()),
        proposals=range(PROPOSALS),
        regular_weekdays=plans.WEEKDAYS,
        waitlist_offer=waitlist_offer,  # a full time: 空き待ちに登録する
    )


@router.get("/facilities/{facility_id}")
async def facility_detail(
    facility_id: str, page: PageDep, week: str = "", done: str = ""
) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    notice = {
        "favourite": N_("Added to your favourites"),
        "unfavourite": N_("Removed from your favourites"),
        "interview": N_("Your request for a first interview has been sent to the facility"),
    }.get(done, "")
    return await _facility_page(
        page, account, token, uuid_or_404(facility_id), _week(week), notice=notice
    )


@router.post("/facilities/{facility_id}/favourite")
async def favourite(facility_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    fid = uuid_or_404(facility_id)
    on = form.get("favourite") == "add"
    try:
        await fp.set_favourite(page.portal.backends, token, fid, on=on)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if not on and form.get("back") == "favourites":  # removed from the お気に入り list
        return page.redirect("/facilities?mode=favourites&done=unfavourite")
    return page.redirect(f"/facilities/{fid}?done={'favourite' if on else 'unfavourite'}")


@router.post("/facilities/{facility_id}/book")
async def book(facility_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    fid = uuid_or_404(facility_id)
    chosen = {k: form.get(k, "") for k in ("child", "day", "start", "end")}
    week = _week(chosen["day"])
    errors = FormErrors()
    if not chosen["child"]:
        errors.add("child", N_("Choose the child"))
    if not chosen["day"]:
        errors.add("day", N_("Choose the day"))
    if not chosen["start"]:
        errors.add("start", N_("Choose the start time"))
    if not chosen["end"]:
        errors.add("end", N_("Choose the end time"))
    elif chosen["start"] and chosen["end"] <= chosen["start"]:
        errors.add("end", N_("The end time must be after the start time"))
    if not errors and not form.get("past_deadline_ok"):
        # Booked now, it could no longer be cancelled for free: say so before, not after.
        deadline = await fp.deadline_if_booked(
            page.portal.backends, token, fid, chosen["day"], chosen["start"]
        )
        if deadline is not None and now_jst() > deadline:
            return await page.render(
                "booking_past_deadline.html",
                form=True,
                facility_id=fid,
                chosen=chosen,
                use_date=date.fromisoformat(chosen["day"]),  # the preview read it
                deadline=deadline,
                week=week.isoformat(),
            )
    if not errors:
        outcome = await fp.book(
            page.portal.backends, token, fid, chosen["child"], chosen["day"],
            chosen["start"], chosen["end"],
        )  # fmt: skip
        if isinstance(outcome, str):
            return page.redirect(f"/bookings/{outcome}?booked=1")
        return await _facility_page(
            page, account, token, fid, week, refusal=outcome, chosen=chosen, status_code=409,
            waitlist_offer=waitlist.is_full(outcome),
        )  # fmt: skip
    return await _facility_page(
        page, account, token, fid, week, errors=errors, chosen=chosen, status_code=400
    )


@router.post("/facilities/{facility_id}/interview")
async def ask_interview(facility_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    fid = uuid_or_404(facility_id)
    chosen = {"interview_child": form.get("interview_child", "")}
    errors = FormErrors()
    if not chosen["interview_child"]:
        errors.add("interview_child", N_("Choose the child"))
    times: list[datetime] = []
    for n in range(PROPOSALS):
        value = form.get(f"proposed_{n}", "").strip()
        chosen[f"proposed_{n}"] = value
        if not value:
            continue
        try:
            times.append(datetime.fromisoformat(value).replace(tzinfo=JST))
        except ValueError:
            errors.add(f"proposed_{n}", N_("Enter a date and time, like 2027-01-07 10:00"))
    if not errors:
        outcome = await fp.request_interview(
            page.portal.backends, token, fid, chosen["interview_child"], times
        )
        if isinstance(outcome, str):
            return page.redirect("/interviews?requested=1")
        return await _facility_page(
            page, account, token, fid, _week(""), refusal=outcome, chosen=chosen, status_code=409
        )
    return await _facility_page(
        page, account, token, fid, _week(""), errors=errors, chosen=chosen, status_code=400
    )


# -- a booking's page ---------------------------------------------------------------------------


async def _booking_page(
    page: Page,
    token: str,
    booking_id: str,
    *,
    errors: FormErrors | None = None,
    refusal: fp.Refusal | None = None,
    late_refusal: fp.Refusal | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    try:
        shown = await fp.booking(page.portal.backends, token, booking_id)
    except BackendNotFound:
        # Another family's booking looks exactly like one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "booking.html",
        status_code,
        b=shown,
        late=shown.late(now_jst()),
        reasons=CANCEL_REASONS,
        errors=errors or FormErrors(),
        refusal=refusal,
        late_refusal=late_refusal,
        notice=notice,
        today=today_jst(),
        late_kinds=late.KINDS,
        late_minutes=late.MINUTES,
    )


@router.get("/bookings/{booking_id}")
async def booking_detail(
    booking_id: str,
    page: PageDep,
    booked: str = "",
    cancelled: str = "",
    told: Annotated[str, Query(alias="late")] = "",
) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    notice = (
        N_("Booked. The facility expects you.")
        if booked
        else N_("The booking is cancelled.")
        if cancelled
        else N_("The facility has been told. Thank you for letting them know.")
        if told
        else ""
    )
    return await _booking_page(page, token, uuid_or_404(booking_id), notice=notice)


async def _cancel_form(page: Page, booking_id: str) -> tuple[str, str, str | Response]:
    """The token, the booking's id and the chosen reason of a cancel form, or the booking's
    page asking for a reason."""
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    bid = uuid_or_404(booking_id)
    reason = form.get("reason", "")
    if reason in CANCEL_REASONS:
        return token, bid, reason
    errors = FormErrors()
    errors.add("reason", N_("Choose a reason"))
    return token, bid, await _booking_page(page, token, bid, errors=errors, status_code=400)


@router.post("/bookings/{booking_id}/cancel/confirm")
async def confirm_cancel(booking_id: str, page: PageDep) -> Response:
    """確認画面 (the guide's 「確認画面に進む」): what cancelling does, before it is done."""
    token, bid, reason = await _cancel_form(page, booking_id)
    if isinstance(reason, Response):
        return reason
    try:
        shown = await fp.booking(page.portal.backends, token, bid)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if not shown.cancellable:  # cancelled meanwhile, or begun: the booking says which
        return page.redirect(f"/bookings/{bid}")
    return await page.render(
        "booking_cancel_confirm.html",
        form=True,
        b=shown,
        late=shown.late(now_jst()),
        reason=reason,
        reason_label=CANCEL_REASONS[reason],
    )


@router.post("/bookings/{booking_id}/cancel")
async def cancel(booking_id: str, page: PageDep) -> Response:
    token, bid, reason = await _cancel_form(page, booking_id)
    if isinstance(reason, Response):
        return reason
    # Booking keeps the reason in Japanese, as staff read it.
    text = i18n.translations("ja").gettext(CANCEL_REASONS[reason])
    try:
        refused = await fp.cancel(page.portal.backends, token, bid, text)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _booking_page(page, token, bid, refusal=refused, status_code=409)
    return page.redirect(f"/bookings/{bid}?cancelled=1")


# -- 初回面談 -------------------------------------------------------------------------------------


@router.get("/interviews")
async def interview_list(
    page: PageDep, requested: str = "", cancelled: str = "", moved: str = ""
) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    found = await fp.interviews(page.portal.backends, token)
    notice = ""
    if requested:
        notice = N_("Your request for a first interview has been sent to the facility")
    elif moved:
        notice = N_("The interview is called off. Ask again with new times on the facility's page")
    elif cancelled:
        notice = N_("The interview is called off. The facility is told")
    return await page.render(
        "interviews.html",
        interviews=found,
        notice=notice,
        reasons=INTERVIEW_REASONS,
        refusal=None,
    )


# -- a GET on a form's address (the language link of a page shown after a POST) ---------------


@router.get("/facilities/{facility_id}/{action}")
async def facility_form_address(facility_id: str, action: str, page: PageDep) -> Response:
    if action not in ("book", "interview", "favourite", "regular"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return page.redirect(f"/facilities/{uuid_or_404(facility_id)}")


@router.get("/interviews/{interview_id}/cancel")
async def interview_form_address(interview_id: str, page: PageDep) -> Response:
    uuid_or_404(interview_id)
    return page.redirect("/interviews")


@router.get("/bookings/{booking_id}/late")
@router.get("/bookings/{booking_id}/cancel")
@router.get("/bookings/{booking_id}/cancel/confirm")
async def cancel_form_address(booking_id: str, page: PageDep) -> Response:
    return page.redirect(f"/bookings/{uuid_or_404(booking_id)}")

"""申込み (``/staff/requests``): 初回面談 to schedule, record and decide on (accept or decline the
child), and 定期利用 applications to approve or decline."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_common.timeutil import JST, now_jst, today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.access import staff_token, uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.staff.shared import DONE
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.plans import WEEKDAYS
from tsuen_portal.service_layer.staff import requests as service
from tsuen_portal.service_layer.staff.calls import Refused

router = APIRouter(prefix="/staff", include_in_schema=False)

HEALTH_CHECKS = {
    "no_concerns": N_("No concerns"),
    "follow_up": N_("Needs follow-up"),
}


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
    inbox = await service.inbox(page.portal.backends, account, token)
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
        today=today_jst(),
    )


@router.get("/requests")
async def requests_inbox(page: PageDep, done: str = "") -> Response:
    account, token = await staff_token(page)
    return await _render_inbox(page, account, token, done=DONE.get(done))


@router.post("/interviews/{interview_id}/schedule")
async def schedule_interview(interview_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    interview_id = uuid_or_404(interview_id)
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
        await service.schedule_interview(page.portal.backends, token, interview_id, starts_at)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    return page.redirect("/staff/requests?done=scheduled")


@router.post("/interviews/{interview_id}/held")
async def interview_held(interview_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    interview_id = uuid_or_404(interview_id)
    health_check = form.get("health_check", "")
    note = form.get("note", "").strip()[:2000]
    if health_check not in HEALTH_CHECKS:
        errors = FormErrors()
        errors.add(f"health-{interview_id}", N_("Choose the result of the health check"))
        return await _render_inbox(
            page, account, token, status_code=400, errors=errors, failed_id=interview_id
        )
    try:
        await service.interview_held(page.portal.backends, token, interview_id, health_check, note)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    return page.redirect("/staff/requests?done=held")


@router.post("/children/{child_id}/acceptance")
async def acceptance(child_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    form = await page.form()
    child_id = uuid_or_404(child_id)
    decision = form.get("decision", "")
    if decision not in ("accept", "decline"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        await service.decide_child(
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
    plan_id = uuid_or_404(plan_id)
    if decision not in ("approve", "decline"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        booked = await service.decide_plan(
            page.portal.backends, token, plan_id, decision == "approve"
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    except Refused as refused:
        return await _render_inbox(page, account, token, status_code=409, refused=refused)
    if decision == "decline":
        return page.redirect("/staff/requests?done=plan_declined")
    return await _render_inbox(page, account, token, approved=booked)

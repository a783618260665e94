"""定期利用 for the guardian: the application form's answer (from a facility's page), the list
of plans with the facility's answers, and ending a plan."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.facility import _facility_page, _week
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import plans
from tsuen_portal.service_layer.facility_pages import Refusal

router = APIRouter(include_in_schema=False)

FIELDS = ("regular_child", "weekday", "regular_start", "regular_end", "valid_from", "valid_until")


def _day_error(value: str, name: str, errors: FormErrors, *, required: bool) -> None:
    if not value:
        if required:
            errors.add(name, N_("Enter the first day"))
        return
    try:
        parse_day(value)
    except ValueError:
        errors.add(name, N_("Enter a real date, like 2027-01-07"))


@router.post("/facilities/{facility_id}/regular")
async def apply_regular(facility_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    fid = uuid_or_404(facility_id)
    chosen = {k: form.get(k, "").strip() for k in FIELDS}
    errors = FormErrors()
    if not chosen["regular_child"]:
        errors.add("regular_child", N_("Choose the child"))
    if chosen["weekday"] not in {str(n) for n in range(7)}:
        errors.add("weekday", N_("Choose the day of the week"))
    if not chosen["regular_start"]:
        errors.add("regular_start", N_("Choose the start time"))
    if not chosen["regular_end"]:
        errors.add("regular_end", N_("Choose the end time"))
    elif chosen["regular_start"] and chosen["regular_end"] <= chosen["regular_start"]:
        errors.add("regular_end", N_("The end time must be after the start time"))
    _day_error(chosen["valid_from"], "valid_from", errors, required=True)
    _day_error(chosen["valid_until"], "valid_until", errors, required=False)
    if not errors and chosen["valid_until"] and chosen["valid_until"] < chosen["valid_from"]:
        errors.add("valid_until", N_("The last day must be on or after the first day"))
    if errors:
        return await _facility_page(
            page, account, token, fid, _week(""), errors=errors, chosen=chosen, status_code=400
        )
    outcome = await plans.apply(
        page.portal.backends,
        token,
        fid,
        chosen["regular_child"],
        int(chosen["weekday"]),
        chosen["regular_start"],
        chosen["regular_end"],
        chosen["valid_from"],
        chosen["valid_until"],
    )
    if isinstance(outcome, Refusal):
        return await _facility_page(
            page, account, token, fid, _week(""), refusal=outcome, chosen=chosen, status_code=409
        )
    return page.redirect("/plans?applied=1")


async def _plans_page(
    page: Page,
    token: str,
    *,
    notice: str = "",
    refusal: Refusal | None = None,
    status_code: int = 200,
) -> Response:
    return await page.render(
        "plans.html",
        status_code,
        plans=await plans.plans(page.portal.backends, token),
        notice=notice,
        refusal=refusal,
        weekdays=plans.WEEKDAYS,
        plan_status=plans.PLAN_STATUS,
        today=today_jst(),
    )


@router.get("/plans")
async def plan_list(
    page: PageDep, applied: str = "", ended: str = "", withdrawn: str = ""
) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    notice = ""
    if applied:
        notice = N_("Your application for regular use has been sent to the facility")
    elif withdrawn:
        notice = N_("Your application for regular use has been withdrawn")
    elif ended:
        notice = N_("The regular use ends as you asked. Bookings after the last day are cancelled")
    return await _plans_page(page, token, notice=notice)


@router.post("/plans/{plan_id}/end")
async def end_plan(plan_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    plan = uuid_or_404(plan_id)
    last_day = form.get(f"last_day-{plan}", "").strip()
    try:
        parse_day(last_day)
    except ValueError:
        last_day = today_jst().isoformat()
    refused = await plans.end(page.portal.backends, token, plan, last_day)
    if refused is not None:
        return await _plans_page(page, token, refusal=refused, status_code=409)
    # An application not yet approved is withdrawn, not ended: no use had begun.
    return page.redirect("/plans?withdrawn=1" if form.get("withdraw") else "/plans?ended=1")


@router.get("/plans/{plan_id}/end")
async def end_form_address(plan_id: str, page: PageDep) -> Response:
    if not plan_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return page.redirect("/plans")

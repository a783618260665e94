"""The officer's 施設 and 職員アカウント pages (issue 16): the municipality's facilities and
the form that registers one (booking); the staff and officer accounts with their facility and
status, the invitation form (identity mails the set-password link), 停止 / 再開 buttons and
the trail of who invited, disabled or enabled whom.

Every call carries the officer's token; an account id of another municipality (or a guardian's,
or a missing one) is a 404 page, the same for all three.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.facility_registration import (
    DAYS_FIELD,
    FACILITY_TYPES,
    FacilityForm,
    read_facility_form,
    registration_body,
)
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors, looks_like_email
from tsuen_portal.entrypoints.pages.officer import officer_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import officer_accounts as admin
from tsuen_portal.service_layer.officer import Refused

router = APIRouter(prefix="/officer", include_in_schema=False)

DONE = {
    "invited": N_("The invitation is sent. The staff member sets a password from the mail."),
    "disabled": N_(
        "The account is disabled. Its holder can no longer log in and is signed out at once."
    ),
    "enabled": N_("The account is enabled again. Its holder can log in with their password."),
}


async def _facilities_page(
    page: Page,
    *,
    form: FacilityForm | None = None,
    errors: FormErrors | None = None,
    refused: Refused | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    account, token = await officer_token(page)
    lines = await admin.facilities(page.portal.backends, account, token)
    return await page.render(
        "officer_facilities.html",
        status_code,
        lines=lines,
        values=form or FacilityForm(),
        errors=errors or FormErrors(),
        refused=refused,
        done=done,
        types=FACILITY_TYPES,
        weekdays=admin.WEEKDAY_SHORT,
        days_field=DAYS_FIELD,
    )


@router.get("/facilities")
async def facilities(page: PageDep, done: str = "") -> Response:
    notice = N_("The facility is registered. Invite its staff on the staff accounts page.")
    return await _facilities_page(page, done=notice if done else "")


@router.post("/facilities")
async def register_facility(page: PageDep) -> Response:
    account, token = await officer_token(page)
    fields = await page.form()
    form, found = read_facility_form(fields)
    if found:
        errors = FormErrors(by_field=found)
        return await _facilities_page(page, form=form, errors=errors, status_code=400)
    try:
        result = await admin.register_facility(
            page.portal.backends, account, token, registration_body(form)
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if isinstance(result, Refused):
        return await _facilities_page(page, form=form, refused=result, status_code=422)
    return page.redirect(f"/officer/facilities?done=1#f-{result.id}")


async def _staff_page(
    page: Page,
    *,
    email: str = "",
    facility_id: str = "",
    errors: FormErrors | None = None,
    refused: Refused | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    account, token = await officer_token(page)
    backends = page.portal.backends
    facilities = await admin.facilities(backends, account, token)
    accounts = await admin.accounts(backends, account, token)
    trail = await admin.audit(backends, account, token, accounts)
    return await page.render(
        "officer_staff.html",
        status_code,
        accounts=accounts,
        facilities=facilities,
        names={f.id: f.name for f in facilities},
        trail=trail,
        email=email,
        facility_id=facility_id,
        errors=errors or FormErrors(),
        refused=refused,
        done=done,
        roles=admin.ROLES,
        account_status=admin.ACCOUNT_STATUS,
        account_actions=admin.ACCOUNT_ACTIONS,
    )


@router.get("/staff")
async def staff(page: PageDep, done: str = "") -> Response:
    return await _staff_page(page, done=DONE.get(done))


@router.post("/staff/invite")
async def invite(page: PageDep) -> Response:
    account, token = await officer_token(page)
    fields = await page.form()
    email = fields.get("email", "").strip()[:320]
    facility_id = fields.get("facility", "").strip()[:40]
    errors = FormErrors()
    if not email:
        errors.add("email", N_("Enter the staff member's e-mail address"))
    elif not looks_like_email(email):
        errors.add("email", N_("Enter an e-mail address like name@example.jp"))
    # Another municipality's facility and a missing one get the same answer.
    if not facility_id or not await admin.is_municipality_facility(
        page.portal.backends, account, token, facility_id
    ):
        errors.add("facility", N_("Choose the staff member's facility"))
    if errors:
        return await _staff_page(
            page, email=email, facility_id=facility_id, errors=errors, status_code=400
        )
    refused = await admin.invite(page.portal.backends, account, token, email, facility_id)
    if refused is not None and refused.field:
        errors.add(refused.field, refused.message_ja)
        return await _staff_page(
            page, email=email, facility_id=facility_id, errors=errors, status_code=409
        )
    if refused is not None:
        return await _staff_page(page, refused=refused, status_code=409)
    return page.redirect("/officer/staff?done=invited")


async def _set_enabled(page: Page, account_id: str, *, enabled: bool) -> Response:
    account, token = await officer_token(page)
    target = uuid_or_404(account_id)
    await page.form()
    try:
        refused = await admin.set_enabled(
            page.portal.backends, account, token, target, enabled=enabled
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _staff_page(page, refused=refused, status_code=409)
    if not enabled:
        await page.portal.sessions.end_account(target)
    return page.redirect(f"/officer/staff?done={'enabled' if enabled else 'disabled'}")


@router.post("/staff/{account_id}/disable")
async def disable(account_id: str, page: PageDep) -> Response:
    return await _set_enabled(page, account_id, enabled=False)


@router.post("/staff/{account_id}/enable")
async def enable(account_id: str, page: PageDep) -> Response:
    return await _set_enabled(page, account_id, enabled=True)

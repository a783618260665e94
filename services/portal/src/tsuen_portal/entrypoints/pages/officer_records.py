"""The officer's certifications (end one with a reason and a day) and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.officer import officer_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import officer_audit
from tsuen_portal.service_layer import officer_records as records
from tsuen_portal.service_layer.officer import Refused

router = APIRouter(prefix="/officer", include_in_schema=False)

CERT_STATUSES = {"active": N_("Valid"), "revoked": N_("Ended")}


async def _certifications_page(
    page: Page,
    status_filter: str,
    *,
    done: str = "",
    refused: Refused | None = None,
    status_code: int = 200,
) -> Response:
    account, token = await officer_token(page)
    lines = await records.certifications(
        page.portal.backends.eligibility, account, token, status_filter
    )
    return await page.render(
        "officer_certifications.html",
        status_code,
        lines=lines,
        chosen=status_filter,
        cert_status=CERT_STATUSES,
        reasons=records.REVOCATION_REASONS,
        done=done,
        refused=refused,
        today=today_jst(),
    )


@router.get("/certifications")
async def certifications(page: PageDep, status: str = "active", done: str = "") -> Response:
    chosen = status if status in CERT_STATUSES or status == "" else "active"
    notice = N_("The certification ends on the chosen day. Bookings from then are void.")
    return await _certifications_page(page, chosen, done=notice if done else "")


@router.post("/certifications/{certification_id}/revoke")
async def revoke(certification_id: str, page: PageDep) -> Response:
    account, token = await officer_token(page)
    form = await page.form()
    cid = uuid_or_404(certification_id)
    reason = form.get(f"reason-{cid}", "")
    effective = form.get(f"effective-{cid}", "")
    try:
        parse_day(effective)
    except ValueError:
        effective = ""
    if reason not in records.REVOCATION_REASONS or not effective:
        refused = Refused(N_("Choose the reason and the day the certification ends"))
        return await _certifications_page(page, "active", refused=refused, status_code=400)
    try:
        refused_by_service = await records.revoke(
            page.portal.backends.eligibility, account, token, cid, reason, effective
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused_by_service is not None:
        return await _certifications_page(
            page, "active", refused=refused_by_service, status_code=409
        )
    return page.redirect("/officer/certifications?done=1")


@router.get("/audit")
async def audit(page: PageDep) -> Response:
    account, token = await officer_token(page)
    lines = await officer_audit.trail(page.portal.backends, account, token)
    return await page.render("officer_audit.html", lines=lines, actions=officer_audit.ACTIONS)

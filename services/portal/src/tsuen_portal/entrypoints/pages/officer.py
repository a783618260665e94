"""The municipality officer's pages under ``/officer``: the applications queue and one
application's review (automatic checks, answers, documents, audit trail) with the decision:
認定 (approve, acknowledging failed checks the officer has verified) or 却下 with a reason.

Every page acts for the officer's own municipality (the session's ``municipality``); another
municipality's application id is a 404 from eligibility exactly like a missing one.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.access import officer_token, uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import officer, public_links

router = APIRouter(prefix="/officer", include_in_schema=False)

REASON_MAX = 2000
DONE = {
    "approved": N_("The child is certified. The guardian is mailed with how to set a password."),
    "rejected": N_("The application is rejected."),
}


@router.get("")
async def officer_home(page: PageDep) -> Response:
    await officer_token(page)
    return page.redirect("/officer/applications")


@router.get("/applications")
async def queue(page: PageDep, status: str = "pending", q: str = "") -> Response:
    account, token = await officer_token(page)
    chosen = status if status in officer.STATUSES or status == "" else "pending"
    keyword = q.strip()[:100]
    lines = await officer.applications(
        page.portal.backends.eligibility, account, token, chosen, keyword
    )
    return await page.render(
        "officer_applications.html",
        lines=lines,
        chosen=chosen,
        q=keyword,
        statuses=officer.STATUSES,
    )


async def _review(
    page: Page,
    account: Account,
    token: str,
    application_id: str,
    *,
    done: str | None = None,
    refused: officer.Refused | None = None,
    errors: FormErrors | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    try:
        detail = await officer.application(
            page.portal.backends.eligibility, account, token, application_id
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    towns = (
        await public_links.municipalities(page.portal.backends.eligibility)
        if detail.elsewhere
        else []
    )
    return await page.render(
        "officer_application.html",
        status_code,
        a=detail,
        done=done,
        refused=refused,
        errors=errors or FormErrors(),
        reason=reason,
        statuses=officer.STATUSES,
        age=officer.AGE,
        residency=officer.RESIDENCY,
        enrollment=officer.ENROLLMENT,
        actions=officer.ACTIONS,
        town_names={m.code: m.name for m in towns},
        another_child=officer.ANOTHER_CHILD,
    )


@router.get("/applications/{application_id}")
async def review(application_id: str, page: PageDep, done: str = "") -> Response:
    account, token = await officer_token(page)
    return await _review(page, account, token, uuid_or_404(application_id), done=DONE.get(done))


@router.post("/applications/{application_id}/approve")
async def approve(application_id: str, page: PageDep) -> Response:
    account, token = await officer_token(page)
    app_id = uuid_or_404(application_id)
    form = await page.form()
    try:
        refused = await officer.approve(
            page.portal.backends.eligibility,
            account,
            token,
            app_id,
            acknowledge=form.get("acknowledge") == "yes",
            moved_from=form.get("moved_from", "").strip()[:64],
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _review(page, account, token, app_id, refused=refused, status_code=409)
    return page.redirect(f"/officer/applications/{app_id}?done=approved")


@router.post("/applications/{application_id}/reject")
async def reject(application_id: str, page: PageDep) -> Response:
    account, token = await officer_token(page)
    app_id = uuid_or_404(application_id)
    form = await page.form()
    reason = form.get("reason", "").strip()
    errors = FormErrors()
    if not reason:
        errors.add("reason", N_("Write the reason for rejecting"))
    elif len(reason) > REASON_MAX:
        errors.add("reason", N_("Write the reason in 2,000 characters or fewer"))
    if errors:
        return await _review(
            page, account, token, app_id, errors=errors, reason=reason, status_code=400
        )
    try:
        refused = await officer.reject(
            page.portal.backends.eligibility, account, token, app_id, reason
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _review(
            page, account, token, app_id, refused=refused, reason=reason, status_code=409
        )
    return page.redirect(f"/officer/applications/{app_id}?done=rejected")


@router.get("/applications/{application_id}/attachments/{attachment_id}")
async def download(application_id: str, attachment_id: str, page: PageDep) -> Response:
    """A document, always downloaded (never shown in the page, never run)."""
    account, token = await officer_token(page)
    try:
        file = await officer.attachment(
            page.portal.backends.eligibility,
            account,
            token,
            uuid_or_404(application_id),
            uuid_or_404(attachment_id),
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    disposition = file.disposition if file.disposition.startswith("attachment") else "attachment"
    return Response(
        file.content,
        media_type=file.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )

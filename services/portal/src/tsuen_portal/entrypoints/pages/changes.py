"""変更申請: the guardian's form (from the certificate) and the officer's review queue."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.entrypoints.access import guardian_token, officer_token, uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors, looks_like_email
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import changes

router = APIRouter(include_in_schema=False)

REASON_MAX = 500
FIELD_MAX = 200


async def _change_page(
    page: Page,
    token: str,
    cid: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    refused: str = "",
    done: str = "",
    status_code: int = 200,
) -> Response:
    account = page.session.account if page.session else None
    assert account is not None
    try:
        record, requests = await changes.on_record(
            page.portal.backends.eligibility, account, token, cid
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "change_form.html",
        status_code,
        form=True,
        certification_id=cid,
        values=values if values is not None else record,
        fields=changes.FIELDS,
        errors=errors or FormErrors(),
        refused=refused,
        done=done,
        requests=requests,
        change_statuses=changes.STATUSES,
        waiting=any(r.status == "pending" for r in requests),
    )


@router.get("/certificates/{certification_id}/change")
async def change_form(certification_id: str, page: PageDep, done: str = "") -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    notices = {
        "review": N_("Received. Your municipality checks the change and mails you the result."),
        "email": N_(
            "We sent a link to the new e-mail address. The change is made when it is opened."
        ),
        "both": N_(
            "Received. Your municipality checks the change and mails you the result. "
            "We also sent a link to the new e-mail address: open it to use that address."
        ),
    }
    return await _change_page(
        page, token, uuid_or_404(certification_id), done=notices.get(done, "")
    )


@router.post("/certificates/{certification_id}/change")
async def ask_change(certification_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    cid = uuid_or_404(certification_id)
    form = await page.form()
    asked = {name: form.get(name, "").strip()[:FIELD_MAX] for name in changes.FIELDS}
    errors = FormErrors()
    if asked["guardian_email"] and not looks_like_email(asked["guardian_email"]):
        errors.add("guardian_email", changes.HINTS["guardian_email"])
    for name in ("guardian_name", "address", "phone"):
        if not asked[name]:
            errors.add(name, changes.HINTS[name])
    if errors:
        return await _change_page(page, token, cid, values=asked, errors=errors, status_code=400)
    try:
        record, _ = await changes.on_record(page.portal.backends.eligibility, account, token, cid)
        filed = await changes.file(
            page.portal.backends.eligibility, account, token, cid, asked, record
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if isinstance(filed, changes.Refused):
        for name, message in filed.field_errors.items():
            errors.add(name, message)
        return await _change_page(
            page, token, cid, values=asked, errors=errors, refused=filed.message_ja,
            status_code=400 if errors else 409,
        )  # fmt: skip
    done = (
        "both" if filed.pending_review and filed.pending_email
        else "email" if filed.pending_email
        else "review"
    )  # fmt: skip
    return page.redirect(f"/certificates/{cid}/change?done={done}")


# --- the officer's review -----------------------------------------------------------------


async def _queue_page(
    page: Page, *, done: str = "", refused: str = "", errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    account, token = await officer_token(page)
    waiting = await changes.queue(page.portal.backends.eligibility, account, token)
    return await page.render(
        "officer_changes.html",
        status_code,
        form=True,
        waiting=waiting,
        fields=changes.FIELDS,
        done=done,
        refused=refused,
        errors=errors or FormErrors(),
    )


@router.get("/officer/changes")
async def queue(page: PageDep, done: str = "") -> Response:
    notices = {
        "approved": N_("Approved. The change applies now and the guardian is mailed."),
        "rejected": N_("Rejected. Nothing changed; the guardian is mailed the reason."),
    }
    return await _queue_page(page, done=notices.get(done, ""))


@router.post("/officer/changes/{request_id}/{decision}")
async def decide(request_id: str, decision: str, page: PageDep) -> Response:
    if decision not in ("approve", "reject"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    account, token = await officer_token(page)
    rid = uuid_or_404(request_id)
    form = await page.form()
    reason = form.get(f"reason-{rid}", "").strip()[:REASON_MAX]
    if decision == "reject" and not reason:
        errors = FormErrors()
        errors.add(f"reason-{rid}", N_("Write why the change is not accepted"))
        return await _queue_page(page, errors=errors, status_code=400)
    try:
        refused = await changes.decide(
            page.portal.backends.eligibility, account, token, rid,
            approve=decision == "approve", reason=reason,
        )  # fmt: skip
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused:
        return await _queue_page(page, refused=refused, status_code=409)
    return page.redirect(
        f"/officer/changes?done={'approved' if decision == 'approve' else 'rejected'}"
    )


@router.get("/officer/changes/{request_id}/{decision}")
async def decision_address(page: PageDep) -> Response:
    """A form address opened by hand (or the back button): the queue."""
    return page.redirect("/officer/changes")

"""お子さんの情報登録: the guardian's page for the child's record (health, allergies,
医療的ケア, emergency contacts, who may pick up). Eligibility keeps it; the facilities where
the child is booked see it on their roster."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.service_layer import child_record, guardian

router = APIRouter(include_in_schema=False)


async def _child_name(page: Page, token: str, child_id: str) -> str:
    account = page.session.account if page.session else None
    if account is None:
        return ""
    for cert in await guardian.certificates(page.portal.backends, account, token):
        if cert.child_id == child_id:
            return cert.child_name or ""
    return ""


async def _render(
    page: Page,
    child_id: str,
    token: str,
    form: child_record.RecordForm,
    errors: FormErrors | None = None,
    *,
    message_ja: str = "",
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    return await page.render(
        "child_record.html",
        status_code,
        form=True,
        record=form,
        errors=errors or FormErrors(),
        message_ja=message_ja,
        saved=saved,
        child_id=child_id,
        child_name=await _child_name(page, token, child_id),
        health=child_record.HEALTH,
        contacts=child_record.CONTACTS,
        pickups=child_record.PICKUPS,
        fields={f.name: f for f in child_record.FIELDS},
    )


@router.get("/children/{child_id}/record")
async def record_page(child_id: str, page: PageDep, saved: str = "") -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    child = uuid_or_404(child_id)
    try:
        form = await child_record.load(
            page.portal.backends.eligibility, token, account.municipality or "", child
        )
    except BackendNotFound:
        # Another family's child looks exactly like one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await _render(page, child, token, form, saved=saved == "1")


@router.post("/children/{child_id}/record")
async def save_record(child_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    child = uuid_or_404(child_id)
    form = child_record.RecordForm.from_form(await page.form())
    errors = FormErrors()
    for name, message in form.check().items():
        errors.add(name, message)
    if errors:
        return await _render(page, child, token, form, errors, status_code=400)
    try:
        outcome = await child_record.save(
            page.portal.backends.eligibility, token, account.municipality or "", child, form
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if isinstance(outcome, child_record.Saved):
        return page.redirect(f"/children/{child}/record?saved=1")
    if outcome.stale:
        # Changed elsewhere meanwhile: show the newest record with the reason, not the stale form.
        newest = await child_record.load(
            page.portal.backends.eligibility, token, account.municipality or "", child
        )
        return await _render(
            page, child, token, newest, message_ja=outcome.message_ja, status_code=409
        )
    for name, message in outcome.field_errors.items():
        errors.add(name, message)
    return await _render(page, child, token, form, errors, status_code=400)

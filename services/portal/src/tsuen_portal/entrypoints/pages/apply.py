"""利用申請 (no account yet): choose the municipality, ask for the link, fill in the form from
the mailed link, check it (入力内容の確認), send it, keep the receipt; and the e-mail-change
confirmation link. Nothing is stored here between the steps: the confirmation screen carries
the form (and the attached files, base64) in hidden fields, so the portal keeps no personal data.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from tsuen_portal.domain import csrf
from tsuen_portal.entrypoints.pages.forms import FormErrors, looks_like_email
from tsuen_portal.entrypoints.web import CsrfRefused, Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import applying, public_links

router = APIRouter(include_in_schema=False)

# Ten files of 5 MB, base64 on the way back from the confirmation screen, and the fields.
MAX_APPLICATION_BYTES = 80 * 1024 * 1024
CODE_CHARS = set("0123456789")


def _code(value: str) -> str:
    return value if value and len(value) <= 10 and set(value) <= CODE_CHARS else ""


async def multipart_form(page: Page) -> tuple[dict[str, str], list[UploadFile]]:
    """The application's multipart body (files), after the same CSRF check as ``Page.form``."""
    length = int(page.request.headers.get("content-length") or 0)
    if length > MAX_APPLICATION_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="form too large")
    parsed = await page.request.form(
        max_files=applying.MAX_ATTACHMENTS + 1,
        max_fields=300,
        max_part_size=MAX_APPLICATION_BYTES,
    )
    fields: dict[str, str] = {}
    files: list[UploadFile] = []
    for key, value in parsed.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                files.append(value)
        else:
            fields.setdefault(key, value)
    secret = page.session.csrf_secret if page.session is not None else None
    if not csrf.is_valid(secret, fields.get(csrf.FIELD)):
        raise CsrfRefused()
    return fields, files


async def _read_uploads(
    files: list[UploadFile], application: applying.Application, errors: FormErrors
) -> None:
    for upload in files:
        data = await upload.read(applying.MAX_ATTACHMENT_BYTES + 1)
        kind = (upload.content_type or "").split(";")[0].strip()
        if len(application.attachments) >= applying.MAX_ATTACHMENTS:
            errors.add("attachments", N_("Attach at most 10 files"))
        elif (
            kind not in applying.ACCEPTED_TYPES
            or not data
            or len(data) > applying.MAX_ATTACHMENT_BYTES
        ):
            errors.add("attachments", N_("Attach PDF, JPEG or PNG files of 5 MB or less"))
        else:
            application.attachments.append(
                applying.Attachment(
                    filename=(upload.filename or "attachment")[-200:],
                    content_type=kind,
                    data_base64=base64.b64encode(data).decode("ascii"),
                )
            )


def _context(municipality: str, token: str, application: applying.Application) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "token": token,
        "app": application,
        "f": applying.BY_NAME,
        "guardian_fields": applying.GUARDIAN,
        "child_fields": applying.CHILD,
        "consent_fields": applying.CONSENTS,
        "proxies": applying.PROXIES,
        "prior": applying.PRIOR,
        "consideration_fields": applying.CONSIDERATIONS,
        "facility_field": applying.FACILITY,
        "genders": applying.GENDERS,
    }


def _place_on_page(error: tuple[str, str]) -> int:
    name = error[0]
    return applying.ON_PAGE.index(name) if name in applying.ON_PAGE else len(applying.ON_PAGE)


async def _form_page(
    page: Page,
    municipality: str,
    token: str,
    application: applying.Application,
    errors: FormErrors | None = None,
    *,
    message_ja: str = "",
    status_code: int = 200,
) -> Response:
    shown = FormErrors()  # in the page's order, whichever check found them first
    for name, message in sorted((errors or FormErrors()).items(), key=_place_on_page):
        shown.add(name, message)
    return await page.render(
        "apply_form.html",
        status_code,
        form=True,
        errors=shown,
        message_ja=message_ja,
        **_context(municipality, token, application),
    )


async def _link_unusable(page: Page, municipality: str, message_ja: str = "") -> Response:
    return await page.render(
        "apply_link_unusable.html", 410, municipality=municipality, message_ja=message_ja
    )


@router.get("/apply")
async def application_form(page: PageDep, municipality: str = "", token: str = "") -> Response:
    """The 「利用申請URLのお知らせ」 mail's link. Eligibility checks the token when the form is
    sent (it has no separate check): a used or expired link is explained then."""
    code = _code(municipality)
    if not code or len(token) < 10 or len(token) > 200:
        return await _link_unusable(page, code)
    return await _form_page(page, code, token, applying.Application())


async def _posted(page: Page) -> tuple[str, str, applying.Application, FormErrors]:
    fields, files = await multipart_form(page)
    code = _code(fields.get("municipality", ""))
    token = fields.get("token", "")
    application = applying.Application.from_form(fields)
    errors = FormErrors()
    await _read_uploads(files, application, errors)
    return code, token, application, errors


@router.post("/apply/confirm")
async def confirm_application(page: PageDep) -> Response:
    """入力内容の確認: what will be sent, with 修正する and 送信する."""
    code, token, application, errors = await _posted(page)
    if not code:
        return await _link_unusable(page, code)
    for name, message in application.check().items():
        errors.add(name, message)
    if errors:
        return await _form_page(page, code, token, application, errors, status_code=400)
    return await page.render("apply_confirm.html", form=True, **_context(code, token, application))


@router.post("/apply/edit")
async def edit_application(page: PageDep) -> Response:
    """修正する: back to the form with everything as it was (files included)."""
    code, token, application, _ = await _posted(page)
    return await _form_page(page, code, token, application)


@router.post("/apply/send")
async def send_application(page: PageDep) -> Response:
    code, token, application, errors = await _posted(page)
    if not code:
        return await _link_unusable(page, code)
    for name, message in application.check().items():
        errors.add(name, message)
    if errors:
        return await _form_page(page, code, token, application, errors, status_code=400)
    outcome = await applying.submit(page.portal.backends.eligibility, code, token, application)
    if isinstance(outcome, applying.Submitted):
        return await page.render(
            "apply_receipt.html",
            201,
            application_id=outcome.application_id,
            **_context(code, token, application),
        )
    if outcome.link_unusable:
        return await _link_unusable(page, code, outcome.message_ja)
    for name, message in outcome.field_errors.items():
        errors.add(name, message)
    return await _form_page(
        page, code, token, application, errors, message_ja=outcome.message_ja, status_code=400
    )


# -- choose the municipality, ask for the link -------------------------------------------------


@router.get("/apply/link")
async def link_page(page: PageDep, prefecture: str = "", municipality: str = "") -> Response:
    """都道府県 → 市区町村 → e-mail address: three plain steps, each a link or a form."""
    found = await public_links.municipalities(page.portal.backends.eligibility)
    chosen = next((m for m in found if m.code == municipality), None)
    if chosen is not None:
        return await page.render("apply_link.html", form=True, chosen=chosen, email="")
    prefectures = sorted({m.prefecture for m in found})
    listed = [m for m in found if m.prefecture == prefecture] if prefecture else []
    return await page.render(
        "apply_municipalities.html",
        prefectures=prefectures,
        prefecture=prefecture if listed else "",
        listed=listed,
        none_found=not found,
    )


@router.post("/apply/link")
async def request_link(page: PageDep) -> Response:
    form = await page.form()
    code = _code(form.get("municipality", ""))
    email = form.get("email", "").strip()
    found = await public_links.municipalities(page.portal.backends.eligibility)
    chosen = next((m for m in found if m.code == code), None)
    if chosen is None:
        return page.redirect("/apply/link")
    errors = FormErrors()
    if not email:
        errors.add("email", N_("Enter your e-mail address"))
    elif not looks_like_email(email):
        errors.add("email", N_("Enter an e-mail address like name@example.jp"))
    if errors:
        return await page.render(
            "apply_link.html", 400, form=True, chosen=chosen, email=email, errors=errors
        )
    refused = await public_links.request_link(page.portal.backends.eligibility, code, email)
    if refused:
        return await page.render(
            "apply_link.html", 409, form=True, chosen=chosen, email=email, refused=refused
        )
    return page.redirect(f"/apply/link/sent?municipality={code}")


@router.get("/apply/link/sent")
async def link_sent(page: PageDep, municipality: str = "") -> Response:
    return await page.render("apply_link_sent.html", municipality=_code(municipality))


# -- the e-mail-change confirmation link ---------------------------------------------------------


@router.get("/email/confirm")
async def email_confirm_page(page: PageDep, municipality: str = "", token: str = "") -> Response:
    """One button: a mail scanner that opens the link confirms nothing."""
    return await page.render(
        "email_confirm.html",
        form=True,
        municipality=_code(municipality),
        token=token if 10 <= len(token) <= 200 else "",
    )


@router.post("/email/confirm")
async def email_confirm(page: PageDep) -> Response:
    form = await page.form()
    code, token = _code(form.get("municipality", "")), form.get("token", "")
    if not code or not 10 <= len(token) <= 200:
        return await page.render("email_confirmed.html", 410, ok=False, message_ja="")
    done = await public_links.confirm_email(page.portal.backends.eligibility, code, token)
    return await page.render(
        "email_confirmed.html",
        200 if done.ok or done.already else 410,
        ok=done.ok,
        already=done.already,
        message_ja=done.message_ja,
    )


@router.get("/apply/{step}")
async def apply_form_address(step: str, page: PageDep) -> Response:
    """A GET on a step's address (the language link of a page shown after a POST): the form's
    data was only in that page, so start again from the link page."""
    if step not in ("confirm", "edit", "send"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return page.redirect("/apply/link")

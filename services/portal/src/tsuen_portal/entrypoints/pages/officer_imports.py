"""住民記録・在籍の取込み (``/officer/imports``): the officer chooses the kind and a CSV file; the
preview (eligibility's, nothing changes) lists the file's problems by spreadsheet row at the top,
the rows that are new or change, and — highlighted — the certifications the import would end;
取り込む posts the same CSV back with the preview's fingerprint. The CSV travels in the preview
form's hidden field (base64) rather than being kept here: nothing to clean up, and eligibility's
fingerprint refuses a file other than the one previewed.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from tsuen_portal.adapters.backends import submitting
from tsuen_portal.domain import csrf
from tsuen_portal.entrypoints.access import officer_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import CsrfRefused, Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import officer_imports as imports
from tsuen_portal.service_layer.officer_imports import MAX_CSV_BYTES, Refused

router = APIRouter(prefix="/officer/imports", include_in_schema=False)

# The base64 in the confirm form grows the CSV by 4/3; the rest is a few small fields.
MAX_FORM_BYTES = MAX_CSV_BYTES * 4 // 3 + 64 * 1024


async def _multipart(page: Page) -> tuple[dict[str, str], UploadFile | None]:
    """The form's fields and its file, after the same CSRF check as ``Page.form``."""
    length = int(page.request.headers.get("content-length") or 0)
    if length > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail="form too large")
    parsed = await page.request.form(max_files=1, max_fields=10, max_part_size=MAX_FORM_BYTES)
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for key, value in parsed.multi_items():
        if isinstance(value, UploadFile):
            upload = value if value.filename else upload
        else:
            fields.setdefault(key, value)
    secret = page.session.csrf_secret if page.session is not None else None
    if not csrf.is_valid(secret, fields.get(csrf.FIELD)):
        raise CsrfRefused()
    submitting(fields[csrf.FIELD])  # eligibility's POSTs for this form share its keys
    return fields, upload


async def _upload_page(
    page: Page,
    status_code: int = 200,
    *,
    kind: str = "",
    errors: FormErrors | None = None,
    refused: Refused | None = None,
) -> Response:
    return await page.render(
        "officer_imports.html",
        status_code,
        form=True,
        kinds=imports.KINDS,
        columns=imports.COLUMNS,
        labels=imports.COLUMN_LABELS,
        kind=kind,
        errors=errors or FormErrors(),
        refused=refused,
        max_mb=MAX_CSV_BYTES // (1024 * 1024),
    )


@router.get("")
async def upload_form(page: PageDep) -> Response:
    await officer_token(page)
    return await _upload_page(page)


@router.get("/done")
async def done(page: PageDep, kind: str = "", rows: int = 0, ended: int = 0) -> Response:
    await officer_token(page)
    return await page.render(
        "officer_import_done.html",
        kind=kind if kind in imports.KINDS else "",
        kinds=imports.KINDS,
        rows=max(rows, 0),
        ended=max(ended, 0),
    )


@router.get("/{kind}.csv")
async def template(kind: str, page: PageDep) -> Response:
    """The kind's CSV template: the header row only."""
    await officer_token(page)
    if kind not in imports.COLUMNS:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return Response(
        imports.template_csv(kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
    )


@router.post("/preview")
async def preview(page: PageDep) -> Response:
    account, token = await officer_token(page)
    fields, upload = await _multipart(page)
    kind = fields.get("kind", "")
    errors = FormErrors()
    if kind not in imports.KINDS:
        errors.add("kind-resident-records", N_("Choose what the file holds"))
    raw = await upload.read(MAX_CSV_BYTES + 1) if upload is not None else b""
    text = imports.decode(raw)
    if not raw:
        errors.add("file", N_("Choose a CSV file"))
    elif len(raw) > MAX_CSV_BYTES:
        errors.add("file", N_("The file is larger than 2 MB. Split it into smaller files"))
    elif text is None:
        errors.add("file", N_("The file could not be read. Save it as CSV (UTF-8) and try again"))
    if errors or text is None:
        return await _upload_page(page, 400, kind=kind, errors=errors)
    try:
        shown = await imports.preview(page.portal.backends.eligibility, account, token, kind, text)
    except Refused as no:
        return await _upload_page(page, 409, kind=kind, refused=no)
    return await page.render(
        "officer_import_preview.html",
        form=True,
        preview=shown,
        kinds=imports.KINDS,
        labels=imports.COLUMN_LABELS,
        columns=imports.COLUMNS[kind],
        outcomes=imports.OUTCOMES,
        reasons=imports.ENDING_REASONS,
        csv=imports.carried(text),
        filename=(upload.filename or "")[-100:] if upload is not None else "",
        shown_rows=imports.SHOWN_ROWS,
        max_mb=MAX_CSV_BYTES // (1024 * 1024),
    )


@router.post("/apply")
async def apply(page: PageDep) -> Response:
    account, token = await officer_token(page)
    fields, _ = await _multipart(page)
    kind = fields.get("kind", "")
    text = imports.uncarried(fields.get("csv", ""))
    if kind not in imports.KINDS or text is None:
        refused = Refused(N_("The file to import was lost. Choose it and check it again."))
        return await _upload_page(page, 400, refused=refused)
    try:
        done = await imports.apply(
            page.portal.backends.eligibility,
            account,
            token,
            kind,
            text,
            fields.get("fingerprint", ""),
        )
    except Refused as no:
        return await _upload_page(page, 409, kind=kind, refused=no)
    return page.redirect(
        f"/officer/imports/done?kind={kind}&rows={done['rows']}&ended={done['ended']}"
    )

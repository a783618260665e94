"""一括キャンセル: several upcoming bookings cancelled at once, each shown with its deadline."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_common.timeutil import now_jst
from tsuen_portal import i18n
from tsuen_portal.entrypoints.pages.facility import CANCEL_REASONS
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import bulk_cancel
from tsuen_portal.service_layer.facility_pages import Refusal

router = APIRouter(include_in_schema=False)


async def _page(
    page: Page,
    token: str,
    *,
    chosen: frozenset[str] = frozenset(),
    reason: str = "",
    errors: FormErrors | None = None,
    refusal: Refusal | None = None,
    status_code: int = 200,
) -> Response:
    return await page.render(
        "bulk_cancel.html",
        status_code,
        choices=await bulk_cancel.choices(page.portal.backends, token),
        chosen=chosen,
        reason=reason,
        reasons=CANCEL_REASONS,
        errors=errors or FormErrors(),
        refusal=refusal,
        now=now_jst(),
    )


@router.get("/bookings/cancel-many")
async def choose(page: PageDep, done: int = 0) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    if done:
        return await page.render("bulk_cancelled.html", count=done)
    return await _page(page, token)


@router.post("/bookings/cancel-many")
async def cancel_many(page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    # Checkboxes share one name: read them all (the page's form() keeps one value per name).
    raw = parse_qs((await page.request.body()).decode("utf-8", errors="replace"))
    ids = []
    for value in raw.get("booking", []):
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    reason = form.get("reason", "")
    errors = FormErrors()
    if not ids:
        errors.add("booking", N_("Choose the bookings to cancel"))
    if reason not in CANCEL_REASONS:
        errors.add("reason", N_("Choose a reason"))
    if errors:
        return await _page(
            page, token, chosen=frozenset(ids), reason=reason, errors=errors, status_code=400
        )
    text = i18n.translations("ja").gettext(CANCEL_REASONS[reason])
    outcome = await bulk_cancel.cancel(page.portal.backends, token, ids, text)
    if isinstance(outcome, Refusal):
        return await _page(
            page, token, chosen=frozenset(ids), reason=reason, refusal=outcome, status_code=409
        )
    return page.redirect(f"/bookings/cancel-many?done={outcome}")

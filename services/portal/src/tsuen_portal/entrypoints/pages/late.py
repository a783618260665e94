"""遅れる連絡: the form on the guardian's booking page (on the day of the booking)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.facility import _booking_page
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import late

router = APIRouter(include_in_schema=False)

NOTE_MAX = 200


@router.post("/bookings/{booking_id}/late")
async def tell_late(booking_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    bid = uuid_or_404(booking_id)
    kind = form.get("late_kind", "")
    errors = FormErrors()
    if kind not in late.KINDS:
        errors.add("late_kind", N_("Choose arrival or pickup"))
    try:
        minutes = int(form.get("late_minutes", ""))
    except ValueError:
        minutes = 0
    if minutes not in late.MINUTES:
        errors.add("late_minutes", N_("Choose about how late"))
    note = form.get("late_note", "").strip()[:NOTE_MAX]
    if errors:
        return await _booking_page(page, token, bid, errors=errors, status_code=400)
    refused = await late.tell(page.portal.backends, token, bid, kind, minutes, note)
    if refused is not None:
        return await _booking_page(page, token, bid, late_refusal=refused, status_code=409)
    return page.redirect(f"/bookings/{bid}?late=1")

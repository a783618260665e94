"""Calling off a 初回面談 (requested or scheduled) from the interviews page; to move it, the
guardian calls it off and asks again with new times (the facility fixes the date)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal import i18n
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.facility import INTERVIEW_REASONS
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.service_layer import facility_pages as fp

router = APIRouter(include_in_schema=False)


@router.post("/interviews/{interview_id}/cancel")
async def cancel_interview(interview_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    iid = uuid_or_404(interview_id)
    reason = form.get("reason", "")
    if reason not in INTERVIEW_REASONS:
        reason = "other"
    # Kept in Japanese, as staff read it.
    text = i18n.translations("ja").gettext(INTERVIEW_REASONS[reason])
    try:
        refused = await fp.cancel_interview(page.portal.backends, token, iid, text)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await page.render(
            "interviews.html",
            409,
            interviews=await fp.interviews(page.portal.backends, token),
            refusal=refused,
            reasons=INTERVIEW_REASONS,
            notice="",
        )
    done = "moved" if reason == "other_time" else "cancelled"
    return page.redirect(f"/interviews?{done}=1")

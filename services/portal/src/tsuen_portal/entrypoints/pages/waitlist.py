"""空き待ち pages (issue 17): 空き待ちに登録する from a facility's page when the time is full,
the guardian's list (/waitlist), and an entry's page (/waitlist/{id}) — the offer mail's link,
where a held place is booked (予約する) or declined, or the list left. Signed out, the mail's
link goes to the login page and back. Another family's entry is a 404 like a missing one."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import waitlist
from tsuen_portal.service_layer.facility_pages import Refusal

router = APIRouter(include_in_schema=False)

JOIN_FIELDS = ("facility", "child", "day", "start", "end")


async def _list_page(
    page: Page,
    token: str,
    *,
    notice: str = "",
    refusal: Refusal | None = None,
    status_code: int = 200,
) -> Response:
    return await page.render(
        "waitlist.html",
        status_code,
        entries=await waitlist.entries(page.portal.backends, token),
        statuses=waitlist.STATUS,
        notice=notice,
        refusal=refusal,
    )


@router.get("/waitlist")
async def waitlist_list(page: PageDep, joined: str = "", left: str = "") -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    notice = (
        N_("You are on the wait list. We will e-mail you when a place comes free.")
        if joined
        else N_("You are no longer on that wait list.")
        if left
        else ""
    )
    return await _list_page(page, token, notice=notice)


@router.post("/waitlist")
async def join(page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    form = await page.form()
    chosen = {k: form.get(k, "").strip() for k in JOIN_FIELDS}
    if not all(chosen.values()):
        raise HTTPException(status.HTTP_400_BAD_REQUEST)  # the hidden fields are always sent
    outcome = await waitlist.join(
        page.portal.backends, token, uuid_or_404(chosen["facility"]), chosen["child"],
        chosen["day"], chosen["start"], chosen["end"],
    )  # fmt: skip
    if isinstance(outcome, Refusal):
        return await _list_page(page, token, refusal=outcome, status_code=409)
    return page.redirect("/waitlist?joined=1")


async def _entry_page(
    page: Page, token: str, entry_id: str, *, refusal: Refusal | None = None, status_code: int = 200
) -> Response:
    try:
        shown = await waitlist.entry(page.portal.backends, token, entry_id)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render(
        "waitlist_entry.html",
        status_code,
        e=shown,
        statuses=waitlist.STATUS,
        refusal=refusal,
    )


@router.get("/waitlist/{entry_id}")
async def entry_detail(entry_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    return await _entry_page(page, token, uuid_or_404(entry_id))


@router.post("/waitlist/{entry_id}/accept")
async def accept(entry_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    await page.form()
    eid = uuid_or_404(entry_id)
    try:
        outcome = await waitlist.accept(page.portal.backends, token, eid)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if isinstance(outcome, Refusal):
        return await _entry_page(page, token, eid, refusal=outcome, status_code=409)
    return page.redirect(f"/bookings/{outcome}?booked=1")


@router.post("/waitlist/{entry_id}/leave")
async def leave(entry_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    await page.form()
    eid = uuid_or_404(entry_id)
    try:
        refused = await waitlist.leave(page.portal.backends, token, eid)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _entry_page(page, token, eid, refusal=refused, status_code=409)
    return page.redirect("/waitlist?left=1")


@router.get("/waitlist/{entry_id}/{action}")
async def entry_form_address(entry_id: str, action: str, page: PageDep) -> Response:
    """A GET on a form's address (the language link of a page shown after a POST)."""
    if action not in ("accept", "leave"):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return page.redirect(f"/waitlist/{uuid_or_404(entry_id)}")

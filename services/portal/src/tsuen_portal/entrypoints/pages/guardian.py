"""The guardian's pages: home (直近のご予約, this month's hours, 認定証), the certificate,
予約一覧 and 施設をさがす."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import (
    BackendNotFound,
    BackendUnauthorized,
    BackendUnavailable,
)
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.domain.sessions import ENTRANCE_DISPLAY
from tsuen_portal.entrypoints.access import GUARDIAN, guardian_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import LoginRequired, PageDep, login_url
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import guardian, public_links

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(page: PageDep) -> Response:
    account, token = await guardian_token(page)
    if account.role == "facility_staff":
        return page.redirect("/staff")  # the staff's home is today's roster
    if account.role == "municipality_officer":
        return page.redirect("/officer")  # the officer's home is the applications queue
    if account.role == ENTRANCE_DISPLAY:
        return page.redirect("/staff/display")  # the entrance tablet shows the code only
    if account.role != GUARDIAN:
        return await page.render("staff_pending.html")
    try:
        children = await guardian.home(page.portal.backends, account, token)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return await page.render("home.html", children=children)


@router.get("/certificates/{certification_id}")
async def certificate(certification_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page, only_guardians=True)
    try:
        uuid.UUID(certification_id)
        cert = await guardian.certificate(page.portal.backends, account, token, certification_id)
    except (ValueError, BackendNotFound):
        # Another guardian's certificate looks exactly like one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    # Shown at the facility: whose it is and which town issued it, not only numbers.
    try:
        towns = await public_links.municipalities(page.portal.backends.eligibility)
    except BackendUnavailable:
        towns = []
    town = next((m.name for m in towns if m.code == cert.municipality), "")
    return await page.render("certificate.html", cert=cert, municipality_name=town)


def _day(value: str, field: str, errors: FormErrors) -> date | None:
    try:
        return parse_day(value)
    except ValueError:
        errors.add(field, N_("Enter a real date, like 2027-01-07"))
        return None


@router.get("/bookings")
async def booking_list(
    page: PageDep,
    kind: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    facility: str = "",
) -> Response:
    """予約一覧 with filters: a GET form, so a filtered list can be bookmarked or shared."""
    _, token = await guardian_token(page, only_guardians=True)
    errors = FormErrors()
    if kind not in ("", *guardian.KINDS):
        kind = ""
    start, end = _day(date_from, "from", errors), _day(date_to, "to", errors)
    if start and end and start > end:
        errors.add("to", N_("The end date must be on or after the start date"))
    try:
        facility_id = str(uuid.UUID(facility)) if facility else ""
    except ValueError:
        facility_id = ""
    flt = guardian.BookingFilter(kind, start, end, facility_id)
    listed = await guardian.bookings(
        page.portal.backends, token, guardian.BookingFilter() if errors else flt
    )
    return await page.render(
        "bookings.html",
        400 if errors else 200,
        listed=listed,
        lines=[] if errors else listed.lines,
        errors=errors,
        chosen={"kind": kind, "from": date_from, "to": date_to, "facility": facility_id},
        kind_choices=guardian.KINDS,
    )

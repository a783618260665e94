"""The money pages, read from billing on the user's behalf (issue 19):

- guardians: 利用料のお知らせ (``/statements``, per month and facility) and a statement's
  printable page;
- facility staff: the facility's claims (請求) per month and paying municipality, a claim's
  lines, its CSV, and the month's statements per guardian;
- officers: the claims to their municipality with billing's totals by facility, and the
  month's CSV.

Billing decides who sees what from the token: another family's statement or another
facility's (or municipality's) claim is its 404, shown exactly like a missing id.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.money import by_month, chosen_month, closable_months, month_label, yen
from tsuen_portal.entrypoints.access import uuid_or_404
from tsuen_portal.entrypoints.pages import fees
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.pages.officer import officer_token
from tsuen_portal.entrypoints.pages.staff import staff_token
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import money

router = APIRouter(include_in_schema=False)
# 利用料のしくみ and 実費の設定 come with the money pages (registered through this router).
router.include_router(fees.router)

LINE_KINDS = {
    "use": N_("Used (came)"),
    "no_show": N_("Absent without notice"),
    "late_cancel": N_("Cancelled after the deadline"),
    "late_pickup": N_("Late pickup (1 hour added)"),
    "over_cap": N_("Beyond the monthly limit (facility's fee)"),
    "not_charged_cancel": N_("Cancelled by the facility (not charged)"),
}
AGE_BANDS = {"age_0": N_("Age 0"), "age_1_2": N_("Ages 1–2")}


def _months(month: str) -> tuple[str, list[str]]:
    months = closable_months(today_jst())
    return chosen_month(month, months), months


async def _render(page: Page, name: str, **context: Any) -> Response:
    """A money page: ``yen(amount)`` and ``ym(month)`` write billing's integer yen and
    ``YYYY-MM`` months in the page's language."""
    return await page.render(
        name,
        yen=lambda amount: yen(amount, page.lang),
        ym=lambda month: month_label(month, page.lang),
        **context,
    )


def _streamed(response: httpx.Response, fallback_name: str) -> StreamingResponse:
    """Billing's CSV passed on as it arrives, under billing's file name."""
    disposition = response.headers.get(
        "Content-Disposition", f'attachment; filename="{fallback_name}"'
    )
    return StreamingResponse(
        response.aiter_bytes(),
        media_type=response.headers.get("Content-Type", "text/csv; charset=utf-8"),
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        background=BackgroundTask(response.aclose),
    )


# --- guardians --------------------------------------------------------------------------------


@router.get("/statements")
async def my_statements(page: PageDep) -> Response:
    """利用料のお知らせ: every month's statement per facility, the newest month first."""
    _, token = await guardian_token(page, only_guardians=True)
    statements = await money.my_statements(page.portal.backends, token)
    return await _render(
        page, "money_statements.html", months=by_month(statements, lambda s: s.month)
    )


@router.get("/statements/{statement_id}")
async def my_statement(statement_id: str, page: PageDep) -> Response:
    _, token = await guardian_token(page, only_guardians=True)
    return await _statement_page(
        page, token, statement_id, back="/statements", back_label=N_("Back to the statements")
    )


async def _statement_page(
    page: Page, token: str, statement_id: str, *, back: str, back_label: str
) -> Response:
    """A statement; ``back`` may name the statement's ``{month}`` (the staff's month)."""
    try:
        found = await money.statement(page.portal.backends, token, uuid_or_404(statement_id))
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await _render(
        page,
        "money_statement.html",
        statement=found,
        kinds=LINE_KINDS,
        back=back.format(month=found.month),
        back_label=back_label,
        # The fee page is the guardian's; staff see their own list of 実費.
        fees_link="/fees" if back.startswith("/statements") else "/staff/costs",
    )


# --- facility staff ---------------------------------------------------------------------------


@router.get("/staff/claims")
async def staff_claims(page: PageDep, month: str = "") -> Response:
    """The facility's claims of a month (one per paying municipality) and its guardians'
    statements of that month."""
    account, token = await staff_token(page)
    chosen, months = _months(month)
    api = page.portal.backends
    claims = await money.facility_claims(api, account, token, chosen)
    statements = await money.facility_statements(api, account, token, chosen)
    return await _render(
        page,
        "staff_claims.html",
        claims=claims,
        statements=statements,
        chosen=chosen,
        months=months,
    )


@router.get("/staff/claims/{claim_id}")
async def staff_claim(claim_id: str, page: PageDep) -> Response:
    account, token = await staff_token(page)
    try:
        found = await money.claim(page.portal.backends, token, uuid_or_404(claim_id))
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    names = await money.child_names(page.portal.backends, account, token, found.month)
    return await _render(
        page,
        "money_claim.html",
        claim=found,
        names=names,
        kinds=LINE_KINDS,
        ages=AGE_BANDS,
        back=f"/staff/claims?month={found.month}",
        csv=f"/staff/claims/{found.id}/lines.csv",
    )


@router.get("/staff/claims/{claim_id}/lines.csv")
async def staff_claim_csv(claim_id: str, page: PageDep) -> Response:
    _, token = await staff_token(page)
    try:
        response = await money.claim_csv(page.portal.backends, token, uuid_or_404(claim_id))
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return _streamed(response, "claim.csv")


@router.get("/staff/statements/{statement_id}")
async def staff_statement(statement_id: str, page: PageDep) -> Response:
    """A guardian's statement as the facility sees it (billing lets staff of its facility)."""
    _, token = await staff_token(page)
    return await _statement_page(
        page,
        token,
        statement_id,
        back="/staff/claims?month={month}",
        back_label=N_("Back to the claims"),
    )


# --- officers ---------------------------------------------------------------------------------


@router.get("/officer/claims")
async def officer_claims(page: PageDep, month: str = "") -> Response:
    """The claims to the municipality for a month: billing's totals by facility, each claim."""
    account, token = await officer_token(page)
    chosen, months = _months(month)
    totals, claims = await money.municipality_claims(page.portal.backends, account, token, chosen)
    return await _render(
        page, "officer_claims.html", totals=totals, claims=claims, chosen=chosen, months=months
    )


@router.get("/officer/claims.csv")
async def officer_claims_csv(page: PageDep, month: str = "") -> Response:
    account, token = await officer_token(page)
    chosen, _ = _months(month)
    try:
        response = await money.municipality_csv(page.portal.backends, account, token, chosen)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return _streamed(response, f"claims-{chosen}.csv")


@router.get("/officer/claims/{claim_id}")
async def officer_claim(claim_id: str, page: PageDep) -> Response:
    _, token = await officer_token(page)
    try:
        found = await money.claim(page.portal.backends, token, uuid_or_404(claim_id))
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await _render(
        page,
        "money_claim.html",
        claim=found,
        names={},
        kinds=LINE_KINDS,
        ages=AGE_BANDS,
        back=f"/officer/claims?month={found.month}",
        csv=f"/officer/claims/{found.id}/lines.csv",
    )


@router.get("/officer/claims/{claim_id}/lines.csv")
async def officer_claim_csv(claim_id: str, page: PageDep) -> Response:
    _, token = await officer_token(page)
    try:
        response = await money.claim_csv(page.portal.backends, token, uuid_or_404(claim_id))
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return _streamed(response, "claim.csv")

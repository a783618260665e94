"""The guardian's pages: home (直近のご予約, this month's hours, 認定証) and the certificate."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound, BackendUnauthorized
from tsuen_portal.domain.sessions import Account
from tsuen_portal.entrypoints.web import LoginRequired, Page, PageDep, login_url
from tsuen_portal.service_layer import guardian

router = APIRouter(include_in_schema=False)

GUARDIAN = "guardian"


async def guardian_token(page: Page) -> tuple[Account, str]:
    """The signed-in guardian and a fresh access token, or off to the login page."""
    session = page.session
    if session is None or not session.signed_in or session.account is None:
        raise LoginRequired(login_url(page.request))
    try:
        token = await page.portal.sessions.access_token(session, page.client_ip)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return session.account, token


@router.get("/")
async def home(page: PageDep) -> Response:
    account, token = await guardian_token(page)
    if account.role != GUARDIAN:
        return await page.render("staff_pending.html")
    try:
        children = await guardian.home(page.portal.backends, account, token)
    except BackendUnauthorized:
        raise LoginRequired(login_url(page.request)) from None
    return await page.render("home.html", children=children)


@router.get("/certificates/{certification_id}")
async def certificate(certification_id: str, page: PageDep) -> Response:
    account, token = await guardian_token(page)
    try:
        uuid.UUID(certification_id)
        cert = await guardian.certificate(page.portal.backends, account, token, certification_id)
    except (ValueError, BackendNotFound):
        # Another guardian's certificate looks exactly like one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return await page.render("certificate.html", cert=cert)

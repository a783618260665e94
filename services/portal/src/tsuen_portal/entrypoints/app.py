from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from tsuen_common.db import make_engine
from tsuen_common.service import create_app, dispose_on_shutdown
from tsuen_common.timeutil import now_jst
from tsuen_portal.adapters.backends import Identity, ServiceApi
from tsuen_portal.adapters.session_store import SessionStore, TokenBox
from tsuen_portal.config import Settings
from tsuen_portal.domain.sessions import Lifetime
from tsuen_portal.entrypoints import errors, vendor
from tsuen_portal.entrypoints.pages import (
    account,
    apply,
    bulk_cancel,
    changes,
    child,
    dashboard,
    facility,
    facility_search,
    guardian,
    interviews,
    late,
    lottery,
    money,
    officer,
    officer_accounts,
    officer_family_support,
    officer_imports,
    officer_records,
    officer_rules,
    plans,
    staff,
    visits,
    waitlist,
)
from tsuen_portal.entrypoints.web import SECURITY_HEADERS, Portal, template_environments
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.sessions import Sessions

STATIC = Path(__file__).with_name("static")


def _client(base_url: str, settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=settings.portal_backend_timeout_seconds)


def create(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_app(
        settings,
        title="tsuen portal",
        routers=[
            account.router,
            bulk_cancel.router,
            guardian.router,
            child.router,
            apply.router,
            facility.router,
            facility_search.router,
            staff.router,
            officer.router,
            officer_records.router,
            officer_rules.router,
            officer_family_support.router,
            officer_accounts.router,
            officer_imports.router,
            lottery.router,
            plans.router,
            late.router,
            money.router,
            interviews.router,
            visits.router,
            changes.router,
            dashboard.router,
            waitlist.router,
        ],
    )
    app.openapi_url = None  # pages, not an API: no /docs
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    engine = make_engine(settings.database_url)
    key = settings.portal_token_key.get_secret_value() if settings.portal_token_key else None
    clients = [
        _client(settings.portal_identity_url, settings),
        _client(settings.portal_eligibility_url, settings),
        _client(settings.portal_booking_url, settings),
        _client(settings.portal_attendance_url, settings),
        _client(settings.portal_billing_url, settings),
    ]
    lifetime = Lifetime(
        idle=_minutes(settings.portal_session_idle_minutes),
        absolute=_minutes(settings.portal_session_absolute_minutes),
    )
    app.state.portal = Portal(
        settings=settings,
        sessions=Sessions(
            SessionStore(engine, TokenBox(key)),
            Identity(clients[0]),
            lifetime,
            now_jst,
            refresh_margin=timedelta(seconds=settings.portal_refresh_margin_seconds),
        ),
        backends=Backends(
            eligibility=ServiceApi(clients[1]),
            booking=ServiceApi(clients[2]),
            attendance=ServiceApi(clients[3]),
            identity=ServiceApi(clients[0]),
            billing=ServiceApi(clients[4]),
        ),
        templates=template_environments(),
    )
    vendor.install(app, app.state.portal.templates)
    errors.install(app)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            # Pages show a family's certificate and bookings: never kept by a shared browser.
            response.headers["Cache-Control"] = "no-store"
        return response

    _close_on_shutdown(app, clients)
    dispose_on_shutdown(app, engine)
    return app


def _close_on_shutdown(app: FastAPI, clients: list[httpx.AsyncClient]) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        try:
            async with inner(a):
                yield
        finally:
            for client in clients:
                await client.aclose()

    app.router.lifespan_context = lifespan


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from tsuen_attendance.config import Settings
from tsuen_attendance.entrypoints import api, pages, reports
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_attendance.service_layer.wiring import build_service
from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine
from tsuen_common.idempotency import enable_idempotency
from tsuen_common.service import create_app, dispose_on_shutdown


def create(
    settings: Settings | None = None, *, now: Callable[[], datetime] | None = None
) -> FastAPI:
    """The HTTP app. ``now`` replaces the clock (tests that need a given time of day)."""
    settings = settings or Settings()
    # The display page may be opened once with ``?access_token=<JWT>``: uvicorn's access log
    # line is masked by the shared log redaction (tsuen_common.logging.mask_query_values).
    app = create_app(
        settings, title="tsuen attendance", routers=[api.router, reports.router, pages.router]
    )
    configure_auth(app, TokenVerifier.from_settings(settings))
    api.install_error_handlers(app)
    # The default ceiling of 20 connections per worker, all kept open: 10 kept and 10 overflow
    # made a busy server close and reopen connections, and PostgreSQL start a backend (and plan
    # register_visit's statements) for each (issue 20, bench/README.md).
    engine = make_engine(settings.database_url, pool_size=20, max_overflow=0)
    service: AttendanceService = build_service(settings, engine, now=now)
    app.state.attendance = service
    # Its POSTs change only its own database: a retry need not be looked up before it runs.
    enable_idempotency(app, service.sessions, ask_first=False)
    app.state.engine = engine  # disposed at shutdown (tests without lifespan dispose it)
    dispose_on_shutdown(app, engine)
    return app

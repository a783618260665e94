from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from tsuen_attendance.config import Settings
from tsuen_attendance.entrypoints import api, pages
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_attendance.service_layer.wiring import build_service
from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine
from tsuen_common.service import create_app, dispose_on_shutdown


class _HideAccessTokens(logging.Filter):
    """The display page may be opened once with ``?access_token=<JWT>``; uvicorn's access log
    would otherwise write that credential into log storage."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and "access_token=" in arg for arg in record.args
        ):
            record.args = tuple(
                _ACCESS_TOKEN.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


_ACCESS_TOKEN = re.compile(r"(access_token=)[^&\s]+")


def create(
    settings: Settings | None = None, *, now: Callable[[], datetime] | None = None
) -> FastAPI:
    """The HTTP app. ``now`` replaces the clock (tests that need a given time of day)."""
    settings = settings or Settings()
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _HideAccessTokens) for f in access_log.filters):
        access_log.addFilter(_HideAccessTokens())
    app = create_app(settings, title="tsuen attendance", routers=[api.router, pages.router])
    configure_auth(app, TokenVerifier.from_settings(settings))
    api.install_error_handlers(app)
    engine = make_engine(settings.database_url)
    service: AttendanceService = build_service(settings, engine, now=now)
    app.state.attendance = service
    app.state.engine = engine  # disposed at shutdown (tests without lifespan dispose it)
    dispose_on_shutdown(app, engine)
    return app

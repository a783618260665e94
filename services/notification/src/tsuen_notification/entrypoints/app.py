from __future__ import annotations

from fastapi import FastAPI

from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.service import create_app, dispose_on_shutdown
from tsuen_notification.config import Settings
from tsuen_notification.entrypoints.api import router


def create(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_app(settings, title="tsuen notification", routers=[router])
    configure_auth(app, TokenVerifier.from_settings(settings))
    # The engine connects lazily, on the first request; the process owns it for its lifetime.
    app.state.engine = make_engine(settings.database_url, pool_size=5, max_overflow=5)
    app.state.sessions = make_sessions(app.state.engine)
    dispose_on_shutdown(app, app.state.engine)
    return app

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from tsuen_billing.config import Settings
from tsuen_billing.entrypoints import api, fees_api
from tsuen_billing.service_layer.wiring import build_billing
from tsuen_common.auth import TokenVerifier, configure_auth
from tsuen_common.db import make_engine
from tsuen_common.service import create_app, dispose_on_shutdown


def create(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The HTTP app. Tests pass their own ``verifier`` and ``clock``."""
    settings = settings or Settings()
    app = create_app(settings, title="tsuen billing", routers=[api.router, fees_api.router])
    configure_auth(app, verifier or TokenVerifier.from_settings(settings))
    api.install_error_handlers(app)
    engine = make_engine(settings.database_url)
    app.state.billing = build_billing(settings, engine, clock=clock)
    app.state.engine = engine
    dispose_on_shutdown(app, engine)
    return app

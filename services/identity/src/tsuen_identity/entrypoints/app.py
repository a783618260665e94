from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from tsuen_common.auth import AuthConfigError, TokenVerifier, configure_auth
from tsuen_common.db import make_engine
from tsuen_common.service import create_app, dispose_on_shutdown
from tsuen_identity.adapters.keys import SigningKey, jwks
from tsuen_identity.config import Settings
from tsuen_identity.entrypoints import account_admin_api, api
from tsuen_identity.entrypoints.deps import ForwardedFor
from tsuen_identity.service_layer.wiring import build_identity

well_known = APIRouter(tags=["keys"])


@well_known.get("/.well-known/jwks.json")
async def get_jwks(request: Request, response: Response) -> dict[str, Any]:
    """The public keys that verify tsuen access tokens (pick one by the token's ``kid``)."""
    # Short: during a rotation verifiers see the new key within minutes (and refetch at once
    # on an unknown kid anyway).
    response.headers["Cache-Control"] = "public, max-age=300"
    document: dict[str, Any] = request.app.state.jwks
    return document


def create(
    settings: Settings | None = None, *, now: Callable[[], datetime] | None = None
) -> FastAPI:
    """The HTTP app. ``now`` replaces the clock of the rules (tests that move past an expiry)."""
    settings = settings or Settings()
    if settings.identity_signing_key_file is None:
        raise AuthConfigError(
            "identity signs access tokens: set TSUEN_IDENTITY_SIGNING_KEY_FILE to an ES256 "
            "private key (create one with: tsuen-identity gen-key PATH)"
        )
    key = SigningKey.load(settings.identity_signing_key_file)
    app = create_app(
        settings, title="tsuen identity", routers=[api.router, account_admin_api.router, well_known]
    )
    # This service verifies only the tokens it signs (logout-all, me).
    configure_auth(
        app,
        TokenVerifier(
            algorithm="ES256",
            key=key.public_key(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        ),
    )
    api.install_error_handlers(app)

    @app.middleware("http")
    async def no_store(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/v1/"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    engine = make_engine(settings.database_url)
    app.state.identity = build_identity(settings, engine, signing_key=key, now=now)
    app.state.jwks = jwks(key, settings.identity_published_key_files)
    app.state.forwarded_for = ForwardedFor.of(
        settings.trust_forwarded_for, settings.trusted_proxies
    )
    app.state.engine = engine
    dispose_on_shutdown(app, engine)
    return app

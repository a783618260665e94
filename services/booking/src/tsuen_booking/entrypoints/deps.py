"""What every booking route shares: the use-case context, the roles that manage a facility or
book, the error handlers, and the refusals each kind of route declares in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Principal, Role, require_roles
from tsuen_common.errors import install_error_handler
from tsuen_common.problems import error_responses

Manager = Annotated[
    Principal,
    Depends(require_roles(Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)),
]
Booker = Annotated[Principal, Depends(require_roles(Role.GUARDIAN, Role.FACILITY_STAFF))]


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_context(request: Request) -> Context:
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def add_error_handlers(app: FastAPI) -> None:
    """Refusals answer ``{detail, code, message_ja}`` with their kind's status: the shared
    mapping of tsuen_common.errors (create_app installs it already; kept for the app's setup)."""
    install_error_handler(app)


# What each kind of route can answer besides its success (the OpenAPI ``responses``): every
# route needs a token (401) and may meet a database restart (503) or load shedding (503);
# the tenant check makes another tenant's record a 404; a body can be unreadable (400: not
# UTF-8 JSON) or too large (413).
READ = error_responses(401, 403, 404, 422, 503)
LIST = error_responses(401, 403, 422, 503)
CHANGE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)
# Exactly the keys each use case gives (an interview in 予約一覧 has no ``end``): see schemas.
TYPED: dict[str, Any] = {"response_model_exclude_unset": True}

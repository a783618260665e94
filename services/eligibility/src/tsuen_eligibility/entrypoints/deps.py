"""What every eligibility route shares: the use-case context, the officer's check, and the
refusals each kind of route declares in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from tsuen_common.auth import Principal
from tsuen_common.problems import error_responses
from tsuen_eligibility.service_layer.context import Eligibility


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_ctx(request: Request) -> Eligibility:
    ctx: Eligibility = request.app.state.eligibility
    return ctx


CtxDep = Annotated[Eligibility, Depends(get_ctx)]


# What each kind of route can answer besides its success (the OpenAPI ``responses``). Every
# route may meet a database restart or load shedding (503); a body can be unreadable (400: not
# UTF-8 JSON) or too large (413); an unknown municipality code is a 404.
PUBLIC_READ = error_responses(404, 422, 503)
PUBLIC_FORM = error_responses(400, 404, 409, 410, 413, 415, 422, 429, 503)
READ = error_responses(401, 403, 404, 422, 503)
CHANGE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)
# Exactly the keys each use case gives (a round shows its order only once drawn): see schemas.
TYPED: dict[str, Any] = {"response_model_exclude_unset": True}


def officer_of(principal: Principal, municipality: str) -> str:
    """The officer's subject for the audit trail; 403 if the municipality is not theirs."""
    principal.require_municipality(municipality)
    return principal.subject

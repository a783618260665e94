"""要支援家庭 over HTTP: ``PUT /v1/municipalities/{code}/certifications/{id}/family-support``
with ``{"from", "to"}`` (officers of ``code``). Another municipality's certification is a 404
like a missing one; a span outside the certification's validity is a 422 with a Japanese
reason. The same ``from`` again replaces the span's end."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CtxDep
from tsuen_eligibility.service_layer.family_support import mark_family_support


class FamilySupportIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    valid_from: date = Field(alias="from", ge=date(2024, 4, 1), le=date(2100, 1, 1))
    valid_until: date = Field(alias="to", ge=date(2024, 4, 1), le=date(2100, 1, 1))


class FamilySupportOut(BaseModel):
    certification_id: uuid.UUID
    child_id: uuid.UUID
    valid_from: date
    valid_until: date


router = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


@router.put(
    "/certifications/{certification_id}/family-support",
    summary="要支援家庭: mark the certification for a span of days (billing's 加算)",
    response_model=FamilySupportOut,
    responses=error_responses(400, 401, 403, 404, 413, 422, 503),
)
async def put_family_support(
    code: MunicipalityCode,
    certification_id: uuid.UUID,
    body: FamilySupportIn,
    principal: OfficerDep,
    ctx: CtxDep,
) -> FamilySupportOut:
    principal.require_municipality(code)
    event = await mark_family_support(
        ctx, principal, code, certification_id, body.valid_from, body.valid_until
    )
    return FamilySupportOut(
        certification_id=event.certification_id,
        child_id=event.child_id,
        valid_from=event.valid_from,
        valid_until=event.valid_until,
    )


ROUTERS = (router,)

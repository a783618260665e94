"""お子さんの情報登録 over HTTP: the guardian reads and keeps the child's record.

Its own router (the use cases are in ``service_layer/profiles.py``); answers carry health data,
so they are never cached (the edge sets ``Cache-Control: no-store`` on every answer).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tsuen_common.auth import MunicipalityCode, PrincipalDep
from tsuen_common.events.eligibility import ChildProfile
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CtxDep
from tsuen_eligibility.service_layer import profiles


class ProfileOut(BaseModel):
    child_id: uuid.UUID
    version: int = Field(description="0 until the guardian registers; +1 per change")
    updated_at: datetime | None
    profile: ChildProfile | None


class ProfileIn(BaseModel):
    profile: ChildProfile
    expected_version: int | None = Field(
        default=None, ge=0, description="the version the form showed; a stale form is a 409"
    )


router = APIRouter(prefix="/v1/municipalities/{code}", tags=["children"])


@router.get(
    "/children/{child_id}/profile",
    summary="お子さんの情報: the child's health and safety record",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_profile(
    code: MunicipalityCode, child_id: uuid.UUID, principal: PrincipalDep, ctx: CtxDep
) -> ProfileOut:
    view = await profiles.get_profile(
        ctx, municipality=code, child_id=child_id, principal=principal
    )
    return ProfileOut.model_validate(view)


@router.put(
    "/children/{child_id}/profile",
    summary="お子さんの情報登録: register or change the record (the guardian)",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
async def put_profile(
    code: MunicipalityCode,
    child_id: uuid.UUID,
    body: ProfileIn,
    principal: PrincipalDep,
    ctx: CtxDep,
) -> ProfileOut:
    view = await profiles.save_profile(
        ctx,
        municipality=code,
        child_id=child_id,
        profile=body.profile,
        principal=principal,
        expected_version=body.expected_version,
    )
    return ProfileOut.model_validate(view)


ROUTERS = (router,)

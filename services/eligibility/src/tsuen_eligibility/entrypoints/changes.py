"""変更申請 review over HTTP: the officer's queue and decisions, and the guardian's own requests.

Filing stays ``POST …/certifications/{id}/changes`` (api.py); a guardian's change of details
answers ``pending_review`` and waits here. Answers carry names and addresses: never cached
(the edge sets ``Cache-Control: no-store``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from tsuen_common.auth import MunicipalityCode, OfficerDep, PrincipalDep, Role
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CtxDep
from tsuen_eligibility.service_layer import certifications, change_requests

Status = Literal["pending", "approved", "rejected"]


class FieldChangeOut(BaseModel):
    field: str = Field(description="address | phone | guardian_name | guardian_kana")
    on_record: str | None = Field(description="the value now on record")
    requested: str


class ChangeRequestOut(BaseModel):
    id: uuid.UUID
    certification_id: uuid.UUID
    certificate_number: str
    child_name: str | None
    guardian_name: str | None
    status: Status
    requested_at: datetime
    changes: list[FieldChangeOut]
    decided_at: datetime | None
    reason: str | None


class DecidedOut(BaseModel):
    id: uuid.UUID
    status: Status


class RejectChangeIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


router = APIRouter(prefix="/v1/municipalities/{code}", tags=["change applications"])
DECIDE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)
READ = error_responses(401, 403, 404, 422, 503)


@router.get(
    "/change-requests",
    summary="変更申請 of the municipality for review (oldest first)",
    response_model=list[ChangeRequestOut],
    responses=READ,
)
async def queue(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: CtxDep,
    status_: Annotated[Status | None, Query(alias="status")] = "pending",
) -> list[dict[str, object]]:
    principal.require_municipality(code)
    return await change_requests.list_requests(ctx, municipality=code, status=status_)


@router.post(
    "/change-requests/{request_id}/approve",
    summary="Approve a 変更申請: it applies now and the guardian is mailed",
    response_model=DecidedOut,
    responses=DECIDE,
)
async def approve(
    code: MunicipalityCode, request_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> dict[str, object]:
    principal.require_municipality(code)
    return await change_requests.decide(
        ctx, municipality=code, request_id=request_id, approve=True, reason="", principal=principal
    )


@router.post(
    "/change-requests/{request_id}/reject",
    summary="Reject a 変更申請 with a reason: nothing changes and the guardian is mailed",
    response_model=DecidedOut,
    responses=DECIDE,
)
async def reject(
    code: MunicipalityCode,
    request_id: uuid.UUID,
    body: RejectChangeIn,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, object]:
    principal.require_municipality(code)
    return await change_requests.decide(
        ctx,
        municipality=code,
        request_id=request_id,
        approve=False,
        reason=body.reason,
        principal=principal,
    )


@router.get(
    "/certifications/{certification_id}/change-requests",
    summary="The 変更申請 of one certification (its guardian or an officer), oldest first",
    response_model=list[ChangeRequestOut],
    responses=READ,
)
async def of_certification(
    code: MunicipalityCode, certification_id: uuid.UUID, principal: PrincipalDep, ctx: CtxDep
) -> list[dict[str, object]]:
    # The certification's own access rule: another family's id is a 404 like a missing one.
    await certifications.get_certification(
        ctx, municipality=code, certification_id=certification_id, principal=principal
    )
    guardian = (
        certifications.guardian_of(principal, code) if principal.role is Role.GUARDIAN else None
    )
    return await change_requests.list_requests(
        ctx,
        municipality=code,
        status=None,
        certification_id=certification_id,
        guardian_id=guardian,
    )


ROUTERS = (router,)

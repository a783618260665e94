"""Certifications (認定): the officer revokes one; the officer or the guardian lists and reads
them and asks for a change (変更申請)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from tsuen_common.auth import Forbidden, MunicipalityCode, OfficerDep, PrincipalDep, Role
from tsuen_eligibility.entrypoints.deps import CHANGE, READ, TYPED, CtxDep, officer_of
from tsuen_eligibility.entrypoints.schemas import CertificationOut, ChangedOut, RevokedOut
from tsuen_eligibility.service_layer import certifications
from tsuen_eligibility.service_layer.commands import ChangeRequest, RevokeRequest

officers = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


@officers.post(
    "/certifications/{certification_id}/revoke",
    summary="End a certification",
    response_model=RevokedOut,
    responses=CHANGE,
    **TYPED,
)
async def revoke(
    code: MunicipalityCode,
    certification_id: uuid.UUID,
    body: RevokeRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await certifications.revoke_certification(
        ctx,
        municipality=code,
        certification_id=certification_id,
        request=body,
        actor=officer_of(principal, code),
    )


# Read and changed by the officer or by the guardian of the child.
holders = APIRouter(prefix="/v1/municipalities/{code}", tags=["certifications"])


@holders.get(
    "/certifications",
    summary="Certifications: all of the municipality (officer), or the guardian's own children's",
    response_model=list[CertificationOut],
    responses=READ,
    **TYPED,
)
async def list_certifications(
    code: MunicipalityCode,
    principal: PrincipalDep,
    ctx: CtxDep,
    status_: Annotated[Literal["active", "revoked"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    if principal.role is Role.GUARDIAN:
        # 認定状況: a guardian sees their own children's certifications, nobody else's.
        guardian = certifications.guardian_of(principal, code)
    elif principal.role in (Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN):
        officer_of(principal, code)
        guardian = None
    else:
        raise Forbidden(f"{principal.role} may not list certifications")
    return await certifications.list_certifications(
        ctx, municipality=code, status=status_, limit=limit, offset=offset, guardian_id=guardian
    )


@holders.get(
    "/certifications/{certification_id}",
    summary="A certification (認定証)",
    response_model=CertificationOut,
    responses=READ,
    **TYPED,
)
async def get_certification(
    code: MunicipalityCode, certification_id: uuid.UUID, principal: PrincipalDep, ctx: CtxDep
) -> dict[str, Any]:
    return await certifications.get_certification(
        ctx, municipality=code, certification_id=certification_id, principal=principal
    )


@holders.post(
    "/certifications/{certification_id}/changes",
    summary="変更申請: address or guardian details (the guardian or an officer)",
    response_model=ChangedOut,
    responses=CHANGE,
    **TYPED,
)
async def change(
    code: MunicipalityCode,
    certification_id: uuid.UUID,
    body: ChangeRequest,
    principal: PrincipalDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await certifications.change_certification(
        ctx,
        municipality=code,
        certification_id=certification_id,
        change=body,
        principal=principal,
    )


ROUTERS = (officers, holders)

"""The officer's review of applications: list, read, download an attachment, approve, reject,
set the lottery tier, and the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_eligibility.config import Settings
from tsuen_eligibility.domain.attachments import content_disposition
from tsuen_eligibility.entrypoints.deps import CHANGE, READ, TYPED, CtxDep, officer_of
from tsuen_eligibility.entrypoints.schemas import (
    ApplicationOut,
    ApplicationSummaryOut,
    ApprovedOut,
    AuditOut,
    RejectedOut,
    TierOut,
)
from tsuen_eligibility.service_layer import (
    approval,
    attachments,
    audit_trail,
    priority_tiers,
    rejection,
    review,
)
from tsuen_eligibility.service_layer.commands import (
    ApproveRequest,
    PriorityTierRequest,
    RejectRequest,
)

ApplicationStatus = Literal[
    "pending", "waitlisted", "approved", "rejected", "withdrawn", "not_selected"
]

officers = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


@officers.get(
    "/applications",
    summary="List and search applications with check results",
    response_model=list[ApplicationSummaryOut],
    responses=READ,
    **TYPED,
)
async def list_applications(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: CtxDep,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name, kana or e-mail")] = None,
    checks_passed: bool | None = None,
    facility_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    officer_of(principal, code)
    return await review.list_applications(
        ctx,
        municipality=code,
        status=status_,
        q=q,
        checks_passed=checks_passed,
        facility_id=facility_id,
        limit=limit,
        offset=offset,
    )


@officers.get(
    "/applications/{application_id}",
    summary="One application with its audit trail",
    response_model=ApplicationOut,
    responses=READ,
    **TYPED,
)
async def get_application(
    code: MunicipalityCode, application_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> dict[str, Any]:
    officer_of(principal, code)
    return await review.get_application(ctx, municipality=code, application_id=application_id)


@officers.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        **READ,
        200: {
            "content": {t: {} for t in Settings.model_fields["attachment_content_types"].default},
            "description": "the file as it was sent (always a download, never sniffed)",
        },
    },
)
async def get_attachment(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: OfficerDep,
    ctx: CtxDep,
) -> Response:
    officer_of(principal, code)
    filename, content_type, data = await attachments.get_attachment(
        ctx, municipality=code, application_id=application_id, attachment_id=attachment_id
    )
    # Always a download (never shown inline), never sniffed into another type.
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


@officers.post(
    "/applications/{application_id}/approve",
    summary="認定: approve and certify",
    response_model=ApprovedOut,
    responses=CHANGE,
    **TYPED,
)
async def approve(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    principal: OfficerDep,
    ctx: CtxDep,
    body: ApproveRequest | None = None,
) -> dict[str, Any]:
    return await approval.approve(
        ctx,
        municipality=code,
        application_id=application_id,
        request=body or ApproveRequest(),
        actor=officer_of(principal, code),
    )


@officers.post(
    "/applications/{application_id}/reject",
    summary="Reject with a reason",
    response_model=RejectedOut,
    responses=CHANGE,
    **TYPED,
)
async def reject(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    body: RejectRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await rejection.reject(
        ctx,
        municipality=code,
        application_id=application_id,
        request=body,
        actor=officer_of(principal, code),
    )


@officers.put(
    "/applications/{application_id}/priority-tier",
    summary="Lottery priority tier",
    response_model=TierOut,
    responses=CHANGE,
    **TYPED,
)
async def set_tier(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    body: PriorityTierRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await priority_tiers.set_priority_tier(
        ctx,
        municipality=code,
        application_id=application_id,
        tier=body.tier,
        actor=officer_of(principal, code),
    )


@officers.get(
    "/audit-log",
    summary="Audit trail: who did what, when",
    response_model=list[AuditOut],
    responses=READ,
    **TYPED,
)
async def audit_log(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: CtxDep,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    officer_of(principal, code)
    return await audit_trail.list_audit(
        ctx,
        municipality=code,
        application_id=application_id,
        certification_id=certification_id,
        round_id=round_id,
        limit=limit,
        offset=offset,
    )


ROUTERS = (officers,)

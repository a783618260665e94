"""初回面談: the guardian asks, the facility schedules, holds or calls it off."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tsuen_booking.domain.acceptance import HealthCheck
from tsuen_booking.entrypoints.deps import CHANGE, LIST, TYPED, ContextDep, Manager
from tsuen_booking.entrypoints.schemas import (
    InterviewOut,
)
from tsuen_booking.service_layer import interviews as interview_cases
from tsuen_booking.service_layer.commands import (
    BoundedDateTime,
    ReasonRequest,
)
from tsuen_common.auth import (
    PrincipalDep,
)

router = APIRouter(prefix="/v1")


class InterviewRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facility_id: uuid.UUID
    child_id: uuid.UUID
    proposed_times: list[BoundedDateTime] = Field(default_factory=list, max_length=5)


class InterviewScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: BoundedDateTime


@router.post(
    "/interviews",
    status_code=status.HTTP_201_CREATED,
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def request_interview(
    body: InterviewRequestIn, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    return await interview_cases.request(
        ctx,
        principal,
        facility_id=body.facility_id,
        child_id=body.child_id,
        proposed_times=body.proposed_times,
    )


@router.post(
    "/interviews/{interview_id}/schedule",
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def schedule_interview(
    interview_id: uuid.UUID, body: InterviewScheduleIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await interview_cases.schedule(ctx, principal, interview_id, body.starts_at)


class InterviewHeldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    health_check: HealthCheck = Field(description="健康診断の結果")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


@router.post(
    "/interviews/{interview_id}/held",
    tags=["interviews"],
    summary="面談の実施を記録",
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def record_interview_held(
    interview_id: uuid.UUID, body: InterviewHeldIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    """The facility records that the 初回面談 took place, with the health check's result."""
    return await interview_cases.record_held(
        ctx, principal, interview_id, health_check=body.health_check, note=body.note
    )


@router.post(
    "/interviews/{interview_id}/cancel",
    tags=["interviews"],
    response_model=InterviewOut,
    responses=CHANGE,
    **TYPED,
)
async def cancel_interview(
    interview_id: uuid.UUID,
    body: ReasonRequest,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> dict[str, Any]:
    """Call off a requested or scheduled 初回面談 (guardian, or the facility)."""
    return await interview_cases.cancel(ctx, principal, interview_id, body.reason)


@router.get(
    "/interviews", tags=["interviews"], response_model=list[InterviewOut], responses=LIST, **TYPED
)
async def list_interviews(principal: PrincipalDep, ctx: ContextDep) -> list[dict[str, Any]]:
    return await interview_cases.list_interviews(ctx, principal)

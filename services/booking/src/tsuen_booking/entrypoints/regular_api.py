"""定期利用 (regular plans): apply, list, approve or decline, end, generate a month's bookings."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from tsuen_booking.entrypoints.deps import CHANGE, LIST, TYPED, Booker, ContextDep, Manager
from tsuen_booking.entrypoints.schemas import (
    GenerationOut,
    PlanEndedOut,
    RegularPlanOut,
)
from tsuen_booking.service_layer import regular as regular_cases
from tsuen_booking.service_layer import regular_occurrences
from tsuen_common.auth import (
    PrincipalDep,
)

router = APIRouter(prefix="/v1")


@router.post(
    "/regular-plans",
    status_code=status.HTTP_201_CREATED,
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def apply_regular_plan(
    body: regular_cases.RegularPlanRequest, principal: Booker, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.apply(ctx, principal, body)


@router.get(
    "/regular-plans", tags=["regular"], response_model=list[RegularPlanOut], responses=LIST, **TYPED
)
async def list_regular_plans(principal: PrincipalDep, ctx: ContextDep) -> list[dict[str, Any]]:
    return await regular_cases.list_plans(ctx, principal)


@router.post(
    "/regular-plans/{plan_id}/approve",
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def approve_regular_plan(
    plan_id: uuid.UUID, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.decide(ctx, principal, plan_id, approve=True)


@router.post(
    "/regular-plans/{plan_id}/decline",
    tags=["regular"],
    response_model=RegularPlanOut,
    responses=CHANGE,
    **TYPED,
)
async def decline_regular_plan(
    plan_id: uuid.UUID, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await regular_cases.decide(ctx, principal, plan_id, approve=False)


@router.post(
    "/regular-plans/{plan_id}/end",
    tags=["regular"],
    summary="定期利用の終了",
    response_model=PlanEndedOut,
    responses=CHANGE,
    **TYPED,
)
async def end_regular_plan(
    plan_id: uuid.UUID, body: regular_cases.EndPlanRequest, principal: Booker, ctx: ContextDep
) -> dict[str, Any]:
    """End the plan after ``last_day`` and cancel its later bookings (one 一括キャンセル)."""
    return await regular_cases.end(ctx, principal, plan_id, body)


@router.post(
    "/regular-plans/{plan_id}/generate",
    tags=["regular"],
    response_model=GenerationOut,
    responses=CHANGE,
    **TYPED,
)
async def generate_regular_month(
    plan_id: uuid.UUID,
    principal: Manager,
    ctx: ContextDep,
    month: Annotated[str, Query(description="YYYY-MM")],
) -> dict[str, Any]:
    return await regular_occurrences.generate(ctx, principal, plan_id, month)

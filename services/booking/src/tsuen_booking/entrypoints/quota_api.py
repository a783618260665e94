"""The child's 利用可能枠 for a month."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from tsuen_booking.entrypoints.deps import READ, TYPED, ContextDep
from tsuen_booking.entrypoints.schemas import (
    QuotaOut,
)
from tsuen_booking.service_layer import quota as quota_cases
from tsuen_common.auth import (
    PrincipalDep,
)

router = APIRouter(prefix="/v1")


@router.get(
    "/children/{child_id}/quota",
    tags=["quota"],
    summary="利用可能枠",
    response_model=QuotaOut,
    responses=READ,
    **TYPED,
)
async def child_quota(
    child_id: uuid.UUID,
    principal: PrincipalDep,
    ctx: ContextDep,
    month: Annotated[str | None, Query(description="YYYY-MM (JST); default this month")] = None,
) -> dict[str, int]:
    return await quota_cases.month_balance(ctx, principal, child_id, month)

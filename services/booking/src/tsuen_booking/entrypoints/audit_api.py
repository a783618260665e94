"""HTTP API of the staff audit trail (service_layer/audit.py), for the municipality's officers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.entrypoints.deps import LIST, ContextDep
from tsuen_booking.service_layer import audit
from tsuen_common.auth import MunicipalityCode, OfficerDep

router = APIRouter(prefix="/v1")


class StaffAuditOut(BaseModel):
    at: datetime
    action: StaffAction
    actor: str = Field(description="the account (token subject); the facility id for 代理予約")
    actor_role: str
    facility_id: uuid.UUID
    facility_name: str | None
    subject_id: uuid.UUID | None = Field(description="the booking, interview, plan, child…")
    detail: dict[str, Any] = Field(description="days, reasons, times: never a name")


@router.get(
    "/municipalities/{code}/staff-audit",
    tags=["audit"],
    response_model=list[StaffAuditOut],
    responses=LIST,
)
async def staff_audit(
    code: MunicipalityCode, principal: OfficerDep, ctx: ContextDep
) -> list[dict[str, Any]]:
    """What the municipality's facility staff and officers changed in booking, newest first
    (the last 200 lines): closures, weeks and places, interviews, acceptances, plans, and
    bookings made or cancelled on a guardian's behalf."""
    return await audit.trail(ctx, principal, code)

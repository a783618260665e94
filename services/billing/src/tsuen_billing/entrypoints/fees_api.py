"""The facility's 実費 items and a guardian's fee category (service_layer.fees).

- ``GET /v1/facilities/{id}/cost-items``: anyone signed in (a facility's price list is shown to
  the families who might come, as on its wall);
- ``PUT /v1/facilities/{id}/cost-items``: the facility's own staff; another facility's is a 404;
- ``GET /v1/fees``: the guardian's children's fee category and hourly fee.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator

from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.domain.visits import CostItem, CostUnit
from tsuen_billing.entrypoints.api import CHANGE, READ, GuardianDep, _facility_of
from tsuen_billing.entrypoints.deps import BillingDep
from tsuen_billing.service_layer import fees
from tsuen_common.auth import Principal, PrincipalDep, Role, require_roles

router = APIRouter(prefix="/v1", tags=["billing"])

FacilityStaffDep = Annotated[Principal, Depends(require_roles(Role.FACILITY_STAFF))]


class CostItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=40, description="e.g. 昼食, おやつ")
    unit: CostUnit = Field(description="visit: every visit; day: once per child and day")
    yen: int = Field(ge=0, le=100_000)
    effective_from: date = Field(ge=date(2024, 4, 1), le=date(2100, 1, 1))
    active: bool = Field(default=True, description="false: stop charging it from that day")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("a name is required")
        return value


class CostItemOut(BaseModel):
    name: str
    unit: CostUnit
    yen: int
    effective_from: date
    active: bool

    @classmethod
    def of(cls, item: CostItem) -> CostItemOut:
        return cls(
            name=item.name,
            unit=item.unit,
            yen=item.yen,
            effective_from=item.effective_from,
            active=item.active,
        )


class CostItemsOut(BaseModel):
    on: date
    current: list[CostItemOut] = Field(description="the items charged on ``on`` (today)")
    versions: list[CostItemOut] = Field(description="every change, those to come included")
    closed_until: str | None = Field(description="the facility's latest closed month")
    first_open_day: date | None = Field(description="the first day a change may apply from")


class ChildFeeOut(BaseModel):
    child_id: uuid.UUID
    municipality: str
    category: FeeCategory
    standard_fee_per_hour: int
    reduction_per_hour: int
    fee_per_hour: int
    fiscal_year: int
    to_confirm: bool = Field(description="the price table's figures are still to be confirmed")


@router.get("/facilities/{facility_id}/cost-items", response_model=CostItemsOut, responses=READ)
async def get_cost_items(
    facility_id: uuid.UUID, principal: PrincipalDep, ctx: BillingDep
) -> CostItemsOut:
    """The facility's 実費 items: in force today, and every change."""
    found = await fees.facility_costs(ctx, facility_id)
    return CostItemsOut(
        on=found.on,
        current=[CostItemOut.of(i) for i in found.current],
        versions=[CostItemOut.of(i) for i in found.versions],
        closed_until=found.closed_until,
        first_open_day=fees.first_open_day(found.closed_until),
    )


@router.put(
    "/facilities/{facility_id}/cost-items",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**CHANGE, **READ, 409: {"description": "the day is in a closed month"}},
)
async def put_cost_item(
    facility_id: uuid.UUID, body: CostItemIn, principal: FacilityStaffDep, ctx: BillingDep
) -> Response:
    """Add an item, change its price or unit, or stop it, from a day on (same name and day
    again: replaced)."""
    _facility_of(principal, facility_id)
    item = CostItem(body.name, body.unit, body.yen, body.effective_from, body.active)
    await fees.set_cost_item(ctx, principal, facility_id, item)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/fees", response_model=list[ChildFeeOut], responses=READ)
async def get_my_fees(principal: GuardianDep, ctx: BillingDep) -> list[ChildFeeOut]:
    """The caller's children: the household's fee category today and the fee per hour."""
    return [ChildFeeOut(**vars(fee)) for fee in await fees.guardian_fees(ctx, principal)]

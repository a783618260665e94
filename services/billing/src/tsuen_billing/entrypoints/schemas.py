"""Response and request bodies of the billing API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from tsuen_billing.domain.prices import FeeCategory

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class LineOut(BaseModel):
    booking_id: uuid.UUID
    child_id: uuid.UUID
    kind: str
    use_date: date
    service_month: str
    adjusts_month: str | None = Field(description="the closed month a late line belongs to")
    minutes: int
    benefit_yen: int | None
    addon_yen: int | None
    fee_yen: int | None
    over_cap_yen: int | None
    age_band: str | None
    fee_category: str | None
    fiscal_year: int | None
    source_event_id: uuid.UUID
    source_event_type: str
    checked_in_at: datetime | None = Field(default=None, description="attendance's check-in")
    checked_out_at: datetime | None = Field(default=None, description="attendance's check-out")
    first_visit: bool | None = Field(default=None, description="addon_yen includes 初回加算")
    actual_cost_yen: int | None = Field(default=None, description="実費 (guardian → facility)")
    actual_costs: list[tuple[str, int]] | None = Field(
        default=None, description="the 実費 items: (name, yen)"
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> LineOut:
        adjusts = row["service_month"] if row["service_month"] != row["billing_month"] else None
        return cls(
            **{k: row[k] for k in cls.model_fields if k != "adjusts_month"}, adjusts_month=adjusts
        )


class ClaimOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    municipality: str = Field(description="the paying municipality")
    month: str
    minutes: int
    line_count: int
    benefit_yen: int
    addon_yen: int
    total_yen: int
    closed_at: datetime


class ClaimDetailOut(ClaimOut):
    lines: list[LineOut]


class StatementOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    guardian_id: uuid.UUID
    municipality: str
    month: str
    minutes: int
    line_count: int
    fee_yen: int
    over_cap_yen: int
    actual_cost_yen: int = Field(description="実費: the facility's items (meals, snacks)")
    total_yen: int
    closed_at: datetime


class StatementDetailOut(StatementOut):
    lines: list[LineOut]


class FacilityTotalOut(BaseModel):
    facility_id: uuid.UUID
    facility_name: str
    claims: int
    minutes: int
    total_yen: int


class MunicipalityTotalsOut(BaseModel):
    municipality: str
    month: str
    facilities: list[FacilityTotalOut]
    minutes: int
    total_yen: int


class FeeCategoryIn(BaseModel):
    category: FeeCategory
    effective_from: date = Field(ge=date(2024, 4, 1), le=date(2100, 1, 1))

"""HTTP API of 利用枠と開所時間の変更 (service_layer/capacity.py): the facility's week from a
date on — read it, preview who would no longer fit, apply with the preview's fingerprint."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tsuen_booking.domain.facility import OpeningHours, WeeklySchedule
from tsuen_booking.entrypoints.deps import CHANGE, READ, TYPED, ContextDep, Manager
from tsuen_booking.entrypoints.schemas import BookingOut, HoursOut
from tsuen_booking.service_layer import capacity
from tsuen_booking.service_layer.commands import BoundedDate, Hour, Hours, Places, Weekday
from tsuen_common.problems import error_responses

router = APIRouter(prefix="/v1")


class WeekIn(BaseModel):
    """The facility's new week: hours per weekday (a weekday left out is closed) and places
    per slot (``places_by_weekday`` weekday → hour → places overrides ``places_per_slot``)."""

    model_config = ConfigDict(extra="forbid")
    effective_from: BoundedDate = Field(description="the first day of the new week (tomorrow on)")
    opening_hours: dict[Weekday, Hours] = Field(min_length=1)
    places_per_slot: Places
    places_by_weekday: dict[Weekday, dict[Hour, Places]] = Field(default_factory=dict)

    def week(self) -> WeeklySchedule:
        return WeeklySchedule(
            effective_from=self.effective_from,
            opening_hours={d: OpeningHours(h.open, h.close) for d, h in self.opening_hours.items()},
            places_per_slot=self.places_per_slot,
            places_by_weekday=self.places_by_weekday,
        )


class WeekChangeIn(WeekIn):
    reason: str = Field(min_length=1, max_length=200, description="変更の理由 (guardians read it)")
    fingerprint: str = Field(min_length=1, max_length=64, description="from the preview")


class DayOut(BaseModel):
    weekday: int
    open: str | None
    close: str | None
    places_min: int | None
    places_max: int | None


class WeekOut(BaseModel):
    effective_from: date | None = Field(description="None: the facility's first week")
    in_force_on: date | None
    opening_hours: dict[str, HoursOut]
    places_per_slot: int
    places_by_weekday: dict[str, dict[str, int]]
    days: list[DayOut]


class WeeksOut(BaseModel):
    facility_id: uuid.UUID
    today: date
    current: WeekOut
    later: list[WeekOut]


class AffectedOut(BookingOut):
    misfit: str = Field(description="outside_hours | over_places")


class WeekPreviewOut(BaseModel):
    effective_from: date
    week: WeekOut
    bookings: list[AffectedOut]
    fingerprint: str


class WeekChangedOut(BaseModel):
    change_id: uuid.UUID
    effective_from: date
    cancelled: list[AffectedOut]


@router.get(
    "/facilities/{facility_id}/weeks",
    tags=["facilities"],
    summary="利用枠と開所時間: the week in force today and the later ones",
    response_model=WeeksOut,
    responses=READ,
    **TYPED,
)
async def facility_weeks(
    facility_id: uuid.UUID, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await capacity.weeks(ctx, principal, facility_id)


@router.post(
    "/facilities/{facility_id}/weeks/preview",
    tags=["facilities"],
    summary="変更の前に: the bookings a new week would cancel (changes nothing)",
    response_model=WeekPreviewOut,
    # A body that is not JSON is a 400, a too large one a 413, as for every POST.
    responses=error_responses(400, 401, 403, 404, 413, 422, 503),
    **TYPED,
)
async def preview_week(
    facility_id: uuid.UUID, body: WeekIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await capacity.preview(ctx, principal, facility_id, body.week())


@router.post(
    "/facilities/{facility_id}/weeks",
    tags=["facilities"],
    summary="利用枠と開所時間の変更: the new week from its date; the previewed bookings are "
    "cancelled at no cost to the families",
    response_model=WeekChangedOut,
    responses=CHANGE,
    **TYPED,
)
async def change_week(
    facility_id: uuid.UUID, body: WeekChangeIn, principal: Manager, ctx: ContextDep
) -> dict[str, Any]:
    return await capacity.apply(
        ctx, principal, facility_id, body.week(), reason=body.reason, previewed=body.fingerprint
    )

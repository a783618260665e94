"""What booking's API answers, as Pydantic models: its OpenAPI document says what comes back.

The use cases still build plain dicts; the routes declare these models as their
``response_model`` (with ``response_model_exclude_unset``), so an answer has exactly the keys
it had before (an interview in 予約一覧 has no ``end``; a search near a point adds
``distance_km``) and the JSON is byte for byte what clients (the portal, scripts, bench) read.
Times are Japan time with their offset; ``start``/``end`` are local ``HH:MM``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from tsuen_common.events.eligibility import SpecialNeeds


class HoursOut(BaseModel):
    open: str = Field(description="HH:MM")
    close: str = Field(description="HH:MM")


class FacilityOut(BaseModel):
    id: uuid.UUID
    municipality: str
    name: str
    kana: str
    address: str
    lat: float | None
    lon: float | None
    facility_type: str
    email: str | None
    phone: str | None
    comments: str
    extra_hour_fee_yen: int
    opening_hours: dict[str, HoursOut] = Field(description="by weekday, 0 = Monday")
    places_per_slot: int
    places_by_weekday: dict[str, dict[str, int]] = Field(description="weekday → hour → places")
    place_overrides: dict[str, dict[str, int]] = Field(description="date → hour → places")
    closed_days: list[str] = Field(description="YYYY-MM-DD")
    interview_slots: list[str] = Field(description="初回面談 times offered (ISO 8601)")
    distance_km: float | None = Field(
        default=None, description="only in a search near a point (lat, lon)"
    )


class CellOut(BaseModel):
    start: str
    end: str
    places: int
    taken: int
    free: int


class GridDayOut(BaseModel):
    date: date
    open: bool
    cells: list[CellOut]


class AvailabilityOut(BaseModel):
    facility_id: uuid.UUID
    cell_minutes: int
    days: list[GridDayOut]


class BookingOut(BaseModel):
    """A booking. In 予約一覧 an 初回面談 appears as one too (``kind`` ``interview``) with only
    the fields up to ``consumed_minutes`` (and no ``end``/``ends_at``)."""

    id: uuid.UUID
    facility_id: uuid.UUID
    child_id: uuid.UUID
    municipality: str
    kind: str
    status: str
    use_date: date | None
    start: str | None
    end: str | None = None
    starts_at: datetime | None
    ends_at: datetime | None = None
    held_minutes: int
    consumed_minutes: int
    penalty_minutes: int | None = None
    over_cap_minutes: int | None = None
    by_proxy: bool | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    cancel_cause: str | None = None
    called_at: datetime | None = None
    bulk_id: uuid.UUID | None = None
    child_name: str | None = None


class BulkCancelOut(BaseModel):
    bulk_id: uuid.UUID
    bookings: list[BookingOut]


class ClosurePreviewOut(BaseModel):
    days: list[date]
    bookings: list[BookingOut]


class ClosureOut(BaseModel):
    closure_id: uuid.UUID
    days: list[date]
    cancelled: list[BookingOut]


class AcceptanceOut(BaseModel):
    facility_id: uuid.UUID
    child_id: uuid.UUID
    accepted: bool
    override_reason: str | None
    medical_care_consulted: bool = False


class InterviewOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    facility_comments: str
    offered_times: list[str]
    child_id: uuid.UUID
    status: str = Field(description="requested | scheduled | held | cancelled")
    proposed_times: list[str]
    starts_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    held_at: datetime | None
    health_check: str | None
    child_name: str | None
    child_considerations: SpecialNeeds | None = Field(
        default=None, description="配慮事項 and 医療的ケア from the application"
    )
    child_accepted: bool | None = Field(
        default=None,
        description="the facility's decision on the child (受け入れ / お断り); null before one",
    )


class DeadlineOut(BaseModel):
    deadline: str = Field(description="the free-cancellation deadline (ISO 8601, Japan time)")


class GeneratedOut(BaseModel):
    date: date
    booking_id: uuid.UUID


class SkippedOut(BaseModel):
    date: date
    reason: str


class RegularPlanOut(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    child_id: uuid.UUID
    weekday: int
    start: str
    end: str
    valid_from: date
    valid_until: date | None
    status: str
    by_proxy: bool
    generated: list[GeneratedOut] | None = Field(
        default=None, description="after an approval: what was booked at once"
    )
    skipped: list[SkippedOut] | None = Field(
        default=None, description="after an approval: what could not be booked, and why"
    )


class PlanEndedOut(BaseModel):
    plan: RegularPlanOut
    bulk_id: uuid.UUID | None
    cancelled: list[BookingOut]


class GenerationOut(BaseModel):
    plan_id: uuid.UUID
    month: str
    booked: list[GeneratedOut]
    skipped: list[SkippedOut]


class QuotaOut(BaseModel):
    cap_minutes: int
    topup_minutes: int
    held_minutes: int
    consumed_minutes: int
    remaining_minutes: int
    over_cap_minutes: int

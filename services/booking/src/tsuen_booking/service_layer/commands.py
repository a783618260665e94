"""The inputs of the use cases, validated at the door (FastAPI turns a failure into a 422)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    model_validator,
)

from tsuen_booking.domain.cancellation import CancellationCause
from tsuen_booking.domain.facility import Facility, OpeningHours
from tsuen_common.events.booking import BookingKind
from tsuen_common.policy import EnrollmentType
from tsuen_common.text import PhoneNumber
from tsuen_common.timeutil import JST

# Every date, month and instant the API accepts lies in these years: beyond them calendar
# arithmetic overflows (year 1, year 9999) and no booking can mean them anyway.
MIN_YEAR = 2000
MAX_YEAR = 2100


def check_year(year: int, what: str = "date") -> None:
    """Refuse (ValueError, a 422 at the door) a year outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what} must be in the years {MIN_YEAR}–{MAX_YEAR}; got year {year}")


def _bounded_date(value: date) -> date:
    check_year(value.year, "date")
    return value


def _bounded_instant(value: datetime) -> datetime:
    check_year(value.year, "date and time")
    return value


BoundedDate = Annotated[date, AfterValidator(_bounded_date)]
BoundedDateTime = Annotated[datetime, AfterValidator(_bounded_instant)]


def _japan_time(value: datetime) -> datetime:
    # An instant given without an offset is Japan time (a staff member typing 11:50).
    return value.replace(tzinfo=JST) if value.tzinfo is None else value


JapanInstant = Annotated[datetime, AfterValidator(_bounded_instant), AfterValidator(_japan_time)]

Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Hour = Annotated[int, Field(ge=0, le=23)]
# Bounded well inside PostgreSQL's integer: a larger number was a 500 (schemathesis, issue 12).
Places = Annotated[int, Field(ge=0, le=10_000)]
FeeYen = Annotated[int, Field(ge=0, le=1_000_000, description="fee per over-cap hour (円)")]


class Hours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    open: time
    close: time

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        OpeningHours(self.open, self.close)  # raises a readable ValueError
        return self


Phone = PhoneNumber


class _FacilityFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kana: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    facility_type: EnrollmentType
    email: EmailStr | None = None
    phone: Phone | None = Field(default=None, description="電話番号")
    comments: str = Field(default="", max_length=4000, description="施設からのコメント")
    extra_hour_fee_yen: FeeYen = 0
    opening_hours: dict[Weekday, Hours] = Field(min_length=1)
    places_per_slot: Places
    places_by_weekday: dict[Weekday, dict[Hour, Places]] = Field(default_factory=dict)
    place_overrides: dict[BoundedDate, dict[Hour, Places]] = Field(default_factory=dict)
    closed_days: list[BoundedDate] = Field(default_factory=list)
    interview_slots: list[BoundedDateTime] = Field(
        default_factory=list, description="初回面談 times the facility offers"
    )

    def to_domain(self, facility_id: uuid.UUID, municipality: str) -> Facility:
        return Facility(
            id=facility_id,
            municipality=municipality,
            name=self.name,
            opening_hours={d: OpeningHours(h.open, h.close) for d, h in self.opening_hours.items()},
            places_per_slot=self.places_per_slot,
            places_by_weekday=self.places_by_weekday,
            place_overrides=self.place_overrides,
            closed_days=frozenset(self.closed_days),
            extra_hour_fee_yen=self.extra_hour_fee_yen,
            email=self.email,
            phone=self.phone,
        )

    def to_row(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"id"})
        data["opening_hours"] = {
            str(d): {"open": h.open.strftime("%H:%M"), "close": h.close.strftime("%H:%M")}
            for d, h in sorted(self.opening_hours.items())
        }
        data["closed_days"] = sorted({d.isoformat() for d in self.closed_days})
        data["facility_type"] = self.facility_type.value
        return data


class FacilitySpec(_FacilityFields):
    """A facility as registered by its municipality (or loaded from demo data)."""

    id: uuid.UUID | None = None


class FacilityPatch(BaseModel):
    """Fields to change; anything left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kana: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    facility_type: EnrollmentType | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    comments: str | None = Field(default=None, max_length=4000)
    extra_hour_fee_yen: FeeYen | None = None
    opening_hours: dict[Weekday, Hours] | None = Field(default=None, min_length=1)
    places_per_slot: Places | None = None
    places_by_weekday: dict[Weekday, dict[Hour, Places]] | None = None
    place_overrides: dict[BoundedDate, dict[Hour, Places]] | None = None
    closed_days: list[BoundedDate] | None = None
    interview_slots: list[BoundedDateTime] | None = None


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facility_id: uuid.UUID
    child_id: uuid.UUID
    use_date: BoundedDate
    start: time = Field(description="local start time, HH:MM (Japan time)")
    end: time = Field(description="local end time, HH:MM (Japan time)")
    kind: BookingKind = BookingKind.FLEXIBLE


class ReasonRequest(BaseModel):
    """An interview's cancellation: just the reason (nothing is held, so no deadline)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="キャンセル理由")


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="キャンセル理由")
    cause: CancellationCause | None = Field(
        default=None,
        description="staff and officers: who caused it. facility (closure, staffing) and "
        "municipality never cost the child hours; default guardian",
    )
    called_at: JapanInstant | None = Field(
        default=None,
        description="staff: when the guardian phoned to cancel; the deadline is judged then "
        "(not later than now; kept with the booking)",
    )


class BulkCancelRequest(CancelRequest):
    booking_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)

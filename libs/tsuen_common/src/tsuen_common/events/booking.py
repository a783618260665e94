"""Events produced by the booking service (予約・利用枠) on ``tsuen.booking.events``, keyed by
the child id.

``child_name`` (optional, added later) lets every mail and staff view name the child: a family
with two children must know which one a mail is about (issue 13).

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: attendance, notification, billing.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tsuen_common.events.envelope import EmailAddress, EventPayload
from tsuen_common.events.topics import Topic


class _Booking(EventPayload):
    topic: ClassVar[Topic] = Topic.BOOKING
    aggregate_field: ClassVar[str] = "child_id"


class BookingKind(StrEnum):
    INTERVIEW = "interview"  # 初回面談
    REGULAR = "regular"  # 定期利用
    FLEXIBLE = "flexible"  # 柔軟利用


class InterviewScheduled(_Booking):
    event_type: ClassVar[str] = "booking.InterviewScheduled"

    interview_id: uuid.UUID
    child_id: uuid.UUID
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    starts_at: AwareDatetime
    child_name: str | None = None


class InterviewCancelled(_Booking):
    """The guardian or the facility called off a requested or scheduled 初回面談."""

    event_type: ClassVar[str] = "booking.InterviewCancelled"

    interview_id: uuid.UUID
    child_id: uuid.UUID
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    starts_at: AwareDatetime | None = None  # None: it had not been scheduled yet
    cancelled_by: str  # guardian | facility | municipality
    reason: str
    facility_email: EmailAddress | None = None
    child_name: str | None = None


class FacilityAcceptanceRecorded(_Booking):
    """After 初回面談 and the health check the facility accepts or declines the child."""

    event_type: ClassVar[str] = "booking.FacilityAcceptanceRecorded"

    child_id: uuid.UUID
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    accepted: bool
    child_name: str | None = None


class BookingConfirmed(_Booking):
    event_type: ClassVar[str] = "booking.BookingConfirmed"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    facility_email: EmailAddress | None = None
    kind: BookingKind
    use_date: date
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    held_minutes: int = Field(ge=0)
    # 代理予約: the facility registered the booking on the guardian's behalf.
    by_proxy: bool = False
    # Until when cancelling costs nothing (the municipality's rule), and the facility's phone:
    # the 予約完了 mail says both (issue 13). Optional: added after the first version.
    cancellation_deadline: AwareDatetime | None = None
    facility_phone: str | None = None
    child_name: str | None = None
    # Set for a 定期利用 occurrence: its guardian gets one mail per plan (RegularPlanBooked)
    # listing the dates, not one 予約完了 per occurrence (issue 13).
    plan_id: uuid.UUID | None = None


class BookingCancelled(_Booking):
    """Cancellation notice goes to the guardian and the facility (both seeds)."""

    event_type: ClassVar[str] = "booking.BookingCancelled"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    facility_email: EmailAddress | None = None
    use_date: date
    starts_at: AwareDatetime
    reason: str
    cancelled_by: str  # guardian | facility | system
    timely: bool  # before the municipality's deadline: hours released, not consumed
    consumed_minutes: int = Field(ge=0)
    bulk_id: uuid.UUID | None = None  # 一括キャンセル
    # Who caused it: guardian | facility | municipality | system (a facility's closure costs the
    # child nothing), and when the guardian phoned if staff entered it later. Added later.
    cause: str | None = None
    called_at: AwareDatetime | None = None
    child_name: str | None = None


class QuotaOverCapCharged(_Booking):
    """A late pickup pushed the month past the cap; the facility charges its own rate."""

    event_type: ClassVar[str] = "booking.QuotaOverCapCharged"

    child_id: uuid.UUID
    guardian_email: EmailAddress
    booking_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    over_cap_minutes: int = Field(gt=0)
    fee_yen: int = Field(ge=0)
    child_name: str | None = None


class SettlementStatus(StrEnum):
    USED = "used"  # checked out
    NO_SHOW = "no_show"
    # Cancelled late, then checked out late after all: only the late pickup is settled here
    # (the booked time was consumed by the cancellation, BookingCancelled.consumed_minutes).
    CANCELLED = "cancelled"


class BookingSettled(_Booking):
    """What the month's ledger consumed when attendance settled a booking (check-out or
    no-show), committed with the ledger entries: the 利用実績 billing charges (issue 19).

    ``booked_minutes_consumed`` is the held time turned into use (0 when a late cancellation
    had consumed it already); ``penalty_minutes`` the late-pickup hour within the cap;
    ``over_cap_minutes`` what the cap could not absorb, charged by the facility at
    ``over_cap_fee_yen`` (0 where the municipality's policy charges no over-cap fee).
    """

    event_type: ClassVar[str] = "booking.BookingSettled"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    kind: BookingKind
    use_date: date
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: SettlementStatus
    booked_minutes_consumed: int = Field(ge=0)
    penalty_minutes: int = Field(default=0, ge=0)
    over_cap_minutes: int = Field(default=0, ge=0)
    over_cap_fee_yen: int = Field(default=0, ge=0)
    # The child's (paying) municipality; the envelope carries the facility's.
    child_municipality: str | None = Field(default=None, pattern=r"^\d{6}$")


class InterviewRequested(_Booking):
    """A guardian asked for a 初回面談: the facility is told by mail (issue 17)."""

    event_type: ClassVar[str] = "booking.InterviewRequested"

    interview_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    facility_id: uuid.UUID
    facility_name: str
    facility_email: EmailAddress | None = None
    proposed_times: list[AwareDatetime] = Field(default_factory=list)


class RegularPlanApplied(_Booking):
    """A guardian applied for 定期利用: the facility is told by mail."""

    event_type: ClassVar[str] = "booking.RegularPlanApplied"

    plan_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    facility_id: uuid.UUID
    facility_name: str
    facility_email: EmailAddress | None = None
    weekday: int = Field(ge=0, le=6)
    start: str  # HH:MM
    end: str
    valid_from: date


class RegularPlanDecided(_Booking):
    """The facility approved or declined a 定期利用 application; the guardian is told."""

    event_type: ClassVar[str] = "booking.RegularPlanDecided"

    plan_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    approved: bool
    weekday: int = Field(ge=0, le=6)
    start: str
    end: str


class RegularPlanBooked(_Booking):
    """A plan's occurrences were booked (at approval, then by the monthly run): one mail."""

    event_type: ClassVar[str] = "booking.RegularPlanBooked"

    plan_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    start: str
    end: str
    dates: list[date]
    skipped: list[date] = Field(default_factory=list)


class WaitlistJoined(_Booking):
    """空き待ち (issue 17): a guardian refused for a full slot joined its wait list."""

    event_type: ClassVar[str] = "booking.WaitlistJoined"

    entry_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    use_date: date
    start: str  # HH:MM
    end: str


class WaitlistPlaceOffered(_Booking):
    """A place freed and is held for this child until ``hold_until``: the guardian is mailed a
    link to book it (nobody is booked without asking)."""

    event_type: ClassVar[str] = "booking.WaitlistPlaceOffered"

    entry_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str | None = None
    guardian_email: EmailAddress
    facility_id: uuid.UUID
    facility_name: str
    use_date: date
    start: str  # HH:MM
    end: str
    hold_until: AwareDatetime


class WaitlistOfferExpired(_Booking):
    """The hold ran out (or the guardian declined): the place passes to the next child."""

    event_type: ClassVar[str] = "booking.WaitlistOfferExpired"

    entry_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    use_date: date
    declined: bool = False


EVENTS: tuple[type[EventPayload], ...] = (
    InterviewScheduled,
    InterviewCancelled,
    FacilityAcceptanceRecorded,
    BookingConfirmed,
    BookingCancelled,
    QuotaOverCapCharged,
    BookingSettled,
    InterviewRequested,
    RegularPlanApplied,
    RegularPlanDecided,
    RegularPlanBooked,
    WaitlistJoined,
    WaitlistPlaceOffered,
    WaitlistOfferExpired,
)

"""Events produced by the attendance service (登降園) on ``tsuen.attendance.events``, keyed by
the child id.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: booking, notification.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime, Field

from tsuen_common.events.envelope import EmailAddress, EventPayload
from tsuen_common.events.topics import Topic


class _Attendance(EventPayload):
    topic: ClassVar[Topic] = Topic.ATTENDANCE
    aggregate_field: ClassVar[str] = "child_id"


class CheckedIn(_Attendance):
    """利用開始登録. ``registered_by_staff`` is set when staff registered for the guardian."""

    event_type: ClassVar[str] = "attendance.CheckedIn"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    checked_in_at: AwareDatetime
    registered_by_staff: str | None = None


class CheckedOut(_Attendance):
    """利用終了登録. ``late_minutes`` past the booked end; a penalty when past the grace."""

    event_type: ClassVar[str] = "attendance.CheckedOut"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    guardian_email: EmailAddress | None = None
    facility_id: uuid.UUID
    checked_in_at: AwareDatetime
    checked_out_at: AwareDatetime
    booked_end: AwareDatetime
    late_minutes: int = Field(ge=0)
    penalty_minutes: int = Field(ge=0)
    registered_by_staff: str | None = None


class NoShow(_Attendance):
    """No check-in by the booked end: booking consumes the hours."""

    event_type: ClassVar[str] = "attendance.NoShow"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    use_date: date


class StaffRegistration(_Attendance):
    """Audit: a staff member registered a check-in/out for a guardian who could not scan."""

    event_type: ClassVar[str] = "attendance.StaffRegistration"

    booking_id: uuid.UUID
    child_id: uuid.UUID
    facility_id: uuid.UUID
    staff_id: str
    action: str  # check_in | check_out
    at: AwareDatetime


EVENTS: tuple[type[EventPayload], ...] = (
    CheckedIn,
    CheckedOut,
    NoShow,
    StaffRegistration,
)

"""One booked visit on the day (利用日): check-in (利用開始登録), check-out (利用終了登録), no-show.

A :class:`Visit` is the attendance service's view of one confirmed booking plus what happened at
the door. The rules, from DOMAIN.md and the municipality's :class:`AttendancePolicy`:

- check-in only for a confirmed booking of today at that facility, from
  ``early_checkin_minutes`` before the booked start until the booked end (after the end the
  visit is a no-show: booking consumes the hours, and staff must sort it out);
- arriving late or leaving early refunds nothing, so neither is an error and neither changes
  what is recorded beyond the actual times;
- a pickup ``late_pickup_grace_minutes`` or more after the booked end adds
  ``late_pickup_penalty_minutes`` (Chiyoda: 10 minutes → one more hour); the policy decides,
  this module never re-implements it;
- repeating a check-in or check-out changes nothing and says the same thing again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from tsuen_attendance.domain.times import hhmm, jst_day
from tsuen_common import errors
from tsuen_common.policy import AttendancePolicy

__all__ = [
    "AttendanceError",
    "BookingNotActive",
    "CheckInTooEarly",
    "CheckInTooLate",
    "NotCheckedIn",
    "NotToday",
    "Visit",
    "VisitStatus",
    "late_minutes",
]


class AttendanceError(errors.ServiceError):
    """A registration that the rules do not allow (409); the message tells the person what to
    do, so every raise gives its own ``message_ja``."""

    status = 409
    code = "attendance_rejected"

    def __init__(self, message: str, message_ja: str) -> None:
        super().__init__(message, message_ja=message_ja)


class BookingNotActive(AttendanceError):
    code = "booking_not_active"


class NotToday(AttendanceError):
    code = "booking_not_today"


class CheckInTooEarly(AttendanceError):
    code = "check_in_too_early"


class CheckInTooLate(AttendanceError):
    code = "check_in_after_booked_end"


class NotCheckedIn(AttendanceError):
    code = "not_checked_in"


class VisitStatus(StrEnum):
    EXPECTED = "expected"  # 予約済: not arrived yet
    IN_USE = "in_use"  # 利用中
    LEFT = "left"  # 利用終了
    NO_SHOW = "no_show"  # 無断欠席 (no check-in by the booked end)
    CANCELLED = "cancelled"


def late_minutes(booked_end: datetime, checked_out_at: datetime) -> int:
    """Whole minutes the pickup came after the booked end; 0 when on time or early."""
    seconds = (checked_out_at - booked_end).total_seconds()
    return max(0, int(seconds // 60))


@dataclass(frozen=True)
class Visit:
    booking_id: uuid.UUID
    municipality: str
    facility_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    use_date: date
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    late_minutes: int | None = None
    penalty_minutes: int | None = None
    no_show_at: datetime | None = None

    def status(self, now: datetime) -> VisitStatus:
        if self.cancelled:
            return VisitStatus.CANCELLED
        if self.checked_out_at is not None:
            return VisitStatus.LEFT
        if self.checked_in_at is not None:
            return VisitStatus.IN_USE
        if self.no_show_at is not None or now >= self.ends_at:
            return VisitStatus.NO_SHOW
        return VisitStatus.EXPECTED

    def is_late_pickup(self, now: datetime, policy: AttendancePolicy) -> bool:
        """Late for the roster: picked up late, or still here past the end plus the grace."""
        if self.cancelled or self.checked_in_at is None:
            return False
        return policy.is_late_pickup(self.ends_at, self.checked_out_at or now)

    def check_in(self, now: datetime, policy: AttendancePolicy) -> tuple[Visit, bool]:
        """The visit after a check-in at ``now`` and whether this call changed anything."""
        if self.checked_in_at is not None:
            return self, False  # a second scan: same answer, no second event
        self._require_active()
        today = jst_day(now)
        if self.use_date != today:
            raise NotToday(
                f"this booking is for {self.use_date.isoformat()}, not today ({today.isoformat()})",
                f"このご予約は{self.use_date.month}月{self.use_date.day}日の利用です。"
                "本日のご予約ではありません。",
            )
        opens_at = self.starts_at - timedelta(minutes=policy.early_checkin_minutes)
        if now < opens_at:
            raise CheckInTooEarly(
                f"check-in opens at {hhmm(opens_at)} ({policy.early_checkin_minutes} minutes "
                f"before the booked start {hhmm(self.starts_at)}); please scan again then",
                f"利用開始登録は{hhmm(opens_at)}から可能です"
                f"(予約開始{hhmm(self.starts_at)}の{policy.early_checkin_minutes}分前から)。",
            )
        if now >= self.ends_at or self.no_show_at is not None:
            raise CheckInTooLate(
                f"the booked time ended at {hhmm(self.ends_at)}; a check-in is no longer "
                "possible, please speak to the facility staff",
                f"予約時間は{hhmm(self.ends_at)}に終了しています。施設職員にお声がけください。",
            )
        return replace(self, checked_in_at=now), True

    def check_out(self, now: datetime, policy: AttendancePolicy) -> tuple[Visit, bool]:
        """The visit after a check-out at ``now`` and whether this call changed anything.

        Early pickup is fine and refunds nothing; a late one is charged by the policy.
        """
        if self.checked_out_at is not None:
            return self, False
        self._require_active()
        if self.checked_in_at is None:
            raise NotCheckedIn(
                "this child has not been checked in; register the start (利用開始登録) first",
                "利用開始登録がまだです。先に利用開始登録をしてください。",
            )
        # A clock may step back a little between replicas; never record a negative stay.
        out_at = max(now, self.checked_in_at)
        return (
            replace(
                self,
                checked_out_at=out_at,
                late_minutes=late_minutes(self.ends_at, out_at),
                penalty_minutes=policy.late_pickup_charge_minutes(self.ends_at, out_at),
            ),
            True,
        )

    def is_no_show(self, at: datetime) -> bool:
        """Due a NoShow event: confirmed, never checked in, booked end passed, not yet recorded."""
        return (
            not self.cancelled
            and self.checked_in_at is None
            and self.no_show_at is None
            and at >= self.ends_at
        )

    def _require_active(self) -> None:
        if self.cancelled:
            raise BookingNotActive(
                "this booking was cancelled; there is nothing to register",
                "このご予約はキャンセルされています。",
            )

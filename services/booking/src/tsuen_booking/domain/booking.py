"""Booking rules (予約): what a requested use must satisfy before places and hours are taken.

Pure: the caller hands in the facility, the municipality's quota policy, the child and the clock.
Places and the month's hours are not checked here; the database guards those (see
``service_layer.hot_path``), because only it can be exact under concurrency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.errors import Conflict, InvalidRequest, ja_date
from tsuen_booking.domain.facility import Facility, cell_minutes, cells
from tsuen_common.events.booking import BookingKind
from tsuen_common.policy import QuotaPolicy
from tsuen_common.timeutil import at_jst

__all__ = ["BookingPlan", "BookingStatus", "plan_booking", "span_text"]


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    IN_USE = "in_use"  # 利用中: checked in
    USED = "used"  # checked out, hours settled
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.IN_USE)
"""Bookings that still hold places and hours."""


def span_text(start: time, end: time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def overlapping_booking(day: date, start: time, end: time) -> Conflict:
    """The refusal of a use that overlaps one the child already has (the hours asked for are
    named as asked: the other booking is on the family's 予約一覧)."""
    span = span_text(start, end)
    return Conflict(
        f"child already has a booking overlapping {span} on {day.isoformat()}",
        message_ja=f"ご希望の{ja_date(day)} {span}には、お子さまのほかの予約が重なっています。"
        "予約一覧をご確認ください。",
    )


@dataclass(frozen=True, slots=True)
class BookingPlan:
    booking_id: uuid.UUID
    use_date: date
    start: time
    end: time
    minutes: int
    """What the booking holds from the month: the booked span (already in whole units)."""
    cells: tuple[time, ...]
    cell_minutes: int

    @property
    def starts_at(self) -> datetime:
        return at_jst(self.use_date, self.start)

    @property
    def ends_at(self) -> datetime:
        return at_jst(self.use_date, self.end)


def plan_booking(
    *,
    facility: Facility,
    quota: QuotaPolicy,
    child: CertifiedChild,
    use_date: date,
    start: time,
    end: time,
    now: datetime,
    kind: BookingKind = BookingKind.FLEXIBLE,
    booking_id: uuid.UUID | None = None,
) -> BookingPlan:
    """Check a requested use and return what it will take; raise :class:`InvalidRequest`.

    ``quota`` is the facility municipality's policy: its unit (60 or 30 minutes, at least
    ``minimum_minutes``) is the step of the facility's grid.
    """
    if kind is BookingKind.INTERVIEW:
        raise InvalidRequest(
            "an interview (初回面談) is not a use booking; request an interview",
            message_ja="初回面談は利用の予約ではありません。初回面談の申込みからお申し込みください。",
        )
    if start.tzinfo is not None or end.tzinfo is not None:
        raise InvalidRequest(
            "give start and end as local times (HH:MM, Japan time)",
            message_ja="開始と終了の時刻は、日本時間の「時:分」でご指定ください。",
        )
    if end <= start:
        raise InvalidRequest(
            f"end {end:%H:%M} must be after start {start:%H:%M}",
            message_ja=f"終了時刻（{end:%H:%M}）は、開始時刻（{start:%H:%M}）より後にしてください。",
        )
    step = quota.unit_minutes
    minutes = int(
        (datetime.combine(use_date, end) - datetime.combine(use_date, start)) / timedelta(minutes=1)
    )
    if start.second or end.second or start.microsecond or end.microsecond:
        raise InvalidRequest(
            "start and end are whole minutes (HH:MM)",
            message_ja="開始と終了の時刻は、分単位（時:分）でご指定ください。",
        )
    if (start.hour * 60 + start.minute) % step or minutes % step:
        raise InvalidRequest(
            f"bookings go in steps of {step} minutes from the hour: "
            f"{span_text(start, end)} does not",
            message_ja=f"予約は毎時0分から{step}分単位です。開始と終了の時刻を一覧からお選びください。",
        )
    if minutes < quota.minimum_minutes:
        raise InvalidRequest(
            f"a booking is at least {quota.minimum_minutes} minutes; "
            f"{span_text(start, end)} is {minutes}",
            message_ja=f"予約は{quota.minimum_minutes}分以上でお願いします。終了時刻を遅くしてください。",
        )
    starts_at = at_jst(use_date, start)
    if starts_at <= now:
        raise InvalidRequest(
            f"{use_date.isoformat()} {start:%H:%M} has already begun",
            message_ja="その時間はすでに始まっています。これより後の時間をお選びください。",
        )
    hours = facility.hours_on(use_date)
    if hours is None:
        raise InvalidRequest(
            f"facility closed on {use_date.isoformat()}",
            message_ja=f"{ja_date(use_date)}は休園日です。別の日をお選びください。",
        )
    if not hours.contains(start, end):
        raise InvalidRequest(
            f"facility is open {span_text(hours.open, hours.close)} on {use_date.isoformat()}; "
            f"{span_text(start, end)} is outside",
            message_ja=f"この施設の{ja_date(use_date)}の開所時間は"
            f"{span_text(hours.open, hours.close)}です。その時間内でお選びください。",
        )
    child.check_eligible_on(use_date)
    step_cells = cell_minutes(step)
    return BookingPlan(
        booking_id=booking_id or uuid.uuid4(),
        use_date=use_date,
        start=start,
        end=end,
        minutes=quota.chargeable_minutes(minutes),
        cells=tuple(cells(use_date, start, end, step_cells)),
        cell_minutes=step_cells,
    )

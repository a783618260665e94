"""Mails of bookings: the confirmation with its day-before reminder (前日の予約通知), the
cancellation to the guardian and the facility, and the over-cap charge."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from tsuen_common.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingKind,
    QuotaOverCapCharged,
)
from tsuen_notification.domain.formatting import (
    date_ja,
    datetime_ja,
    minutes_ja,
    month_ja,
    time_range_ja,
    yen,
)
from tsuen_notification.domain.notices.model import (
    Context,
    Notice,
    RecipientKind,
    Template,
    When,
)
from tsuen_notification.domain.schedule import reminder_due_at

_KIND_JA: dict[BookingKind, str] = {
    BookingKind.INTERVIEW: "初回面談",
    BookingKind.REGULAR: "定期利用",
    BookingKind.FLEXIBLE: "柔軟利用",
}

CANCELLED_BY_JA = {
    "guardian": "保護者",
    "facility": "施設",
    "municipality": "市区町村",
    "system": "システム",
}


def who_cancelled_ja(cancelled_by: str, cause: str | None) -> str:
    """キャンセルした方 as the family reads it: a cancellation the family phoned in and the
    facility entered is the family's (its cause), not the facility's."""
    if cancelled_by == "facility" and cause == "guardian":
        return "保護者（施設が電話・来所で受付）"
    return CANCELLED_BY_JA.get(cancelled_by, cancelled_by)


def staff_bookings_of(day: date) -> str:
    """The facility staff's page of one day's bookings in the portal."""
    return f"/staff/bookings?from={day.isoformat()}&to={day.isoformat()}"


def booking_reference(booking_id: uuid.UUID) -> str:
    """予約番号 as staff read it on the phone or in their list: the id's first 8 characters."""
    return booking_id.hex[:8].upper()


def _booking_context(
    facility_name: str, use_date_text: str, starts_at: datetime, ends_at: datetime | None
) -> Context:
    return {
        "facility_name": facility_name,
        "use_date": use_date_text,
        "time_range": time_range_ja(starts_at, ends_at) if ends_at else None,
    }


def booking_confirmed(p: BookingConfirmed, when: When) -> list[Notice]:
    context: Context = {
        **_booking_context(p.facility_name, date_ja(p.use_date), p.starts_at, p.ends_at),
        "kind": _KIND_JA[p.kind],
        "by_proxy": p.by_proxy,
        "child_name": p.child_name,
        "cancellation_deadline": (
            datetime_ja(p.cancellation_deadline) if p.cancellation_deadline else None
        ),
        "facility_phone": p.facility_phone,
        "page_path": f"/bookings/{p.booking_id}",
    }
    # A 定期利用 occurrence is announced in its plan's one mail (RegularPlanBooked); the
    # day-before reminder still comes for each.
    notices = (
        []
        if p.plan_id is not None
        else [
            Notice(
                Template.BOOKING_CONFIRMED, str(p.guardian_email), RecipientKind.GUARDIAN, context
            )
        ]
    )
    due = reminder_due_at(p.use_date, when.reminder_hour, when.now)
    if due is not None:
        notices.append(
            Notice(
                Template.BOOKING_REMINDER,
                str(p.guardian_email),
                RecipientKind.GUARDIAN,
                context,
                # Due at once (booked after the reminder hour for tomorrow) is "send now"
                # (None), not "at ``now``": the queue compares due times with the database's
                # clock, and under the test clock (TSUEN_TEST_CLOCK_FILE, end-to-end journeys)
                # the service's "now" can lie ahead of it, which held the reminder back until
                # the wall clock caught up. In production the two clocks agree: no change.
                due_at=due if due > when.now else None,
                stale_after=p.starts_at,
                booking_id=p.booking_id,
                child_id=p.child_id,
            )
        )
    return notices


def booking_cancelled(p: BookingCancelled, when: When) -> list[Notice]:
    context: Context = {
        **_booking_context(p.facility_name, date_ja(p.use_date), p.starts_at, None),
        "starts_at": datetime_ja(p.starts_at),
        "reason": p.reason,
        "cancelled_by": who_cancelled_ja(p.cancelled_by, p.cause),
        "timely": p.timely,
        # A cancellation the family did not cause costs nothing whatever the time (issue 17).
        "not_the_family": p.cause in ("facility", "municipality", "system"),
        "consumed": minutes_ja(p.consumed_minutes) if p.consumed_minutes else None,
        "bulk": p.bulk_id is not None,
        "child_name": p.child_name,
        "page_path": f"/bookings/{p.booking_id}",
        # The facility finds the booking by this in its list (予約番号).
        "booking_ref": booking_reference(p.booking_id),
    }
    notices = [
        Notice(
            Template.BOOKING_CANCELLED_GUARDIAN,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            context,
        )
    ]
    if p.facility_email:
        notices.append(
            Notice(
                Template.BOOKING_CANCELLED_FACILITY,
                str(p.facility_email),
                RecipientKind.FACILITY,
                # The staff's list of that day, not the family's own page (staff get a 403).
                {**context, "page_path": staff_bookings_of(p.use_date)},
            )
        )
    return notices


def over_cap(p: QuotaOverCapCharged, when: When) -> list[Notice]:
    return [
        Notice(
            Template.OVER_CAP_CHARGE,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "month": month_ja(p.month),
                "over_cap": minutes_ja(p.over_cap_minutes),
                "fee": yen(p.fee_yen),
                "child_name": p.child_name,
                "page_path": f"/bookings/{p.booking_id}",
            },
        )
    ]

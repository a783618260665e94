"""Mails of 初回面談 and 定期利用: an interview requested, scheduled or cancelled, the
facility's acceptance, and a regular plan applied for, declined or booked."""

from __future__ import annotations

from tsuen_common.events.booking import (
    FacilityAcceptanceRecorded,
    InterviewCancelled,
    InterviewRequested,
    InterviewScheduled,
    RegularPlanApplied,
    RegularPlanBooked,
    RegularPlanDecided,
)
from tsuen_notification.domain.formatting import date_ja, datetime_ja, weekly_ja
from tsuen_notification.domain.notices.bookings import CANCELLED_BY_JA
from tsuen_notification.domain.notices.model import (
    Context,
    Notice,
    RecipientKind,
    Template,
    When,
)

# Where facility staff answer interview and 定期利用 requests in the portal.
STAFF_REQUESTS = "/staff/requests"


def interview_requested(p: InterviewRequested, when: When) -> list[Notice]:
    if not p.facility_email:
        return []
    return [
        Notice(
            Template.INTERVIEW_REQUESTED_FACILITY,
            str(p.facility_email),
            RecipientKind.FACILITY,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                "proposed": "、".join(datetime_ja(t) for t in p.proposed_times) or None,
                "page_path": STAFF_REQUESTS,
            },
        )
    ]


def interview_scheduled(p: InterviewScheduled, when: When) -> list[Notice]:
    return [
        Notice(
            Template.INTERVIEW_SCHEDULED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "starts_at": datetime_ja(p.starts_at),
                "child_name": p.child_name,
                "page_path": "/interviews",
            },
        )
    ]


def interview_cancelled(p: InterviewCancelled, when: When) -> list[Notice]:
    """To the guardian always; to the facility too when it has an address (like a booking's
    cancellation), so whoever did not cancel hears of it."""
    context: Context = {
        "facility_name": p.facility_name,
        "starts_at": datetime_ja(p.starts_at) if p.starts_at else None,
        "cancelled_by": CANCELLED_BY_JA.get(p.cancelled_by, p.cancelled_by),
        "reason": p.reason,
        "child_name": p.child_name,
        "page_path": "/interviews",
    }
    notices = [
        Notice(
            Template.INTERVIEW_CANCELLED_GUARDIAN,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            context,
        )
    ]
    if p.facility_email:
        notices.append(
            Notice(
                Template.INTERVIEW_CANCELLED_FACILITY,
                str(p.facility_email),
                RecipientKind.FACILITY,
                {**context, "page_path": STAFF_REQUESTS},
            )
        )
    return notices


def acceptance(p: FacilityAcceptanceRecorded, when: When) -> list[Notice]:
    return [
        Notice(
            Template.FACILITY_ACCEPTED if p.accepted else Template.FACILITY_DECLINED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                # Accepted: the grid of free places is where booking starts.
                "page_path": f"/facilities/{p.facility_id}" if p.accepted else "/facilities",
            },
        )
    ]


def plan_applied(p: RegularPlanApplied, when: When) -> list[Notice]:
    if not p.facility_email:
        return []
    return [
        Notice(
            Template.REGULAR_PLAN_APPLIED_FACILITY,
            str(p.facility_email),
            RecipientKind.FACILITY,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                "weekly": weekly_ja(p.weekday, p.start, p.end),
                "valid_from": date_ja(p.valid_from),
                "page_path": STAFF_REQUESTS,
            },
        )
    ]


def plan_declined(p: RegularPlanDecided, when: When) -> list[Notice]:
    # An approval is told by the mail listing the booked dates (RegularPlanBooked).
    if p.approved:
        return []
    return [
        Notice(
            Template.REGULAR_PLAN_DECLINED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                "weekly": weekly_ja(p.weekday, p.start, p.end),
                "page_path": "/bookings",
            },
        )
    ]


def plan_booked(p: RegularPlanBooked, when: When) -> list[Notice]:
    """One mail for a plan's bookings, listing the dates (not one 予約完了 per occurrence)."""
    return [
        Notice(
            Template.REGULAR_PLAN_BOOKED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "child_name": p.child_name,
                "time_range": f"{p.start}〜{p.end}",
                "dates": "\n".join(f"・{date_ja(d)}" for d in p.dates) or None,
                "skipped": "\n".join(f"・{date_ja(d)}" for d in p.skipped) or None,
                "page_path": "/bookings?kind=regular",
            },
        )
    ]

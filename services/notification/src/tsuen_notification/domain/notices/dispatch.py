"""The one table of the notification service: event type → its mails and its consumer group.

Everything that depends on the event type is derived from :data:`DISPATCH`: which events each
consumer group subscribes to (:func:`events_of`, used by ``entrypoints/consumers.py``), which
notices an event causes (:func:`notices_for`), and what else it changes in the mail queue
(:func:`queue_changes_for`, carried out by ``service_layer/handlers.py``). Adding a mail is one
entry here, its builder in the area's module beside this one, and its two templates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.billing import ClaimClosed, StatementClosed
from tsuen_common.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    FacilityAcceptanceRecorded,
    InterviewCancelled,
    InterviewRequested,
    InterviewScheduled,
    QuotaOverCapCharged,
    RegularPlanApplied,
    RegularPlanBooked,
    RegularPlanDecided,
    WaitlistPlaceOffered,
)
from tsuen_common.events.eligibility import (
    ApplicationLinkIssued,
    CertificationChanged,
    CertificationRevoked,
    ChangeApplicationDecided,
    ChildCertified,
    GuardianEmailChangeRequested,
    LotteryResultDecided,
)
from tsuen_common.events.envelope import EventPayload
from tsuen_common.events.identity import AccountIssued, AccountLocked, PasswordResetRequested
from tsuen_common.events.topics import Topic
from tsuen_notification.domain.notices import (
    accounts,
    applications,
    attendance,
    billing,
    bookings,
    interviews,
    waitlist,
)
from tsuen_notification.domain.notices.model import Notice, Template, When

P = TypeVar("P", bound=EventPayload)


@dataclass(frozen=True)
class Subscription:
    """One of this service's Kafka consumers: its group id (also its inbox key) and topic."""

    group: str
    topic: Topic


ELIGIBILITY = Subscription("notification-eligibility", Topic.ELIGIBILITY)
BOOKING = Subscription("notification-booking", Topic.BOOKING)
ATTENDANCE = Subscription("notification-attendance", Topic.ATTENDANCE)
IDENTITY = Subscription("notification-identity", Topic.IDENTITY)
BILLING = Subscription("notification-billing", Topic.BILLING)
SUBSCRIPTIONS = (ELIGIBILITY, BOOKING, ATTENDANCE, IDENTITY, BILLING)


@dataclass(frozen=True)
class WithdrawReminders:
    """The booking was cancelled: its pending reminder is withdrawn, and a later one refused."""

    booking_id: uuid.UUID


@dataclass(frozen=True)
class RedirectScheduledMails:
    """The guardian's address changed (変更申請): the child's pending scheduled mails go to it."""

    child_id: uuid.UUID
    email: str


QueueChange = WithdrawReminders | RedirectScheduledMails


@dataclass(frozen=True)
class Route(Generic[P]):
    """What one event type causes."""

    subscription: Subscription
    build: Callable[[P, When], list[Notice]] | None
    """The event's notices; None for an event that mails nobody."""
    templates: tuple[Template, ...] = ()
    """Every template ``build`` can choose (checked against the template files by a test)."""
    queue_changes: Callable[[P], list[QueueChange]] | None = None


def _withdraw_reminders(p: BookingCancelled) -> list[QueueChange]:
    return [WithdrawReminders(p.booking_id)]


def _redirect_scheduled(p: CertificationChanged) -> list[QueueChange]:
    return [RedirectScheduledMails(p.child_id, str(p.guardian_email))]


T = Template
DISPATCH: dict[type[EventPayload], Route[Any]] = {
    # eligibility (認定): ApplicationRejected sends nothing (Kakegawa: "…届きません").
    ApplicationLinkIssued: Route(ELIGIBILITY, applications.application_link, (T.APPLICATION_LINK,)),
    ChildCertified: Route(ELIGIBILITY, applications.account_issued, (T.ACCOUNT_ISSUED,)),
    GuardianEmailChangeRequested: Route(
        ELIGIBILITY, applications.email_change_confirmation, (T.EMAIL_CHANGE_CONFIRMATION,)
    ),
    LotteryResultDecided: Route(
        ELIGIBILITY,
        applications.lottery,
        (T.LOTTERY_WON, T.LOTTERY_WAITLISTED, T.LOTTERY_PROMOTED, T.LOTTERY_NOT_SELECTED),
    ),
    CertificationRevoked: Route(
        ELIGIBILITY, applications.certification_ended, (T.CERTIFICATION_ENDED,)
    ),
    CertificationChanged: Route(ELIGIBILITY, None, queue_changes=_redirect_scheduled),
    ChangeApplicationDecided: Route(
        ELIGIBILITY, applications.change_decided, (T.CHANGE_APPROVED, T.CHANGE_REJECTED)
    ),
    # booking (予約・利用枠)
    InterviewScheduled: Route(BOOKING, interviews.interview_scheduled, (T.INTERVIEW_SCHEDULED,)),
    InterviewCancelled: Route(
        BOOKING,
        interviews.interview_cancelled,
        (T.INTERVIEW_CANCELLED_GUARDIAN, T.INTERVIEW_CANCELLED_FACILITY),
    ),
    FacilityAcceptanceRecorded: Route(
        BOOKING, interviews.acceptance, (T.FACILITY_ACCEPTED, T.FACILITY_DECLINED)
    ),
    BookingConfirmed: Route(
        BOOKING, bookings.booking_confirmed, (T.BOOKING_CONFIRMED, T.BOOKING_REMINDER)
    ),
    BookingCancelled: Route(
        BOOKING,
        bookings.booking_cancelled,
        (T.BOOKING_CANCELLED_GUARDIAN, T.BOOKING_CANCELLED_FACILITY),
        queue_changes=_withdraw_reminders,
    ),
    QuotaOverCapCharged: Route(BOOKING, bookings.over_cap, (T.OVER_CAP_CHARGE,)),
    InterviewRequested: Route(
        BOOKING, interviews.interview_requested, (T.INTERVIEW_REQUESTED_FACILITY,)
    ),
    RegularPlanApplied: Route(BOOKING, interviews.plan_applied, (T.REGULAR_PLAN_APPLIED_FACILITY,)),
    RegularPlanDecided: Route(BOOKING, interviews.plan_declined, (T.REGULAR_PLAN_DECLINED,)),
    RegularPlanBooked: Route(BOOKING, interviews.plan_booked, (T.REGULAR_PLAN_BOOKED,)),
    WaitlistPlaceOffered: Route(BOOKING, waitlist.waitlist_offered, (T.WAITLIST_OFFERED,)),
    # attendance (登降園)
    CheckedOut: Route(ATTENDANCE, attendance.late_pickup, (T.LATE_PICKUP,)),
    # identity (アカウント)
    AccountIssued: Route(IDENTITY, accounts.password_setup, (T.PASSWORD_SETUP,)),
    PasswordResetRequested: Route(IDENTITY, accounts.password_reset, (T.PASSWORD_RESET,)),
    AccountLocked: Route(IDENTITY, accounts.account_locked, (T.ACCOUNT_LOCKED,)),
    # billing (請求)
    ClaimClosed: Route(BILLING, billing.claim_closed, (T.CLAIM_CLOSED_FACILITY,)),
    StatementClosed: Route(BILLING, billing.statement_closed, (T.MONTHLY_STATEMENT,)),
}


def events_of(subscription: Subscription) -> tuple[type[EventPayload], ...]:
    """The event types ``subscription``'s consumer handles."""
    return tuple(event for event, route in DISPATCH.items() if route.subscription == subscription)


def notices_for(payload: EventPayload, *, reminder_hour: int, now: datetime) -> list[Notice]:
    """The notices ``payload`` causes (none for events that mail nobody)."""
    route = DISPATCH.get(type(payload))
    if route is None or route.build is None:
        return []
    return route.build(payload, When(reminder_hour=reminder_hour, now=now))


def queue_changes_for(payload: EventPayload) -> list[QueueChange]:
    """What ``payload`` changes in the mails already queued, besides queuing its own."""
    route = DISPATCH.get(type(payload))
    if route is None or route.queue_changes is None:
        return []
    return route.queue_changes(payload)

"""Which e-mails an event causes: one :class:`Notice` per recipient and template.

Pure: an event payload and the clock reading in, a list of notices out. The notice carries the
template name and its context already formatted for a Japanese reader, so templates stay free of
logic and the queue row holds everything needed to (re)send the mail.

The notices are those of DOMAIN.md "Notifications (e-mail)" with the subjects the seeds name:
利用申請URLのお知らせ and アカウント発行のお知らせ (Kakegawa), 予約完了メール and the day-before
予約通知 (both seeds), the cancellation notice to the parent **and** the facility (Chiyoda).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.billing import ClaimClosed, StatementClosed
from tsuen_common.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingKind,
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
    CertificationRevoked,
    ChangeApplicationDecided,
    ChildCertified,
    GuardianEmailChangeRequested,
    LotteryOutcome,
    LotteryResultDecided,
    RevocationReason,
)
from tsuen_common.events.envelope import EventPayload
from tsuen_common.events.identity import AccountIssued, AccountLocked, PasswordResetRequested
from tsuen_notification.domain.formatting import (
    date_ja,
    datetime_ja,
    minutes_ja,
    month_ja,
    time_range_ja,
    weekly_ja,
    yen,
)
from tsuen_notification.domain.schedule import reminder_due_at


class Template(StrEnum):
    APPLICATION_LINK = "application_link"
    ACCOUNT_ISSUED = "account_issued"
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"
    LOTTERY_WON = "lottery_won"
    LOTTERY_WAITLISTED = "lottery_waitlisted"
    LOTTERY_PROMOTED = "lottery_promoted"
    LOTTERY_NOT_SELECTED = "lottery_not_selected"
    INTERVIEW_SCHEDULED = "interview_scheduled"
    INTERVIEW_CANCELLED_GUARDIAN = "interview_cancelled_guardian"
    INTERVIEW_CANCELLED_FACILITY = "interview_cancelled_facility"
    FACILITY_ACCEPTED = "facility_accepted"
    FACILITY_DECLINED = "facility_declined"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_REMINDER = "booking_reminder"
    BOOKING_CANCELLED_GUARDIAN = "booking_cancelled_guardian"
    BOOKING_CANCELLED_FACILITY = "booking_cancelled_facility"
    LATE_PICKUP = "late_pickup"
    OVER_CAP_CHARGE = "over_cap_charge"
    CERTIFICATION_ENDED = "certification_ended"
    INTERVIEW_REQUESTED_FACILITY = "interview_requested_facility"
    REGULAR_PLAN_APPLIED_FACILITY = "regular_plan_applied_facility"
    REGULAR_PLAN_DECLINED = "regular_plan_declined"
    REGULAR_PLAN_BOOKED = "regular_plan_booked"
    CLAIM_CLOSED_FACILITY = "claim_closed_facility"
    MONTHLY_STATEMENT = "monthly_statement"
    # identity: the set-password link of a new account, a reset link, a lockout
    PASSWORD_SETUP = "password_setup"  # noqa: S105 - a template name
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name
    ACCOUNT_LOCKED = "account_locked"
    CHANGE_APPROVED = "change_approved"
    CHANGE_REJECTED = "change_rejected"
    WAITLIST_OFFERED = "waitlist_offered"


SUBJECTS: dict[Template, str] = {
    # The two subjects Kakegawa's page quotes verbatim (件名「…」): guardians search for them.
    Template.APPLICATION_LINK: "利用申請URLのお知らせ",
    Template.ACCOUNT_ISSUED: "アカウント発行のお知らせ",
    Template.EMAIL_CHANGE_CONFIRMATION: "メールアドレス変更の確認",
    Template.LOTTERY_WON: "抽選結果のお知らせ(当選)",
    Template.LOTTERY_WAITLISTED: "抽選結果のお知らせ(補欠)",
    Template.LOTTERY_PROMOTED: "繰り上げ当選のお知らせ",
    Template.LOTTERY_NOT_SELECTED: "抽選結果のお知らせ",
    Template.INTERVIEW_SCHEDULED: "初回面談日時のお知らせ",
    Template.INTERVIEW_CANCELLED_GUARDIAN: "初回面談取消のお知らせ",
    Template.INTERVIEW_CANCELLED_FACILITY: "初回面談取消のお知らせ(施設向け)",
    Template.FACILITY_ACCEPTED: "受入決定のお知らせ",
    Template.FACILITY_DECLINED: "面談結果のお知らせ",
    Template.BOOKING_CONFIRMED: "予約完了のお知らせ",
    Template.BOOKING_REMINDER: "ご利用日前日のお知らせ",
    Template.BOOKING_CANCELLED_GUARDIAN: "キャンセルのお知らせ",
    Template.BOOKING_CANCELLED_FACILITY: "予約キャンセルのお知らせ(施設向け)",
    Template.LATE_PICKUP: "お迎え遅延による利用時間加算のお知らせ",
    Template.OVER_CAP_CHARGE: "利用上限超過のお知らせ",
    Template.CERTIFICATION_ENDED: "認定終了のお知らせ",
    Template.INTERVIEW_REQUESTED_FACILITY: "初回面談の申込みのお知らせ(施設向け)",
    Template.REGULAR_PLAN_APPLIED_FACILITY: "定期利用の申請のお知らせ(施設向け)",
    Template.REGULAR_PLAN_DECLINED: "定期利用申請の結果のお知らせ",
    Template.REGULAR_PLAN_BOOKED: "定期利用の予約完了のお知らせ",
    Template.CLAIM_CLOSED_FACILITY: "請求確定のお知らせ(施設向け)",
    Template.MONTHLY_STATEMENT: "利用料明細のお知らせ",
    Template.PASSWORD_SETUP: "アカウント発行のお知らせ（パスワード設定）",
    Template.PASSWORD_RESET: "パスワード再設定のお知らせ",
    Template.ACCOUNT_LOCKED: "アカウントの一時ロックのお知らせ",
    Template.CHANGE_APPROVED: "変更申請の受理のお知らせ",
    Template.CHANGE_REJECTED: "変更申請の結果のお知らせ",
    Template.WAITLIST_OFFERED: "空き待ちの施設に空きが出ました",
}


class RecipientKind(StrEnum):
    GUARDIAN = "guardian"
    FACILITY = "facility"
    STAFF = "staff"  # facility staff and officers with an account (identity)


Context = dict[str, str | int | bool | None]


@dataclass(frozen=True)
class Notice:
    """One e-mail to send: to whom, from which template, with what values, and when."""

    template: Template
    recipient: str
    recipient_kind: RecipientKind
    context: Context = field(default_factory=dict)
    due_at: datetime | None = None
    """None: send now. Set for the day-before reminder."""
    stale_after: datetime | None = None
    """Past this instant the mail is pointless (an expired link, a reminder after the start) and
    is not sent any more, e.g. after a long SMTP outage."""
    booking_id: uuid.UUID | None = None
    """Set on the reminder, so the booking's cancellation can withdraw it."""
    child_id: uuid.UUID | None = None
    """Set on the reminder, so a change of the guardian's address (変更申請) can redirect it."""

    @property
    def subject(self) -> str:
        return SUBJECTS[self.template]


_KIND_JA: dict[BookingKind, str] = {
    BookingKind.INTERVIEW: "初回面談",
    BookingKind.REGULAR: "定期利用",
    BookingKind.FLEXIBLE: "柔軟利用",
}

_REVOCATION_JA: dict[RevocationReason, str] = {
    RevocationReason.ENROLLED: "保育所等への入園",
    RevocationReason.MOVED_OUT: "転出",
    RevocationReason.AGED_OUT: "対象年齢(満3歳未満)を超えるため",
    RevocationReason.WITHDRAWN: "利用者による取り下げ",
}

_CANCELLED_BY_JA = {
    "guardian": "保護者",
    "facility": "施設",
    "municipality": "市区町村",
    "system": "システム",
}


def notices_for(payload: EventPayload, *, reminder_hour: int, now: datetime) -> list[Notice]:
    """The notices ``payload`` causes (none for events that mail nobody)."""
    match payload:
        case ApplicationLinkIssued():
            return [_application_link(payload)]
        case ChildCertified():
            return [_account_issued(payload)]
        case GuardianEmailChangeRequested():
            return [_email_change_confirmation(payload)]
        case LotteryResultDecided():
            return [_lottery(payload)]
        case InterviewScheduled():
            return [_interview(payload)]
        case InterviewCancelled():
            return _interview_cancelled(payload)
        case FacilityAcceptanceRecorded():
            return [_acceptance(payload)]
        case BookingConfirmed():
            return _booking_confirmed(payload, reminder_hour=reminder_hour, now=now)
        case InterviewRequested():
            return _interview_requested(payload)
        case RegularPlanApplied():
            return _plan_applied(payload)
        case RegularPlanDecided():
            return _plan_declined(payload)
        case RegularPlanBooked():
            return [_plan_booked(payload)]
        case WaitlistPlaceOffered():
            return [_waitlist_offered(payload)]
        case ClaimClosed():
            return _claim_closed(payload)
        case StatementClosed():
            return _statement_closed(payload)
        case BookingCancelled():
            return _booking_cancelled(payload)
        case CheckedOut():
            return _late_pickup(payload)
        case QuotaOverCapCharged():
            return [_over_cap(payload)]
        case CertificationRevoked():
            return [_certification_ended(payload)]
        case ChangeApplicationDecided():
            return [_change_decided(payload)]
        case AccountIssued():
            return [_password_setup(payload)]
        case PasswordResetRequested():
            return [_password_reset(payload)]
        case AccountLocked():
            return [_account_locked(payload)]
    return []


def _application_link(p: ApplicationLinkIssued) -> Notice:
    return Notice(
        Template.APPLICATION_LINK,
        str(p.email),
        RecipientKind.GUARDIAN,
        {"url": p.url, "expires_at": datetime_ja(p.expires_at)},
        # A link that no longer works only confuses; the parent can ask for a new one.
        stale_after=p.expires_at,
    )


def _email_change_confirmation(p: GuardianEmailChangeRequested) -> Notice:
    # To the new address only: whoever opens it proves the address is theirs.
    return Notice(
        Template.EMAIL_CHANGE_CONFIRMATION,
        str(p.email),
        RecipientKind.GUARDIAN,
        {"url": p.url, "expires_at": datetime_ja(p.expires_at)},
        stale_after=p.expires_at,
    )


def _account_issued(p: ChildCertified) -> Notice:
    return Notice(
        Template.ACCOUNT_ISSUED,
        str(p.guardian_email),
        RecipientKind.GUARDIAN,
        {
            "certificate_number": p.certificate_number,
            "valid_from": date_ja(p.valid_from),
            "valid_until": date_ja(p.valid_until),
            "child_name": p.child_name,
        },
    )


def _lottery(p: LotteryResultDecided) -> Notice:
    template = {
        LotteryOutcome.WON: Template.LOTTERY_WON,
        LotteryOutcome.WAITLISTED: Template.LOTTERY_WAITLISTED,
        LotteryOutcome.PROMOTED: Template.LOTTERY_PROMOTED,
        LotteryOutcome.NOT_SELECTED: Template.LOTTERY_NOT_SELECTED,
    }[p.outcome]
    return Notice(
        template,
        str(p.email),
        RecipientKind.GUARDIAN,
        {
            "waitlist_position": p.waitlist_position,
            "acceptance_deadline": (
                date_ja(p.acceptance_deadline) if p.acceptance_deadline else None
            ),
            "child_name": p.child_name,
        },
    )


def _interview(p: InterviewScheduled) -> Notice:
    return Notice(
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


def _interview_cancelled(p: InterviewCancelled) -> list[Notice]:
    """To the guardian always; to the facility too when it has an address (like a booking's
    cancellation), so whoever did not cancel hears of it."""
    context: Context = {
        "facility_name": p.facility_name,
        "starts_at": datetime_ja(p.starts_at) if p.starts_at else None,
        "cancelled_by": _CANCELLED_BY_JA.get(p.cancelled_by, p.cancelled_by),
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
                context,
            )
        )
    return notices


def _acceptance(p: FacilityAcceptanceRecorded) -> Notice:
    return Notice(
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


def _booking_confirmed(p: BookingConfirmed, *, reminder_hour: int, now: datetime) -> list[Notice]:
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
    due = reminder_due_at(p.use_date, reminder_hour, now)
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
                due_at=due if due > now else None,
                stale_after=p.starts_at,
                booking_id=p.booking_id,
                child_id=p.child_id,
            )
        )
    return notices


def _interview_requested(p: InterviewRequested) -> list[Notice]:
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
            },
        )
    ]


def _plan_applied(p: RegularPlanApplied) -> list[Notice]:
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
            },
        )
    ]


_CHANGED_FIELD_JA = {
    "address": "住所",
    "phone": "電話番号",
    "guardian_name": "保護者の氏名",
    "guardian_kana": "保護者の氏名（フリガナ）",
}


def _change_decided(p: ChangeApplicationDecided) -> Notice:
    return Notice(
        Template.CHANGE_APPROVED if p.approved else Template.CHANGE_REJECTED,
        str(p.guardian_email),
        RecipientKind.GUARDIAN,
        {
            "fields": "、".join(_CHANGED_FIELD_JA.get(f, f) for f in p.fields),
            "reason": p.reason,
            "page_path": f"/certificates/{p.certification_id}",
        },
    )


def _plan_declined(p: RegularPlanDecided) -> list[Notice]:
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


def _plan_booked(p: RegularPlanBooked) -> Notice:
    """One mail for a plan's bookings, listing the dates (not one 予約完了 per occurrence)."""
    return Notice(
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


def _claim_closed(p: ClaimClosed) -> list[Notice]:
    if not p.facility_email:
        return []
    return [
        Notice(
            Template.CLAIM_CLOSED_FACILITY,
            str(p.facility_email),
            RecipientKind.FACILITY,
            {
                "facility_name": p.facility_name,
                "month": month_ja(p.month),
                "hours": minutes_ja(p.minutes),
                "lines": p.line_count,
                "total": yen(p.total_yen),
            },
        )
    ]


def _statement_closed(p: StatementClosed) -> list[Notice]:
    if not p.guardian_email:
        return []
    return [
        Notice(
            Template.MONTHLY_STATEMENT,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "facility_name": p.facility_name,
                "month": month_ja(p.month),
                "hours": minutes_ja(p.minutes),
                "fee": yen(p.fee_yen),
                "over_cap": yen(p.over_cap_yen) if p.over_cap_yen else None,
                # 実費 (the facility's meals and snacks) are in the total: named, not hidden.
                "actual_costs": yen(p.actual_cost_yen) if p.actual_cost_yen else None,
                "total": yen(p.total_yen),
            },
        )
    ]


def _booking_cancelled(p: BookingCancelled) -> list[Notice]:
    context: Context = {
        **_booking_context(p.facility_name, date_ja(p.use_date), p.starts_at, None),
        "starts_at": datetime_ja(p.starts_at),
        "reason": p.reason,
        "cancelled_by": _CANCELLED_BY_JA.get(p.cancelled_by, p.cancelled_by),
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
                context,
            )
        )
    return notices


def _late_pickup(p: CheckedOut) -> list[Notice]:
    # No penalty (picked up within the grace) or no address to write to: nothing to tell.
    if p.penalty_minutes <= 0 or not p.guardian_email:
        return []
    return [
        Notice(
            Template.LATE_PICKUP,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "booked_end": datetime_ja(p.booked_end),
                "checked_out_at": datetime_ja(p.checked_out_at),
                "late": minutes_ja(p.late_minutes),
                "penalty": minutes_ja(p.penalty_minutes),
            },
        )
    ]


def _over_cap(p: QuotaOverCapCharged) -> Notice:
    return Notice(
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


def _certification_ended(p: CertificationRevoked) -> Notice:
    return Notice(
        Template.CERTIFICATION_ENDED,
        str(p.guardian_email),
        RecipientKind.GUARDIAN,
        {
            "effective_date": date_ja(p.effective_date),
            # Bookings on or after the effective date are void (DOMAIN.md); say up to when.
            "last_day": date_ja(p.effective_date - timedelta(days=1)),
            "reason": _REVOCATION_JA[p.reason],
        },
    )


# --- identity (accounts) ----------------------------------------------------------------------


def _reset_page(link: str) -> str:
    """The portal's reset page, beside the link's own set-password page."""
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}/password/reset"


def _holder(role: str) -> RecipientKind:
    return RecipientKind.GUARDIAN if role == "guardian" else RecipientKind.STAFF


def _password_setup(p: AccountIssued) -> Notice:
    # No stale_after: even after the link expired, the mail tells that the account exists
    # and how to get a new link.
    return Notice(
        Template.PASSWORD_SETUP,
        str(p.email),
        _holder(p.role),
        {
            "url": p.url,
            "expires_at": datetime_ja(p.expires_at),
            "reset_url": _reset_page(p.url),
            "login_id": str(p.email),
        },
    )


def _password_reset(p: PasswordResetRequested) -> Notice:
    return Notice(
        Template.PASSWORD_RESET,
        str(p.email),
        _holder(p.role),
        {"url": p.url, "expires_at": datetime_ja(p.expires_at), "reset_url": _reset_page(p.url)},
        stale_after=p.expires_at,
    )


def _account_locked(p: AccountLocked) -> Notice:
    return Notice(
        Template.ACCOUNT_LOCKED,
        str(p.email),
        _holder(p.role),
        {"locked_until": datetime_ja(p.locked_until)},
    )


def _waitlist_offered(p: WaitlistPlaceOffered) -> Notice:
    """空き待ち: the place is held until ``hold_until`` (Japan time); the link opens the page
    that books it. Past the hold the mail is pointless: the place has gone to the next child."""
    return Notice(
        Template.WAITLIST_OFFERED,
        str(p.guardian_email),
        RecipientKind.GUARDIAN,
        {
            "facility_name": p.facility_name,
            "child_name": p.child_name,
            "use_date": date_ja(p.use_date),
            "time_range": f"{p.start}〜{p.end}",
            "hold_until": datetime_ja(p.hold_until),
            "page_path": f"/waitlist/{p.entry_id}",
        },
        stale_after=p.hold_until,
    )

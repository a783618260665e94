"""What one e-mail is: its template, subject, recipient and values (:class:`Notice`).

The templates' subjects are those of DOMAIN.md "Notifications (e-mail)" with the subjects the
seeds name: 利用申請URLのお知らせ and アカウント発行のお知らせ (Kakegawa), 予約完了メール and the
day-before 予約通知 (both seeds), the cancellation notice to the parent **and** the facility
(Chiyoda).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True)
class When:
    """The municipality's reminder hour and the clock reading at consumption.

    Only the booking confirmation's day-before reminder needs them; every notice builder takes
    them so that the dispatch table holds one kind of function.
    """

    reminder_hour: int
    now: datetime

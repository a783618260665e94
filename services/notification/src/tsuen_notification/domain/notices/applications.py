"""Mails of applications and certifications (eligibility): the application link, the account
mail of a certified child, a new address's confirmation, lottery results, a change application's
decision and the end of a certification."""

from __future__ import annotations

from datetime import timedelta

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
from tsuen_notification.domain.formatting import date_ja, datetime_ja
from tsuen_notification.domain.notices.model import Notice, RecipientKind, Template, When

_REVOCATION_JA: dict[RevocationReason, str] = {
    RevocationReason.ENROLLED: "保育所等への入園",
    RevocationReason.MOVED_OUT: "転出",
    RevocationReason.AGED_OUT: "対象年齢(満3歳未満)を超えるため",
    RevocationReason.WITHDRAWN: "利用者による取り下げ",
}

_CHANGED_FIELD_JA = {
    "address": "住所",
    "phone": "電話番号",
    "guardian_name": "保護者の氏名",
    "guardian_kana": "保護者の氏名（フリガナ）",
}

_LOTTERY_TEMPLATES = {
    LotteryOutcome.WON: Template.LOTTERY_WON,
    LotteryOutcome.WAITLISTED: Template.LOTTERY_WAITLISTED,
    LotteryOutcome.PROMOTED: Template.LOTTERY_PROMOTED,
    LotteryOutcome.NOT_SELECTED: Template.LOTTERY_NOT_SELECTED,
}


def application_link(p: ApplicationLinkIssued, when: When) -> list[Notice]:
    return [
        Notice(
            Template.APPLICATION_LINK,
            str(p.email),
            RecipientKind.GUARDIAN,
            {"url": p.url, "expires_at": datetime_ja(p.expires_at)},
            # A link that no longer works only confuses; the parent can ask for a new one.
            stale_after=p.expires_at,
        )
    ]


def email_change_confirmation(p: GuardianEmailChangeRequested, when: When) -> list[Notice]:
    # To the new address only: whoever opens it proves the address is theirs.
    return [
        Notice(
            Template.EMAIL_CHANGE_CONFIRMATION,
            str(p.email),
            RecipientKind.GUARDIAN,
            {"url": p.url, "expires_at": datetime_ja(p.expires_at)},
            stale_after=p.expires_at,
        )
    ]


def account_issued(p: ChildCertified, when: When) -> list[Notice]:
    return [
        Notice(
            Template.ACCOUNT_ISSUED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "certificate_number": p.certificate_number,
                "valid_from": date_ja(p.valid_from),
                "valid_until": date_ja(p.valid_until),
                "child_name": p.child_name,
                # 転入 (issue 17.3): the old certification's last day; the hours carry over.
                "moved_last_day": date_ja(p.moved_from.last_day) if p.moved_from else None,
            },
        )
    ]


def lottery(p: LotteryResultDecided, when: When) -> list[Notice]:
    return [
        Notice(
            _LOTTERY_TEMPLATES[p.outcome],
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
    ]


def change_decided(p: ChangeApplicationDecided, when: When) -> list[Notice]:
    return [
        Notice(
            Template.CHANGE_APPROVED if p.approved else Template.CHANGE_REJECTED,
            str(p.guardian_email),
            RecipientKind.GUARDIAN,
            {
                "fields": "、".join(_CHANGED_FIELD_JA.get(f, f) for f in p.fields),
                "reason": p.reason,
                "page_path": f"/certificates/{p.certification_id}",
            },
        )
    ]


def certification_ended(p: CertificationRevoked, when: When) -> list[Notice]:
    return [
        Notice(
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
    ]

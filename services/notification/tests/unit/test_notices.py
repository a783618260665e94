"""Which notices each event causes, to whom, and with what values."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tsuen_common.events.attendance import CheckedIn, CheckedOut
from tsuen_common.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingKind,
    FacilityAcceptanceRecorded,
    InterviewCancelled,
    InterviewScheduled,
    QuotaOverCapCharged,
)
from tsuen_common.events.eligibility import (
    ApplicationLinkIssued,
    ApplicationRejected,
    CertificationRevoked,
    ChangeApplicationDecided,
    ChildCertified,
    GuardianEmailChangeRequested,
    LotteryOutcome,
    LotteryResultDecided,
    RevocationReason,
)
from tsuen_common.events.identity import AccountIssued, AccountLocked, PasswordResetRequested
from tsuen_common.timeutil import JST, at_jst
from tsuen_notification.domain.formatting import yen as yen_text
from tsuen_notification.domain.notices import (
    DISPATCH,
    SUBJECTS,
    RecipientKind,
    Template,
    notices_for,
)

NOW = at_jst(date(2026, 12, 1), time(10))
GUARDIAN = "taro@example.jp"
FACILITY = "hoikuen@example.jp"


def _notices(payload):  # type: ignore[no-untyped-def]
    notices = notices_for(payload, reminder_hour=18, now=NOW)
    # Every mail comes from a template the dispatch table names for the event.
    named = DISPATCH[type(payload)].templates if type(payload) in DISPATCH else ()
    assert {n.template for n in notices} <= set(named)
    return notices


def _confirmed(use_date: date = date(2026, 12, 10)) -> BookingConfirmed:
    return BookingConfirmed(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        guardian_email=GUARDIAN,
        facility_id=uuid.uuid4(),
        facility_name="ひまわり保育園",
        facility_email=FACILITY,
        kind=BookingKind.FLEXIBLE,
        use_date=use_date,
        starts_at=at_jst(use_date, time(9)),
        ends_at=at_jst(use_date, time(12)),
        held_minutes=180,
    )


def _cancelled(facility_email: str | None = FACILITY) -> BookingCancelled:
    return BookingCancelled(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_email=GUARDIAN,
        facility_id=uuid.uuid4(),
        facility_name="ひまわり保育園",
        facility_email=facility_email,
        use_date=date(2026, 12, 10),
        starts_at=at_jst(date(2026, 12, 10), time(9)),
        reason="体調不良",
        cancelled_by="guardian",
        timely=False,
        consumed_minutes=180,
    )


def test_every_template_has_a_subject() -> None:
    assert set(SUBJECTS) == set(Template)


def test_email_change_confirmation_goes_to_the_new_address_only() -> None:
    expires = NOW + timedelta(hours=24)
    [n] = _notices(
        GuardianEmailChangeRequested(
            change_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            email="new@example.jp",
            url="https://portal.example/email/confirm?token=t",
            expires_at=expires,
        )
    )
    assert (n.template, n.recipient, n.subject) == (
        Template.EMAIL_CHANGE_CONFIRMATION,
        "new@example.jp",
        "メールアドレス変更の確認",
    )
    assert n.context["url"] == "https://portal.example/email/confirm?token=t"
    assert n.stale_after == expires


def test_application_link_expires_with_the_link() -> None:
    expires = NOW + timedelta(hours=24)
    [n] = _notices(
        ApplicationLinkIssued(
            link_id=uuid.uuid4(), email=GUARDIAN, url="https://x.example/a?t=1", expires_at=expires
        )
    )
    assert (n.template, n.recipient, n.subject) == (
        Template.APPLICATION_LINK,
        GUARDIAN,
        "利用申請URLのお知らせ",
    )
    assert n.context["url"] == "https://x.example/a?t=1"
    assert n.context["expires_at"] == "2026年12月2日(水) 10:00"
    assert n.stale_after == expires
    assert n.due_at is None


def test_certified_child_gets_the_account_mail() -> None:
    [n] = _notices(
        ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            certificate_number="KK-2026-0001",
            valid_from=date(2026, 4, 1),
            valid_until=date(2027, 4, 8),
        )
    )
    assert n.subject == "アカウント発行のお知らせ"
    assert n.context["certificate_number"] == "KK-2026-0001"
    assert n.context["valid_until"] == "2027年4月8日(木)"


def test_a_child_who_moved_in_is_told_when_the_old_certification_ended() -> None:
    from tsuen_common.events.eligibility import MovedFrom
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    moved = MovedFrom(
        municipality="131016", certification_id=uuid.uuid4(), last_day=date(2027, 1, 13)
    )
    [n] = _notices(
        ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            certificate_number="222135-2026-0001",
            valid_from=date(2027, 1, 14),
            valid_until=date(2027, 4, 8),
            moved_from=moved,
        )
    )
    assert n.context["moved_last_day"] == "2027年1月13日(水)"
    policy = load_policies().get("222135")
    text = Renderer().render(n.template, n.context, recipient_kind=n.recipient_kind, policy=policy)
    assert "転入前の市区町村での認定は2027年1月13日(水)で終了しました" in text.text
    assert "転入前の市区町村での認定は2027年1月13日(水)で終了しました" in text.html


def test_rejection_sends_nothing() -> None:
    # Kakegawa: "利用認定不可の場合は、「アカウント発行のお知らせ」メールの通知は届きません".
    assert _notices(ApplicationRejected(application_id=uuid.uuid4(), reason="住所要件")) == []


@pytest.mark.parametrize(
    ("outcome", "template"),
    [
        (LotteryOutcome.WON, Template.LOTTERY_WON),
        (LotteryOutcome.WAITLISTED, Template.LOTTERY_WAITLISTED),
        (LotteryOutcome.PROMOTED, Template.LOTTERY_PROMOTED),
        (LotteryOutcome.NOT_SELECTED, Template.LOTTERY_NOT_SELECTED),
    ],
)
def test_lottery_outcomes(outcome: LotteryOutcome, template: Template) -> None:
    [n] = _notices(
        LotteryResultDecided(
            round_id=uuid.uuid4(),
            application_id=uuid.uuid4(),
            email=GUARDIAN,
            outcome=outcome,
            waitlist_position=3 if outcome is LotteryOutcome.WAITLISTED else None,
            acceptance_deadline=date(2026, 12, 8)
            if outcome in (LotteryOutcome.WON, LotteryOutcome.PROMOTED)
            else None,
        )
    )
    assert n.template is template
    if outcome is LotteryOutcome.WAITLISTED:
        assert n.context["waitlist_position"] == 3
    elif outcome is LotteryOutcome.NOT_SELECTED:
        assert n.subject == "抽選結果のお知らせ"  # every applicant hears the result
    else:
        assert n.context["acceptance_deadline"] == "2026年12月8日(火)"


@pytest.mark.parametrize("facility_email", ["himawari@example.jp", None])
def test_a_cancelled_interview_is_told_to_the_guardian_and_the_facility(
    facility_email: str | None,
) -> None:
    notices = _notices(
        InterviewCancelled(
            interview_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            starts_at=datetime(2026, 12, 3, 10, 0, tzinfo=JST),
            cancelled_by="guardian",
            reason="体調不良",
            facility_email=facility_email,
        )
    )
    expected = [(Template.INTERVIEW_CANCELLED_GUARDIAN, GUARDIAN)]
    if facility_email:
        expected.append((Template.INTERVIEW_CANCELLED_FACILITY, facility_email))
    assert [(n.template, n.recipient) for n in notices] == expected
    assert notices[0].context["cancelled_by"] == "保護者"
    assert notices[0].context["starts_at"] == "2026年12月3日(木) 10:00"
    assert notices[0].context["page_path"] == "/interviews"
    if facility_email:
        assert notices[1].context["page_path"] == "/staff/requests"  # staff answer there


def test_interview_and_acceptance() -> None:
    [interview] = _notices(
        InterviewScheduled(
            interview_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            starts_at=datetime(2026, 12, 3, 1, 0, tzinfo=(JST.utcoffset(None) and None) or JST),
        )
    )
    assert interview.subject == "初回面談日時のお知らせ"
    assert interview.context["starts_at"] == "2026年12月3日(木) 1:00"
    for accepted, template in (
        (True, Template.FACILITY_ACCEPTED),
        (False, Template.FACILITY_DECLINED),
    ):
        [n] = _notices(
            FacilityAcceptanceRecorded(
                child_id=uuid.uuid4(),
                guardian_email=GUARDIAN,
                facility_id=uuid.uuid4(),
                facility_name="ひまわり保育園",
                accepted=accepted,
            )
        )
        assert n.template is template


def test_confirmed_booking_gets_confirmation_and_a_reminder_the_day_before() -> None:
    payload = _confirmed()
    confirmation, reminder = _notices(payload)
    assert confirmation.template is Template.BOOKING_CONFIRMED
    assert confirmation.recipient == GUARDIAN
    assert confirmation.due_at is None
    assert confirmation.context["time_range"] == "9:00〜12:00"
    assert confirmation.context["use_date"] == "2026年12月10日(木)"
    assert reminder.template is Template.BOOKING_REMINDER
    assert reminder.due_at == at_jst(date(2026, 12, 9), time(18))
    assert reminder.booking_id == payload.booking_id
    assert reminder.child_id == payload.child_id
    # A reminder that could only arrive after the start is pointless.
    assert reminder.stale_after == payload.starts_at


def test_reminder_booked_after_the_hour_is_due_now_not_at_the_callers_clock() -> None:
    # Booked at 19:00 the evening before: the reminder goes out at once. "At once" is None
    # (the queue's own "now", the database clock), not the caller's reading, which under the
    # end-to-end test clock lies ahead of the database and would hold the reminder back.
    evening_before = at_jst(date(2026, 12, 9), time(19))
    _, reminder = notices_for(_confirmed(), reminder_hour=18, now=evening_before)
    assert reminder.template is Template.BOOKING_REMINDER
    assert reminder.due_at is None
    assert reminder.booking_id is not None  # still withdrawable by a cancellation


def test_reminder_hour_comes_from_the_caller() -> None:
    _, reminder = notices_for(_confirmed(), reminder_hour=7, now=NOW)
    assert reminder.due_at == at_jst(date(2026, 12, 9), time(7))


def test_same_day_booking_gets_no_reminder() -> None:
    notices = _notices(_confirmed(use_date=NOW.date()))
    assert [n.template for n in notices] == [Template.BOOKING_CONFIRMED]


def test_cancellation_goes_to_guardian_and_facility() -> None:
    guardian, facility = _notices(_cancelled())
    assert (guardian.template, guardian.recipient, guardian.recipient_kind) == (
        Template.BOOKING_CANCELLED_GUARDIAN,
        GUARDIAN,
        RecipientKind.GUARDIAN,
    )
    assert (facility.template, facility.recipient, facility.recipient_kind) == (
        Template.BOOKING_CANCELLED_FACILITY,
        FACILITY,
        RecipientKind.FACILITY,
    )
    assert guardian.context["consumed"] == "3時間"
    assert guardian.context["timely"] is False


def test_each_side_of_a_cancellation_links_to_its_own_page() -> None:
    cancelled = _cancelled()
    guardian, facility = _notices(cancelled)
    assert guardian.context["page_path"] == f"/bookings/{cancelled.booking_id}"
    # The family's page answers staff with 403: the facility's mail opens its day's list.
    assert facility.context["page_path"] == "/staff/bookings?from=2026-12-10&to=2026-12-10"


def test_a_cancellation_the_family_phoned_in_says_the_family_cancelled() -> None:
    phoned = _cancelled().model_copy(update={"cancelled_by": "facility", "cause": "guardian"})
    closure = _cancelled().model_copy(update={"cancelled_by": "facility", "cause": "facility"})
    assert _notices(phoned)[0].context["cancelled_by"] == "保護者（施設が電話・来所で受付）"
    assert _notices(closure)[0].context["cancelled_by"] == "施設"


def test_cancellation_without_facility_address_goes_to_the_guardian_only() -> None:
    assert [n.recipient for n in _notices(_cancelled(facility_email=None))] == [GUARDIAN]


def _checked_out(penalty: int, email: str | None = GUARDIAN) -> CheckedOut:
    end = at_jst(date(2026, 12, 10), time(12))
    return CheckedOut(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_email=email,
        facility_id=uuid.uuid4(),
        checked_in_at=at_jst(date(2026, 12, 10), time(9)),
        checked_out_at=end + timedelta(minutes=25),
        booked_end=end,
        late_minutes=25,
        penalty_minutes=penalty,
    )


def test_late_pickup_with_penalty_is_notified() -> None:
    [n] = _notices(_checked_out(60))
    assert n.template is Template.LATE_PICKUP
    assert n.context["penalty"] == "1時間"
    assert n.context["late"] == "25分"


def test_pickup_without_penalty_or_address_sends_nothing() -> None:
    assert _notices(_checked_out(0)) == []
    assert _notices(_checked_out(60, email=None)) == []


def test_check_in_sends_nothing() -> None:
    payload = CheckedIn(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        facility_id=uuid.uuid4(),
        checked_in_at=NOW,
    )
    assert _notices(payload) == []


def test_over_cap_charge() -> None:
    [n] = _notices(
        QuotaOverCapCharged(
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            booking_id=uuid.uuid4(),
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            month="2026-12",
            over_cap_minutes=60,
            fee_yen=1700,
        )
    )
    assert n.template is Template.OVER_CAP_CHARGE
    assert (n.context["month"], n.context["fee"]) == ("2026年12月", "1,700円")


def test_certification_ending_names_the_last_usable_day() -> None:
    [n] = _notices(
        CertificationRevoked(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            effective_date=date(2027, 4, 1),
            reason=RevocationReason.ENROLLED,
        )
    )
    assert n.subject == "認定終了のお知らせ"
    assert n.context["last_day"] == "2027年3月31日(水)"
    assert n.context["reason"] == "保育所等への入園"


def test_every_template_renders_with_the_values_the_domain_gives_it() -> None:
    # StrictUndefined: a template that names a value the domain does not provide fails here.
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    samples = [
        ApplicationLinkIssued(
            link_id=uuid.uuid4(), email=GUARDIAN, url="https://x.example/a", expires_at=NOW
        ),
        GuardianEmailChangeRequested(
            change_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            email=GUARDIAN,
            url="https://x.example/c",
            expires_at=NOW,
        ),
        *(
            LotteryResultDecided(
                round_id=uuid.uuid4(), application_id=uuid.uuid4(), email=GUARDIAN, outcome=o
            )
            for o in LotteryOutcome
        ),
        *(
            FacilityAcceptanceRecorded(
                child_id=uuid.uuid4(),
                guardian_email=GUARDIAN,
                facility_id=uuid.uuid4(),
                facility_name="ひまわり保育園",
                accepted=a,
            )
            for a in (True, False)
        ),
        InterviewScheduled(
            interview_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            starts_at=NOW,
        ),
        InterviewCancelled(
            interview_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            cancelled_by="facility",
            reason="職員体制",
            facility_email="himawari@example.jp",
        ),
        ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            certificate_number="C-1",
            valid_from=date(2026, 4, 1),
            valid_until=date(2027, 4, 8),
        ),
        _confirmed(),
        _cancelled(),
        _checked_out(60),
        QuotaOverCapCharged(
            child_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            booking_id=uuid.uuid4(),
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            month="2026-12",
            over_cap_minutes=60,
            fee_yen=0,
        ),
        CertificationRevoked(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            effective_date=date(2027, 4, 1),
            reason=RevocationReason.AGED_OUT,
        ),
        *_identity_samples(),
        *(_change_decided(approved) for approved in (True, False)),
        *_plan_and_request_samples(),
        *_billing_samples(),
        _waitlist_offer(),
    ]
    notices = [n for payload in samples for n in _notices(payload)]
    assert {n.template for n in notices} == set(Template)
    renderer = Renderer(portal_url="https://tsuen.example.jp/")
    for policy in load_policies():
        for n in notices:
            mail = renderer.render(
                n.template, dict(n.context), recipient_kind=n.recipient_kind, policy=policy
            )
            assert mail.subject == n.subject
            assert policy.notification.sender_name in mail.text
            assert "</html>" in mail.html


# --- identity's account mails ------------------------------------------------------------------

SET_URL = "https://portal.example.jp/password/set?token=abc"


def _identity_samples() -> list[AccountIssued | PasswordResetRequested | AccountLocked]:
    account = uuid.uuid4()
    return [
        AccountIssued(account_id=account, email=GUARDIAN, url=SET_URL, expires_at=NOW),
        AccountIssued(
            account_id=uuid.uuid4(),
            email=FACILITY,
            url=SET_URL,
            expires_at=NOW,
            role="facility_staff",
        ),
        PasswordResetRequested(
            account_id=account, email=GUARDIAN, url=SET_URL + "&purpose=reset", expires_at=NOW
        ),
        AccountLocked(account_id=account, email=GUARDIAN, locked_until=NOW),
    ]


def test_the_account_mail_carries_the_set_password_link_and_what_to_do_when_it_expired() -> None:
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    issued, staff, reset, locked = (_notices(p)[0] for p in _identity_samples())
    assert issued.subject == "アカウント発行のお知らせ（パスワード設定）"
    assert issued.recipient == GUARDIAN
    assert issued.recipient_kind is RecipientKind.GUARDIAN
    assert issued.stale_after is None  # still worth reading after the link expired
    assert staff.recipient_kind is RecipientKind.STAFF
    assert reset.template is Template.PASSWORD_RESET
    assert reset.stale_after == NOW
    assert locked.template is Template.ACCOUNT_LOCKED

    policy = next(iter(load_policies()))
    renderer = Renderer(portal_url="https://portal.example.jp")
    mail = renderer.render(
        issued.template, dict(issued.context), recipient_kind=issued.recipient_kind, policy=policy
    )
    assert SET_URL in mail.text
    assert "https://portal.example.jp/password/reset" in mail.text
    assert "有効期限を過ぎた場合" in mail.text
    staff_mail = renderer.render(
        staff.template, dict(staff.context), recipient_kind=staff.recipient_kind, policy=policy
    )
    assert staff_mail.text.startswith("ご担当者様")


def test_the_certification_mail_no_longer_asks_for_a_password_on_a_missing_screen() -> None:
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    (notice,) = _notices(
        ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            certificate_number="C-1",
            valid_from=date(2026, 4, 1),
            valid_until=date(2027, 4, 8),
        )
    )
    policy = next(iter(load_policies()))
    mail = Renderer(portal_url="https://portal.example.jp/").render(
        notice.template, dict(notice.context), recipient_kind=notice.recipient_kind, policy=policy
    )
    assert "ログイン画面から、パスワードを設定してください" not in mail.text
    assert "アカウント発行のお知らせ（パスワード設定）" in mail.text
    assert "https://portal.example.jp/login" in mail.text


def test_siblings_drawn_differently_can_tell_which_child_won() -> None:
    # Issue 13, item 2: one 当選 and one 補欠 mail to the same family, each naming its child.
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    renderer = Renderer(portal_url="https://tsuen.example.jp/")
    policy = load_policies().get("131016")
    texts = {}
    for name, outcome in (
        ("千代田 陽", LotteryOutcome.WON),
        ("千代田 葵", LotteryOutcome.WAITLISTED),
    ):
        [n] = _notices(
            LotteryResultDecided(
                round_id=uuid.uuid4(),
                application_id=uuid.uuid4(),
                email=GUARDIAN,
                outcome=outcome,
                waitlist_position=1 if outcome is LotteryOutcome.WAITLISTED else None,
                child_name=name,
            )
        )
        mail = renderer.render(
            n.template, dict(n.context), recipient_kind=n.recipient_kind, policy=policy
        )
        texts[outcome] = mail.text
    assert "お子さま: 千代田 陽 さん" in texts[LotteryOutcome.WON]
    assert "お子さま: 千代田 葵 さん" in texts[LotteryOutcome.WAITLISTED]
    assert "千代田 陽" not in texts[LotteryOutcome.WAITLISTED]


def test_the_booking_mail_gives_the_deadline_the_phone_and_the_page() -> None:
    # Issue 13, item 3: 予約完了 says until when cancelling is free and the facility's number;
    # Kakegawa asks guardians to phone the facility too; the mail links to the booking's page.
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    use_date = date(2026, 12, 10)
    booking = _confirmed(use_date).model_copy(
        update={
            "cancellation_deadline": at_jst(date(2026, 12, 9), time(12)),
            "facility_phone": "0537-00-0201",
            "child_name": "掛川 太郎",
        }
    )
    [confirmed, _reminder] = _notices(booking)
    renderer = Renderer(portal_url="https://tsuen.example.jp/")
    policies = load_policies()
    kakegawa = renderer.render(
        confirmed.template,
        dict(confirmed.context),
        recipient_kind=confirmed.recipient_kind,
        policy=policies.get("222135"),
    ).text
    chiyoda = renderer.render(
        confirmed.template,
        dict(confirmed.context),
        recipient_kind=confirmed.recipient_kind,
        policy=policies.get("131016"),
    ).text
    assert "キャンセル期限: 2026年12月9日(水) 12:00" in kakegawa
    assert "施設の電話番号: 0537-00-0201" in kakegawa
    assert "施設にもお電話でご連絡ください" in kakegawa
    assert "施設にもお電話でご連絡ください" not in chiyoda
    assert f"https://tsuen.example.jp/bookings/{booking.booking_id}" in kakegawa
    assert "お子さま: 掛川 太郎 さん" in kakegawa


def _plan_and_request_samples() -> list[Any]:
    from tsuen_common.events.booking import (
        InterviewRequested,
        RegularPlanApplied,
        RegularPlanBooked,
        RegularPlanDecided,
    )

    facility_id, child_id, plan_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    plan = {"weekday": 2, "start": "10:00", "end": "12:00"}
    return [
        InterviewRequested(
            interview_id=uuid.uuid4(),
            child_id=child_id,
            child_name="千代田 陽",
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            facility_email=FACILITY,
            proposed_times=[NOW + timedelta(days=2)],
        ),
        RegularPlanApplied(
            plan_id=plan_id,
            child_id=child_id,
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            facility_email=FACILITY,
            valid_from=date(2026, 12, 7),
            **plan,
        ),
        RegularPlanDecided(
            plan_id=plan_id,
            child_id=child_id,
            guardian_email=GUARDIAN,
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            approved=False,
            **plan,
        ),
        RegularPlanBooked(
            plan_id=plan_id,
            child_id=child_id,
            guardian_email=GUARDIAN,
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            start="10:00",
            end="12:00",
            dates=[date(2026, 12, 9), date(2026, 12, 16)],
            skipped=[date(2026, 12, 30)],
        ),
    ]


def test_a_plan_s_occurrences_come_in_one_mail_listing_the_dates() -> None:
    # Issue 13, item 5: seven 予約完了 mails at once became one list; reminders still come.
    booking = _confirmed(date(2026, 12, 10)).model_copy(update={"plan_id": uuid.uuid4()})
    assert [n.template for n in _notices(booking)] == [Template.BOOKING_REMINDER]
    booked = _plan_and_request_samples()[3]
    [mail] = _notices(booked)
    assert mail.template is Template.REGULAR_PLAN_BOOKED
    assert mail.context["dates"] == "・2026年12月9日(水)\n・2026年12月16日(水)"
    assert mail.context["skipped"] == "・2026年12月30日(水)"
    approved = _plan_and_request_samples()[2].model_copy(update={"approved": True})
    assert _notices(approved) == []  # the list of dates says it


def _billing_samples() -> list[Any]:
    from tsuen_common.events.billing import ClaimClosed, StatementClosed

    facility_id = uuid.uuid4()
    return [
        ClaimClosed(
            claim_id=uuid.uuid4(),
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            municipality="222135",
            month="2026-11",
            minutes=600,
            line_count=4,
            benefit_yen=14000,
            addon_yen=0,
            total_yen=14000,
            closed_at=NOW,
            facility_email=FACILITY,
        ),
        StatementClosed(
            statement_id=uuid.uuid4(),
            facility_id=facility_id,
            facility_name="ひまわり保育園",
            guardian_id=uuid.uuid4(),
            guardian_email=GUARDIAN,
            month="2026-11",
            minutes=600,
            fee_yen=3000,
            over_cap_yen=1500,
            total_yen=4500,
            closed_at=NOW,
        ),
    ]


def test_the_month_s_claim_and_statement_are_mailed() -> None:
    claim, statement = _billing_samples()
    [to_facility] = _notices(claim)
    assert (to_facility.template, to_facility.recipient) == (
        Template.CLAIM_CLOSED_FACILITY,
        FACILITY,
    )
    assert to_facility.context["total"] == yen_text(14000)
    [to_guardian] = _notices(statement)
    assert (to_guardian.template, to_guardian.recipient) == (Template.MONTHLY_STATEMENT, GUARDIAN)
    assert to_guardian.context["over_cap"] == yen_text(1500)
    assert to_guardian.context["actual_costs"] is None
    [with_costs] = _notices(
        statement.model_copy(update={"actual_cost_yen": 600, "total_yen": 5100})
    )
    assert (with_costs.context["actual_costs"], with_costs.context["total"]) == (
        yen_text(600),
        yen_text(5100),
    )
    nobody = statement.model_copy(update={"guardian_email": None})
    assert _notices(nobody) == []


# --- 変更申請 reviewed by an officer ------------------------------------------------------------


def _change_decided(approved: bool) -> ChangeApplicationDecided:
    return ChangeApplicationDecided(
        change_request_id=uuid.uuid4(),
        certification_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        guardian_email=GUARDIAN,
        approved=approved,
        fields=["address", "phone"],
        reason="" if approved else "住民票の住所と一致しません",
    )


def test_the_guardian_hears_the_officers_decision_on_a_change_either_way() -> None:
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    renderer = Renderer(portal_url="https://tsuen.example.jp/")
    policy = next(iter(load_policies()))
    [approved] = _notices(_change_decided(True))
    [rejected] = _notices(_change_decided(False))
    assert (approved.template, rejected.template) == (
        Template.CHANGE_APPROVED,
        Template.CHANGE_REJECTED,
    )
    assert approved.recipient == rejected.recipient == GUARDIAN
    text = renderer.render(
        rejected.template,
        dict(rejected.context),
        recipient_kind=rejected.recipient_kind,
        policy=policy,
    ).text
    assert "住所、電話番号" in text
    assert "住民票の住所と一致しません" in text
    assert "反映できませんでした" in text


# --- 空き待ち ----------------------------------------------------------------------------------


def _waitlist_offer() -> Any:
    from datetime import UTC

    from tsuen_common.events.booking import WaitlistPlaceOffered

    return WaitlistPlaceOffered(
        entry_id=uuid.UUID("00000000-0000-0000-0000-00000000e001"),
        child_id=uuid.uuid4(),
        child_name="掛川 陽太",
        guardian_email=GUARDIAN,
        facility_id=uuid.uuid4(),
        facility_name="ひまわり保育園",
        use_date=date(2027, 6, 9),
        start="10:00",
        end="11:00",
        hold_until=datetime(2027, 6, 7, 1, 15, tzinfo=UTC),  # 10:15 in Japan
    )


def test_a_waitlist_offer_mails_the_link_and_the_hold_deadline_in_japan_time() -> None:
    from tsuen_common.policy import load_policies
    from tsuen_notification.adapters.rendering import Renderer

    [notice] = _notices(_waitlist_offer())
    assert notice.recipient == GUARDIAN
    assert notice.stale_after == datetime(2027, 6, 7, 10, 15, tzinfo=JST)  # pointless after it
    mail = Renderer(portal_url="https://portal.example.jp/").render(
        notice.template,
        dict(notice.context),
        recipient_kind=notice.recipient_kind,
        policy=load_policies().get("222135"),
    )
    assert mail.subject == "空き待ちの施設に空きが出ました"
    assert "確保の期限: 2027年6月7日(月) 10:15" in mail.text
    assert "利用日: 2027年6月9日(水)" in mail.text
    assert "https://portal.example.jp/waitlist/00000000-0000-0000-0000-00000000e001" in mail.text
    assert "予約は、まだ確定していません" in mail.text

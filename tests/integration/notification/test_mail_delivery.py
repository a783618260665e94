"""Events on Kafka become e-mails on a real SMTP server: once each, in Japanese, well-formed,
and not lost while the server is down."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

from tests.integration.conftest import eventually
from tests.integration.notification.conftest import CHIYODA, KAKEGAWA, NotificationStack
from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.booking import (
    BookingCancelled,
    FacilityAcceptanceRecorded,
    InterviewCancelled,
    InterviewScheduled,
    QuotaOverCapCharged,
)
from tsuen_common.events.eligibility import (
    ApplicationLinkIssued,
    CertificationRevoked,
    ChildCertified,
    LotteryOutcome,
    LotteryResultDecided,
    RevocationReason,
)
from tsuen_common.timeutil import at_jst, now_jst, today_jst
from tsuen_notification.domain.delivery import notice_id


def _link(email: str, link_id: uuid.UUID | None = None) -> ApplicationLinkIssued:
    return ApplicationLinkIssued(
        link_id=link_id or uuid.uuid4(),
        email=email,
        url="https://tsuen.example.jp/apply?token=abc123",
        expires_at=now_jst() + timedelta(days=1),
    )


async def test_application_link_arrives_in_japanese_and_well_formed(
    notification: NotificationStack,
) -> None:
    envelope = await notification.publish(_link("taro@example.jp"), municipality=KAKEGAWA)

    async def delivered() -> bool:
        return len(notification.smtp.mails_to("taro@example.jp")) == 1

    await eventually(delivered, what="the application link mail")
    [caught] = notification.smtp.mails_to("taro@example.jp")
    msg = caught.message
    assert caught.rcpt_tos == ("taro@example.jp",)
    assert caught.mail_from == "tsuen-noreply@city.kakegawa.example.jp"
    assert msg["Subject"] == "利用申請URLのお知らせ"
    assert msg["From"].addresses[0].display_name == "掛川市 こども誰でも通園制度"
    assert msg["From"].addresses[0].addr_spec == "tsuen-noreply@city.kakegawa.example.jp"
    # The raw headers on the wire are ASCII: Subject and display name as encoded words.
    raw_head = caught.raw.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: =?utf-8?" in raw_head
    assert b"=?utf-8?" in raw_head.split(b"From:", 1)[1].split(b"\r\n", 1)[0]
    expected_id = notice_id(envelope.event_id, "taro@example.jp", "application_link")
    assert msg["Message-ID"] == f"<{expected_id}@city.kakegawa.example.jp>"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    for part in (text, html):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "base64"
    body = text.get_content()
    assert "次のURLを開いて、申請情報を入力してください" in body
    assert "まだ申請は完了していません" in body
    assert "https://tsuen.example.jp/apply?token=abc123" in body
    assert "受信から1日間有効" in body
    assert 'href="https://tsuen.example.jp/apply?token=abc123"' in html.get_content()

    async def marked_sent() -> bool:
        rows = await notification.rows(event_id=envelope.event_id)
        return [r.status for r in rows] == ["sent"]

    await eventually(marked_sent, what="the queue row marked sent")
    assert "notification.EmailDelivered" in await notification.outbox_types()


async def test_every_notice_reaches_its_recipient_from_its_municipality(
    notification: NotificationStack,
) -> None:
    guardian, facility = "hanako@example.jp", "himawari@example.jp"
    child, booking = uuid.uuid4(), uuid.uuid4()
    use_date = today_jst() + timedelta(days=20)
    events = [
        ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=child,
            guardian_id=uuid.uuid4(),
            guardian_email=guardian,
            certificate_number="CY-0001",
            valid_from=today_jst(),
            valid_until=today_jst() + timedelta(days=700),
        ),
        *(
            LotteryResultDecided(
                round_id=uuid.uuid4(),
                application_id=uuid.uuid4(),
                email=guardian,
                outcome=outcome,
                waitlist_position=2 if outcome is LotteryOutcome.WAITLISTED else None,
            )
            for outcome in LotteryOutcome
        ),
        InterviewScheduled(
            interview_id=uuid.uuid4(),
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            starts_at=at_jst(use_date, time(10)),
        ),
        InterviewCancelled(
            interview_id=uuid.uuid4(),
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            facility_name="さくら保育園",
            starts_at=at_jst(use_date, time(11)),
            cancelled_by="facility",
            reason="職員体制",
        ),
        FacilityAcceptanceRecorded(
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            accepted=True,
        ),
        BookingCancelled(
            booking_id=booking,
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            facility_email=facility,
            use_date=use_date,
            starts_at=at_jst(use_date, time(9)),
            reason="体調不良",
            cancelled_by="guardian",
            timely=True,
            consumed_minutes=0,
        ),
        CheckedOut(
            booking_id=uuid.uuid4(),
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            checked_in_at=at_jst(use_date, time(9)),
            checked_out_at=at_jst(use_date, time(12, 20)),
            booked_end=at_jst(use_date, time(12)),
            late_minutes=20,
            penalty_minutes=60,
        ),
        # On time: no penalty, no mail.
        CheckedOut(
            booking_id=uuid.uuid4(),
            child_id=child,
            guardian_email=guardian,
            facility_id=uuid.uuid4(),
            checked_in_at=at_jst(use_date, time(9)),
            checked_out_at=at_jst(use_date, time(12, 5)),
            booked_end=at_jst(use_date, time(12)),
            late_minutes=5,
            penalty_minutes=0,
        ),
        QuotaOverCapCharged(
            child_id=child,
            guardian_email=guardian,
            booking_id=uuid.uuid4(),
            facility_id=uuid.uuid4(),
            facility_name="ひまわり保育園",
            month=use_date.strftime("%Y-%m"),
            over_cap_minutes=60,
            fee_yen=1700,
        ),
        CertificationRevoked(
            certification_id=uuid.uuid4(),
            child_id=child,
            guardian_id=uuid.uuid4(),
            guardian_email=guardian,
            effective_date=use_date,
            reason=RevocationReason.MOVED_OUT,
        ),
    ]
    for event in events:
        await notification.publish(event, municipality=CHIYODA)

    expected_guardian = {
        "アカウント発行のお知らせ",
        "抽選結果のお知らせ(当選)",
        "抽選結果のお知らせ(補欠)",
        "繰り上げ当選のお知らせ",
        "抽選結果のお知らせ",
        "初回面談日時のお知らせ",
        "初回面談取消のお知らせ",
        "受入決定のお知らせ",
        "キャンセルのお知らせ",
        "お迎え遅延による利用時間加算のお知らせ",
        "利用上限超過のお知らせ",
        "認定終了のお知らせ",
    }

    async def all_delivered() -> bool:
        return (
            len(notification.smtp.mails_to(guardian)) >= len(expected_guardian)
            and len(notification.smtp.mails_to(facility)) >= 1
        )

    await eventually(all_delivered, what="every notice")
    to_guardian = notification.smtp.mails_to(guardian)
    assert sorted(str(m.message["Subject"]) for m in to_guardian) == sorted(expected_guardian)
    [to_facility] = notification.smtp.mails_to(facility)
    assert to_facility.message["Subject"] == "予約キャンセルのお知らせ(施設向け)"
    facility_text = to_facility.body("plain") or ""
    assert facility_text.startswith("ひまわり保育園 ご担当者様")
    for mail in [*to_guardian, to_facility]:
        assert mail.message["From"].addresses[0].display_name == "千代田区 こども誰でも通園制度"
        assert mail.mail_from == "tsuen-noreply@city.chiyoda.example.jp"
    by_subject = {str(m.message["Subject"]): m.body("plain") or "" for m in to_guardian}
    assert "補欠順位: 2番" in by_subject["抽選結果のお知らせ(補欠)"]
    assert "認定証番号: CY-0001" in by_subject["アカウント発行のお知らせ"]
    assert "加算した利用時間: 1時間" in by_subject["お迎え遅延による利用時間加算のお知らせ"]
    assert "追加料金: 1,700円" in by_subject["利用上限超過のお知らせ"]
    assert "理由: 転出" in by_subject["認定終了のお知らせ"]
    assert "落選" in by_subject["抽選結果のお知らせ"]
    assert "取り消した方: 施設" in by_subject["初回面談取消のお知らせ"]


async def test_an_event_delivered_twice_sends_one_mail(notification: NotificationStack) -> None:
    link_id = uuid.uuid4()
    envelope = await notification.publish(_link("jiro@example.jp", link_id))
    # The same event again, as Kafka redelivers it or a relay re-publishes it after a crash.
    await notification.publish_envelope(envelope)
    # A later event with the same key lands on the same partition, so once its mail is here
    # the duplicate before it has certainly been consumed.
    await notification.publish(_link("marker@example.jp", link_id))

    async def marker_delivered() -> bool:
        return len(notification.smtp.mails_to("marker@example.jp")) == 1

    await eventually(marker_delivered, what="the marker mail")

    async def first_delivered() -> bool:
        return len(notification.smtp.mails_to("jiro@example.jp")) >= 1

    await eventually(first_delivered, what="the first mail")
    assert len(notification.smtp.mails_to("jiro@example.jp")) == 1
    assert len(await notification.rows(event_id=envelope.event_id)) == 1


async def test_an_smtp_outage_delays_mails_without_losing_them(
    notification: NotificationStack,
) -> None:
    notification.smtp.stop()
    use_date = today_jst() + timedelta(days=5)
    envelope = await notification.publish(
        BookingCancelled(
            booking_id=uuid.uuid4(),
            child_id=uuid.uuid4(),
            guardian_email="saburo@example.jp",
            facility_id=uuid.uuid4(),
            facility_name="さくら保育園",
            facility_email="sakura@example.jp",
            use_date=use_date,
            starts_at=at_jst(use_date, time(9)),
            reason="家庭の都合",
            cancelled_by="guardian",
            timely=False,
            consumed_minutes=120,
        )
    )

    async def retried_while_down() -> bool:
        rows = await notification.rows(event_id=envelope.event_id)
        return len(rows) == 2 and all(r.attempts >= 2 and r.status == "pending" for r in rows)

    await eventually(retried_while_down, what="both mails retried during the outage")
    rows = await notification.rows(event_id=envelope.event_id)
    assert all(r.last_error for r in rows)

    notification.smtp.start()  # the same port: the server is back

    async def delivered() -> bool:
        return bool(
            notification.smtp.mails_to("saburo@example.jp")
            and notification.smtp.mails_to("sakura@example.jp")
        )

    await eventually(delivered, what="both mails after the outage")

    async def all_sent() -> bool:
        rows = await notification.rows(event_id=envelope.event_id)
        return [r.status for r in rows] == ["sent", "sent"]

    await eventually(all_sent, what="both rows marked sent")
    [guardian_mail] = notification.smtp.mails_to("saburo@example.jp")
    assert "2時間の利用時間が消費されます" in (guardian_mail.body("plain") or "")


async def test_a_link_that_expired_before_it_could_be_sent_is_not_sent(
    notification: NotificationStack,
) -> None:
    # E.g. after a day-long SMTP outage: a dead link only confuses; the parent asks anew.
    stale = ApplicationLinkIssued(
        link_id=uuid.uuid4(),
        email="late@example.jp",
        url="https://tsuen.example.jp/apply?token=old",
        expires_at=now_jst() - timedelta(minutes=1),
    )
    envelope = await notification.publish(stale)

    async def expired() -> bool:
        return [r.status for r in await notification.rows(event_id=envelope.event_id)] == [
            "expired"
        ]

    await eventually(expired, what="the stale mail marked expired")
    assert notification.smtp.mails_to("late@example.jp") == []


async def test_a_temporary_refusal_is_retried_until_accepted(
    notification: NotificationStack,
) -> None:
    notification.smtp.catcher.tempfail["grey@example.jp"] = 2
    envelope = await notification.publish(_link("grey@example.jp"))

    async def sent() -> bool:
        rows = await notification.rows(event_id=envelope.event_id)
        return [r.status for r in rows] == ["sent"]

    await eventually(sent, what="the greylisted mail sent on the third attempt")
    [row] = await notification.rows(event_id=envelope.event_id)
    assert row.attempts == 3
    assert len(notification.smtp.mails_to("grey@example.jp")) == 1

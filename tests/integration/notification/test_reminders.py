"""The day-before reminder (利用日の前日の予約通知): scheduled from BookingConfirmed at the
municipality's hour, at once for a booking made after that hour for tomorrow, never for a
cancelled booking.

The test policy sets Kakegawa's reminder hour to 00:00 (see conftest), so "a booking for
tomorrow made after the reminder hour" holds whenever the tests run; Chiyoda keeps 18:00. The
hour boundaries themselves are unit-tested with an explicit clock (test_schedule.py).
"""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

from tests.integration.conftest import eventually
from tests.integration.notification.conftest import CHIYODA, KAKEGAWA, NotificationStack
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed, BookingKind
from tsuen_common.events.eligibility import CertificationChanged
from tsuen_common.timeutil import at_jst, today_jst


def _booking(guardian: str, use_date: date, booking_id: uuid.UUID, child: uuid.UUID):  # type: ignore[no-untyped-def]
    confirmed = BookingConfirmed(
        booking_id=booking_id,
        child_id=child,
        guardian_id=uuid.uuid4(),
        guardian_email=guardian,
        facility_id=uuid.uuid4(),
        facility_name="たんぽぽ保育園",
        facility_email="tanpopo@example.jp",
        kind=BookingKind.FLEXIBLE,
        use_date=use_date,
        starts_at=at_jst(use_date, time(9)),
        ends_at=at_jst(use_date, time(12)),
        held_minutes=180,
    )
    cancelled = BookingCancelled(
        booking_id=booking_id,
        child_id=child,
        guardian_email=guardian,
        facility_id=confirmed.facility_id,
        facility_name="たんぽぽ保育園",
        facility_email="tanpopo@example.jp",
        use_date=use_date,
        starts_at=confirmed.starts_at,
        reason="予定変更",
        cancelled_by="guardian",
        timely=True,
        consumed_minutes=0,
    )
    return confirmed, cancelled


def _subjects(notification: NotificationStack, address: str) -> list[str]:
    return sorted(str(m.message["Subject"]) for m in notification.smtp.mails_to(address))


async def test_booking_for_tomorrow_after_the_reminder_hour_is_reminded_at_once(
    notification: NotificationStack,
) -> None:
    tomorrow = today_jst() + timedelta(days=1)
    confirmed, _ = _booking("yuki@example.jp", tomorrow, uuid.uuid4(), uuid.uuid4())
    await notification.publish(confirmed, municipality=KAKEGAWA)

    async def both_delivered() -> bool:
        return len(notification.smtp.mails_to("yuki@example.jp")) == 2

    await eventually(both_delivered, what="confirmation and reminder")
    assert _subjects(notification, "yuki@example.jp") == sorted(
        ["予約完了のお知らせ", "ご利用日前日のお知らせ"]
    )
    reminder = next(
        m
        for m in notification.smtp.mails_to("yuki@example.jp")
        if m.message["Subject"] == "ご利用日前日のお知らせ"
    )
    text = reminder.body("plain") or ""
    assert "明日はご利用日です" in text
    assert "9:00〜12:00" in text
    assert f"{tomorrow.month}月{tomorrow.day}日" in text


async def test_reminder_waits_for_the_evening_before_and_a_cancellation_withdraws_it(
    notification: NotificationStack,
) -> None:
    use_date = today_jst() + timedelta(days=10)
    booking_id, child = uuid.uuid4(), uuid.uuid4()
    confirmed, cancelled = _booking("mei@example.jp", use_date, booking_id, child)
    envelope = await notification.publish(confirmed, municipality=CHIYODA)

    async def confirmation_delivered() -> bool:
        return _subjects(notification, "mei@example.jp") == ["予約完了のお知らせ"]

    await eventually(confirmation_delivered, what="the confirmation")
    [reminder] = await notification.rows(event_id=envelope.event_id, template="booking_reminder")
    assert reminder.status == "pending"
    assert reminder.due_at == at_jst(use_date - timedelta(days=1), time(18))
    assert reminder.booking_id == booking_id

    await notification.publish(cancelled, municipality=CHIYODA)

    async def cancellation_delivered() -> bool:
        return bool(notification.smtp.mails_to("tanpopo@example.jp")) and (
            "キャンセルのお知らせ" in _subjects(notification, "mei@example.jp")
        )

    await eventually(cancellation_delivered, what="the cancellation to guardian and facility")
    [reminder] = await notification.rows(event_id=envelope.event_id, template="booking_reminder")
    assert reminder.status == "cancelled"
    assert "ご利用日前日のお知らせ" not in _subjects(notification, "mei@example.jp")


async def test_a_cancellation_seen_before_its_confirmation_leaves_no_reminder(
    notification: NotificationStack,
) -> None:
    # A relay re-publishing an old batch can deliver the confirmation after the cancellation.
    tomorrow = today_jst() + timedelta(days=1)
    confirmed, cancelled = _booking("sora@example.jp", tomorrow, uuid.uuid4(), uuid.uuid4())
    await notification.publish(cancelled, municipality=KAKEGAWA)
    envelope = await notification.publish(confirmed, municipality=KAKEGAWA)

    async def confirmation_delivered() -> bool:
        return "予約完了のお知らせ" in _subjects(notification, "sora@example.jp")

    await eventually(confirmation_delivered, what="the confirmation")
    rows = await notification.rows(event_id=envelope.event_id)
    assert [r.template for r in rows] == ["booking_confirmed"]
    assert "ご利用日前日のお知らせ" not in _subjects(notification, "sora@example.jp")


async def test_a_changed_guardian_address_redirects_the_pending_reminder(
    notification: NotificationStack,
) -> None:
    use_date = today_jst() + timedelta(days=10)
    child = uuid.uuid4()
    confirmed, _ = _booking("old@example.jp", use_date, uuid.uuid4(), child)
    envelope = await notification.publish(confirmed, municipality=CHIYODA)

    async def scheduled() -> bool:
        rows = await notification.rows(event_id=envelope.event_id, template="booking_reminder")
        return len(rows) == 1

    await eventually(scheduled, what="the reminder scheduled")
    await notification.publish(
        CertificationChanged(
            certification_id=uuid.uuid4(),
            child_id=child,
            guardian_id=uuid.uuid4(),
            guardian_email="new@example.jp",
            changed_fields=["guardian_email"],
        ),
        municipality=CHIYODA,
    )

    async def redirected() -> bool:
        [row] = await notification.rows(event_id=envelope.event_id, template="booking_reminder")
        return bool(row.recipient == "new@example.jp")

    await eventually(redirected, what="the reminder redirected to the new address")
    [reminder] = await notification.rows(event_id=envelope.event_id, template="booking_reminder")
    assert reminder.status == "pending"
    # The confirmation went out before the change, to the address valid then.
    [confirmation] = await notification.rows(
        event_id=envelope.event_id, template="booking_confirmed"
    )
    assert confirmation.recipient == "old@example.jp"

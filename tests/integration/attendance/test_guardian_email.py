"""Eligibility's CertificationChanged (a new guardian e-mail) reaches the visits attendance
already holds, so the late-pickup notice (CheckedOut.guardian_email) goes to the new address."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from tests.integration.attendance.harness import (
    CHIYODA,
    Booking,
    Clock,
    Stack,
    attendance_stack,
    jst,
    new_booking,
)
from tests.integration.conftest import eventually
from tsuen_attendance.adapters.orm import messaging, visits
from tsuen_attendance.entrypoints.consumers import ELIGIBILITY_CONSUMER
from tsuen_common.events import EventEnvelope
from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.eligibility import CertificationChanged

DAY = date(2026, 11, 24)
OLD = "hogosha@example.jp"
NEW = "atarashii@example.jp"


CERTIFICATION = uuid.uuid4()


def change_of(booking: Booking, fields: list[str]) -> CertificationChanged:
    return CertificationChanged(
        certification_id=CERTIFICATION,
        child_id=booking.child_id,
        guardian_id=booking.guardian_id,
        guardian_email=NEW,
        changed_fields=fields,
    )


async def _emails(stack: Stack) -> dict[uuid.UUID, str | None]:
    async with stack.app.state.engine.connect() as conn:
        rows = (await conn.execute(sa.select(visits.c.booking_id, visits.c.guardian_email))).all()
    return {row.booking_id: row.guardian_email for row in rows}


async def _inbox(stack: Stack, event_id: uuid.UUID) -> int:
    inbox = messaging.inbox
    async with stack.app.state.engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(inbox)
            .where(inbox.c.consumer == ELIGIBILITY_CONSUMER, inbox.c.event_id == event_id)
        )
    return int(count or 0)


async def test_a_changed_guardian_email_reaches_the_late_pickup_notice(
    kafka, topic_prefix, new_database
):
    clock = Clock(jst(DAY, 8, 50))
    facility = uuid.uuid4()
    today = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    # The same child tomorrow, and yesterday's visit already over (its notice has gone).
    tomorrow = new_booking(
        facility, jst(DAY + timedelta(days=1), 9), jst(DAY + timedelta(days=1), 12)
    )
    tomorrow.child_id, tomorrow.guardian_id = today.child_id, today.guardian_id
    yesterday = new_booking(
        facility, jst(DAY - timedelta(days=1), 9), jst(DAY - timedelta(days=1), 12)
    )
    yesterday.child_id, yesterday.guardian_id = today.child_id, today.guardian_id
    other_child = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        for booking in (today, tomorrow, yesterday, other_child):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)

        async def projected() -> bool:
            return len(await _emails(stack)) == 4

        await eventually(projected, what="the four bookings in attendance's projection")
        # Yesterday's visit was picked up (by staff, the day before).
        clock.at = jst(DAY - timedelta(days=1), 9)
        staff = stack.staff(facility)
        for action in ("check_in", "check_out"):
            response = await stack.client.post(
                f"/v1/facilities/{facility}/staff-registrations",
                json={"booking_id": str(yesterday.booking_id), "action": action},
                headers=staff,
            )
            assert response.status_code == 200, response.text

        # Today: checked in at 08:50, then the change application (new e-mail) is approved.
        clock.at = jst(DAY, 8, 50)
        guardian = stack.guardian(today.guardian_id)
        body = {"token": await stack.code(facility), "booking_id": str(today.booking_id)}
        checked_in = await stack.client.post("/v1/check-ins", json=body, headers=guardian)
        assert checked_in.status_code == 200, checked_in.text

        change = EventEnvelope.wrap(
            change_of(today, ["guardian_email"]), municipality=CHIYODA, producer="eligibility"
        )
        await stack.publish(change)

        async def changed() -> bool:
            return (await _emails(stack))[today.booking_id] == NEW

        await eventually(changed, what="the new e-mail on the child's visits")
        assert await _emails(stack) == {
            today.booking_id: NEW,  # open: the child is here now
            tomorrow.booking_id: NEW,  # future
            yesterday.booking_id: OLD,  # over: left as it was sent
            other_child.booking_id: OLD,  # another child's guardian
        }

        # Delivered twice (a relay retry), an old confirmation republished: nothing moves. A
        # later change of the same child (same key, so after the duplicate) marks the point.
        await stack.publish(change)
        later = EventEnvelope.wrap(
            change_of(today, ["address"]), municipality=CHIYODA, producer="eligibility"
        )
        await stack.publish(later)
        await stack.publish_booking_event(tomorrow.confirmed(), CHIYODA)

        async def redeliveries_consumed() -> bool:
            return (
                await _inbox(stack, later.event_id) == 1
                and await _inbox(stack, change.event_id) == 1
                and await _reconfirmed(stack) == 1
            )

        await eventually(redeliveries_consumed, what="the redeliveries consumed")
        assert (await _emails(stack))[tomorrow.booking_id] == NEW

        # Picked up 10 minutes late: the late-pickup notice goes to the new address.
        clock.at = jst(DAY, 12, 10)
        body = {"token": await stack.code(facility), "booking_id": str(today.booking_id)}
        out = await stack.client.post("/v1/check-outs", json=body, headers=guardian)
        assert out.status_code == 200, out.text
        assert out.json()["penalty_minutes"] == 60

        async def checked_out() -> bool:
            return bool(stack.reader.of(CheckedOut, today.booking_id))

        await eventually(checked_out, what="CheckedOut on the attendance topic")
        [event] = stack.reader.of(CheckedOut, today.booking_id)
        assert isinstance(event, CheckedOut)
        assert event.guardian_email == NEW


async def _reconfirmed(stack: Stack) -> int:
    """BookingConfirmed events consumed beyond the first four."""
    inbox = messaging.inbox
    async with stack.app.state.engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(inbox)
            .where(inbox.c.event_type == "booking.BookingConfirmed")
        )
    return int(count or 0) - 4

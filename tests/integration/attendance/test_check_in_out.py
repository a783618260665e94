"""BookingConfirmed on the topic → projection → check-in/out by scanned code → events on the
topic, against the real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from tests.integration.attendance.harness import (
    CHIYODA,
    Clock,
    attendance_stack,
    jst,
    new_booking,
)
from tests.integration.conftest import eventually
from tsuen_common.events.attendance import CheckedIn, CheckedOut, NoShow, StaffRegistration

DAY = date(2026, 11, 24)  # a Tuesday; the app's clock is set, so the date never goes stale


async def test_scan_check_in_and_late_check_out_publish_events(kafka, topic_prefix, new_database):
    clock = Clock(jst(DAY, 8, 50))
    facility = uuid.uuid4()
    booking = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        guardian = stack.guardian(booking.guardian_id)

        # The scan page's data: the guardian's booking at the scanned facility, not yet here.
        token = await stack.code(facility)
        scanned = await stack.client.get("/v1/scan", params={"t": token}, headers=guardian)
        assert scanned.status_code == 200, scanned.text
        assert [v["status"] for v in scanned.json()["visits"]] == ["expected"]

        body = {"token": token, "booking_id": str(booking.booking_id)}
        first = await stack.client.post("/v1/check-ins", json=body, headers=guardian)
        assert first.status_code == 200, first.text
        assert first.json()["checked_in_at"].startswith("2026-11-24T08:50:00")

        # A second scan (a double tap, a retry) answers the same and emits nothing new.
        clock.at = jst(DAY, 8, 50, 20)
        again = await stack.client.post("/v1/check-ins", json=body, headers=guardian)
        assert (again.status_code, again.json()) == (200, first.json())

        mine = await stack.client.get("/v1/me/visits", headers=guardian)
        assert mine.json()[0]["status"] == "in_use"  # 利用中 on the guardian's home

        # Picked up exactly 10 minutes after the booked end: one more hour (Chiyoda).
        clock.at = jst(DAY, 12, 10)
        out_body = {"token": await stack.code(facility), "booking_id": str(booking.booking_id)}
        out = await stack.client.post("/v1/check-outs", json=out_body, headers=guardian)
        assert out.status_code == 200, out.text
        assert (out.json()["late_minutes"], out.json()["penalty_minutes"]) == (10, 60)
        repeat = await stack.client.post("/v1/check-outs", json=out_body, headers=guardian)
        assert repeat.json() == out.json()

        async def checked_out_published() -> bool:
            return bool(stack.reader.of(CheckedOut, booking.booking_id))

        await eventually(checked_out_published, what="CheckedOut on the attendance topic")
        # The relay publishes in commit order, so a second CheckedIn would be here by now.
        checked_in = stack.reader.of(CheckedIn, booking.booking_id)
        assert len(checked_in) == 1
        assert isinstance(checked_in[0], CheckedIn)
        assert checked_in[0].registered_by_staff is None
        checked_out = stack.reader.of(CheckedOut, booking.booking_id)
        assert len(checked_out) == 1
        event = checked_out[0]
        assert isinstance(event, CheckedOut)
        assert (event.late_minutes, event.penalty_minutes) == (10, 60)
        assert event.booked_end == booking.ends_at
        assert event.child_id == booking.child_id
        envelope = stack.reader.envelopes(CheckedOut)[0]
        assert (envelope.municipality, envelope.aggregate_id) == (CHIYODA, str(booking.child_id))


async def test_codes_that_must_not_work_are_refused_with_a_reason(
    kafka, topic_prefix, new_database
):
    clock = Clock(jst(DAY, 9, 0))
    facility, other_facility = uuid.uuid4(), uuid.uuid4()
    booking = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        guardian = stack.guardian(booking.guardian_id)
        here = await stack.code(facility)
        elsewhere = await stack.code(other_facility)

        async def check_in(token: str, headers: dict[str, str] = guardian) -> tuple[int, str]:
            response = await stack.client.post(
                "/v1/check-ins",
                json={"token": token, "booking_id": str(booking.booking_id)},
                headers=headers,
            )
            return response.status_code, response.json().get("code", "")

        assert await check_in(elsewhere) == (409, "code_other_facility")
        version, fid, step, mac = here.split(".")
        assert await check_in(f"{version}.{fid}.{int(step) + 1}.{mac}") == (403, "code_forged")
        assert await check_in("not-a-code") == (400, "code_malformed")
        # Another family's phone with this facility's genuine code: as if there were no booking.
        stranger = stack.guardian(uuid.uuid4())
        assert await check_in(here, stranger) == (404, "not_found")
        # Staff may not use the guardian's endpoint.
        forbidden = await stack.client.post(
            "/v1/check-ins",
            json={"token": here, "booking_id": str(booking.booking_id)},
            headers=stack.staff(facility),
        )
        assert forbidden.status_code == 403
        # A photo of the code, used a minute later: expired.
        clock.at = jst(DAY, 9, 1)
        assert await check_in(here) == (410, "code_expired")
        # Bad input is a 4xx with a message, never a 500.
        invalid = await stack.client.post(
            "/v1/check-ins", json={"token": here, "booking_id": "x"}, headers=guardian
        )
        assert invalid.status_code == 422
        # Only the facility's own staff may show its code.
        foreign = await stack.client.get(
            f"/v1/facilities/{facility}/code", headers=stack.staff(other_facility)
        )
        assert foreign.status_code == 404
        # Nothing above registered anything.
        async with stack.app.state.engine.connect() as conn:
            outbox = (await conn.execute(sa.text("SELECT count(*) FROM outbox"))).scalar_one()
        assert outbox == 0


async def test_staff_registration_roster_cancellation_and_no_shows(
    kafka, topic_prefix, new_database
):
    clock = Clock(jst(DAY, 9, 5))
    facility = uuid.uuid4()
    present = new_booking(facility, jst(DAY, 9), jst(DAY, 11))
    absent = new_booking(facility, jst(DAY, 9), jst(DAY, 10))
    cancelled = new_booking(facility, jst(DAY, 9), jst(DAY, 10))
    # A relay that crashed may republish an old confirmation after the cancellation.
    reordered = new_booking(facility, jst(DAY, 9), jst(DAY, 10))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        for booking in (present, absent, cancelled):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await stack.publish_booking_event(cancelled.cancelled(), CHIYODA)
        await stack.publish_booking_event(reordered.cancelled(), CHIYODA)
        await stack.publish_booking_event(reordered.confirmed(), CHIYODA)

        async def cancellation_projected() -> bool:
            response = await stack.client.get(
                "/v1/me/visits", headers=stack.guardian(cancelled.guardian_id)
            )
            late_confirmation = await stack.client.get(
                "/v1/me/visits", headers=stack.guardian(reordered.guardian_id)
            )
            async with stack.app.state.engine.connect() as conn:
                stored = (
                    await conn.execute(
                        sa.text("SELECT cancelled FROM visits WHERE booking_id = :b"),
                        {"b": reordered.booking_id},
                    )
                ).scalar_one_or_none()
            return (
                response.json() == []
                and late_confirmation.json() == []
                and stored is True
                and await stack.projected(absent.booking_id, absent.guardian_id)
            )

        await eventually(cancellation_projected, what="the cancellation in the projection")

        staff = stack.staff(facility, subject="staff-hanako")
        registered = await stack.client.post(
            f"/v1/facilities/{facility}/staff-registrations",
            json={"booking_id": str(present.booking_id), "action": "check_in"},
            headers=staff,
        )
        assert registered.status_code == 200, registered.text
        assert registered.json()["registered_by_staff"] == "staff-hanako"

        refused = await stack.client.post(
            f"/v1/facilities/{facility}/staff-registrations",
            json={"booking_id": str(cancelled.booking_id), "action": "check_in"},
            headers=staff,
        )
        assert (refused.status_code, refused.json()["code"]) == (409, "booking_not_active")
        other_staff = stack.staff(uuid.uuid4())
        hidden = await stack.client.get(f"/v1/facilities/{facility}/roster", headers=other_staff)
        assert hidden.status_code == 404

        roster = (await stack.client.get(f"/v1/facilities/{facility}/roster", headers=staff)).json()
        assert (roster["expected"], roster["arrived"], roster["left"], roster["late"]) == (
            1,
            1,
            0,
            0,
        )

        # The cron job, run twice: one NoShow for the booking nobody came to.
        after_end = jst(DAY, 10, 0)
        assert await stack.service.detect_no_shows(after_end) == 1
        assert await stack.service.detect_no_shows(after_end + timedelta(hours=1)) == 0

        clock.at = jst(DAY, 11, 30)
        roster = (await stack.client.get(f"/v1/facilities/{facility}/roster", headers=staff)).json()
        assert (roster["arrived"], roster["late"], roster["no_show"]) == (1, 1, 1)

        # Staff register the (late) pickup too: the penalty applies whoever registers it.
        pickup = await stack.client.post(
            f"/v1/facilities/{facility}/staff-registrations",
            json={"booking_id": str(present.booking_id), "action": "check_out"},
            headers=staff,
        )
        assert pickup.status_code == 200, pickup.text
        assert (pickup.json()["late_minutes"], pickup.json()["penalty_minutes"]) == (30, 60)
        assert pickup.json()["registered_by_staff"] == "staff-hanako"

        async def all_published() -> bool:
            return (
                bool(stack.reader.of(NoShow, absent.booking_id))
                and len(stack.reader.of(StaffRegistration, present.booking_id)) == 2
                and bool(stack.reader.of(CheckedOut, present.booking_id))
            )

        await eventually(all_published, what="NoShow and StaffRegistration on the topic")
        audit = stack.reader.of(StaffRegistration, present.booking_id)[0]
        assert isinstance(audit, StaffRegistration)
        assert (audit.staff_id, audit.action) == ("staff-hanako", "check_in")
        audit_out = stack.reader.of(StaffRegistration, present.booking_id)[1]
        assert isinstance(audit_out, StaffRegistration)
        assert audit_out.action == "check_out"
        staff_out = stack.reader.of(CheckedOut, present.booking_id)[0]
        assert isinstance(staff_out, CheckedOut)
        assert (staff_out.penalty_minutes, staff_out.registered_by_staff) == (60, "staff-hanako")
        staff_check_in = stack.reader.of(CheckedIn, present.booking_id)[0]
        assert isinstance(staff_check_in, CheckedIn)
        assert staff_check_in.registered_by_staff == "staff-hanako"
        assert not stack.reader.of(NoShow, cancelled.booking_id)
        assert not stack.reader.of(NoShow, reordered.booking_id)
        assert len(stack.reader.of(NoShow, absent.booking_id)) == 1

"""遅れる連絡: the guardian tells the facility the arrival or the pickup will be late; the
facility sees it on the day's roster. Only the booking's guardian, only for today's visit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.integration.attendance.harness import (
    CHIYODA,
    Clock,
    attendance_stack,
    jst,
    new_booking,
)
from tests.integration.conftest import eventually

DAY = date(2026, 11, 24)


async def test_a_guardians_late_notice_reaches_the_roster(kafka, topic_prefix, new_database):
    clock = Clock(jst(DAY, 8, 0))
    facility = uuid.uuid4()
    today = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    tomorrow = new_booking(
        facility,
        jst(DAY + timedelta(days=1), 9),
        jst(DAY + timedelta(days=1), 12),
        guardian_id=today.guardian_id,
    )
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        for booking in (today, tomorrow):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        staff = stack.staff(facility)

        async def projected() -> bool:
            lines = 0
            for day in (DAY, DAY + timedelta(days=1)):
                response = await stack.client.get(
                    f"/v1/facilities/{facility}/roster",
                    params={"day": day.isoformat()},
                    headers=staff,
                )
                lines += len(response.json()["lines"])
            return lines == 2

        await eventually(projected, what="both bookings on their rosters")
        guardian = stack.guardian(today.guardian_id)
        url = f"/v1/visits/{today.booking_id}/late-notice"

        told = await stack.client.post(
            url, json={"kind": "arrival", "minutes": 20, "note": "病院に寄ります"}, headers=guardian
        )
        assert told.status_code == 200, told.text
        assert told.json()["kind"] == "arrival"

        # Someone else's booking looks missing; the day before the visit is too early.
        stranger = stack.guardian(uuid.uuid4())
        assert (
            await stack.client.post(url, json={"kind": "pickup", "minutes": 10}, headers=stranger)
        ).status_code == 404
        early = await stack.client.post(
            f"/v1/visits/{tomorrow.booking_id}/late-notice",
            json={"kind": "pickup", "minutes": 10},
            headers=guardian,
        )
        assert early.status_code == 409
        assert "当日" in early.json()["message_ja"]
        for bad in ({"kind": "pickup", "minutes": 0}, {"kind": "soon", "minutes": 10}):
            assert (await stack.client.post(url, json=bad, headers=guardian)).status_code == 422

        # The child arrives late; then the pickup will be late too, said twice (the second
        # replaces the first).
        clock.at = jst(DAY, 9, 20)
        response = await stack.client.post(
            f"/v1/facilities/{facility}/staff-registrations",
            json={"booking_id": str(today.booking_id), "action": "check_in"},
            headers=staff,
        )
        assert response.status_code == 200, response.text
        again = await stack.client.post(
            url, json={"kind": "arrival", "minutes": 5}, headers=guardian
        )
        assert again.status_code == 409
        assert "すでに登園" in again.json()["message_ja"]
        for minutes in (15, 30):
            ok = await stack.client.post(
                url, json={"kind": "pickup", "minutes": minutes}, headers=guardian
            )
            assert ok.status_code == 200, ok.text

        roster = await stack.client.get(f"/v1/facilities/{facility}/roster", headers=staff)
        (line,) = roster.json()["lines"]
        assert [(n["kind"], n["minutes"], n["note"]) for n in line["late_notices"]] == [
            ("arrival", 20, "病院に寄ります"),
            ("pickup", 30, ""),
        ]

"""The facility's month report, through the real service: per child, bookings, visits,
late pickups and no-shows, as JSON and as the CSV staff download; nobody else's facility."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from tests.integration.attendance.harness import (
    CHIYODA,
    Clock,
    attendance_stack,
    jst,
    new_booking,
)
from tests.integration.conftest import eventually

NOV = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))


async def test_the_month_report_counts_what_happened_per_child(kafka, topic_prefix, new_database):
    clock = Clock(jst(NOV[0], 8, 50))
    facility = uuid.uuid4()
    came, late, missed = (new_booking(facility, jst(d, 9), jst(d, 12)) for d in NOV)
    for booking in (late, missed):
        booking.child_id, booking.guardian_id = came.child_id, came.guardian_id
    december = new_booking(facility, jst(date(2026, 12, 1), 9), jst(date(2026, 12, 1), 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        for booking in (came, late, missed, december):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        staff = stack.staff(facility)
        url = f"/v1/facilities/{facility}/report"

        async def projected() -> bool:
            nov = await stack.client.get(url, params={"month": "2026-11"}, headers=staff)
            dec = await stack.client.get(url, params={"month": "2026-12"}, headers=staff)
            return [line["bookings"] for line in nov.json()] == [3] and [
                line["bookings"] for line in dec.json()
            ] == [1]

        await eventually(projected, what="the four bookings in the report")

        async def register(booking_id: uuid.UUID, action: str) -> None:
            response = await stack.client.post(
                f"/v1/facilities/{facility}/staff-registrations",
                json={"booking_id": str(booking_id), "action": action},
                headers=staff,
            )
            assert response.status_code == 200, response.text

        await register(came.booking_id, "check_in")
        clock.at = jst(NOV[0], 12, 0)
        await register(came.booking_id, "check_out")
        clock.at = jst(NOV[1], 8, 55)
        await register(late.booking_id, "check_in")
        clock.at = jst(NOV[1], 12, 30)  # 30 minutes late
        await register(late.booking_id, "check_out")
        clock.at = jst(NOV[2], 18, 0)  # nobody came on the 26th

        (line,) = (await stack.client.get(url, params={"month": "2026-11"}, headers=staff)).json()
        assert line["child_name"] == "神田 太郎"
        assert (line["bookings"], line["attended"], line["no_shows"]) == (3, 2, 1)
        assert line["booked_minutes"] == 540
        assert line["late_pickups"] == 1
        assert line["late_minutes"] == 30
        assert line["days"] == [d.isoformat() for d in NOV]

        csv_answer = await stack.client.get(
            f"{url}.csv", params={"month": "2026-11"}, headers=staff
        )
        assert csv_answer.status_code == 200
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv_answer.headers["content-disposition"]
        assert csv_answer.headers["cache-control"] == "no-store"
        rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["児童ID", "氏名", "予約件数"]
        assert rows[1][1:3] == ["神田 太郎", "3"]

        # December is another month; another facility's staff see nothing of this one.
        (dec,) = (await stack.client.get(url, params={"month": "2026-12"}, headers=staff)).json()
        assert dec["bookings"] == 1
        other = await stack.client.get(
            url, params={"month": "2026-11"}, headers=stack.staff(uuid.uuid4())
        )
        assert other.status_code == 404
        bad = await stack.client.get(url, params={"month": "2026-13"}, headers=staff)
        assert bad.status_code == 422

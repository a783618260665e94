"""``tsuen-attendance rotate-key`` and ``detect-no-shows`` as an operator (or cron) runs them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.integration.attendance.harness import CHIYODA, attendance_stack, new_booking
from tests.integration.conftest import eventually, run_command
from tsuen_common.events.attendance import NoShow
from tsuen_common.timeutil import now_jst


async def test_rotate_key_keeps_the_code_on_screen_valid_and_no_shows_run_from_cron(
    kafka, topic_prefix, new_database
):
    # The wall clock: the command stamps the rotation with the real time, as in production.
    now = now_jst()
    start = max(now.replace(hour=0, minute=0, second=0, microsecond=0), now - timedelta(minutes=5))
    facility = uuid.uuid4()
    arriving = new_booking(facility, start, now + timedelta(hours=1))
    missing = new_booking(facility, start, now + timedelta(minutes=30))
    sweep_at = (now + timedelta(hours=2)).replace(tzinfo=None).isoformat()  # read as JST
    url = await new_database("attendance")
    env = {"TSUEN_DATABASE_URL": url, "TSUEN_KAFKA_TOPIC_PREFIX": topic_prefix}
    async with attendance_stack(kafka.bootstrap_servers, topic_prefix, url) as stack:
        for booking in (arriving, missing):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(missing.booking_id, missing.guardian_id),
            what="the bookings in attendance's projection",
        )
        await eventually(
            lambda: stack.projected(arriving.booking_id, arriving.guardian_id),
            what="the bookings in attendance's projection",
        )
        on_screen = await stack.code(facility)

        rotated = await run_command(
            "tsuen-attendance", "rotate-key", "--facility", str(facility), env=env
        )
        assert rotated.returncode == 0, rotated.stderr
        assert f"rotated the 2D-code key of facility {facility}" in rotated.stdout
        after = await stack.code(facility)
        assert after != on_screen  # same step, new key: a different signature

        # A parent who scanned the old code just before the rotation is not turned away.
        response = await stack.client.post(
            "/v1/check-ins",
            json={"token": on_screen, "booking_id": str(arriving.booking_id)},
            headers=stack.guardian(arriving.guardian_id),
        )
        assert response.status_code == 200, response.text

        printed = []
        for _ in range(2):  # cron runs it again: nothing new
            swept = await run_command(
                "tsuen-attendance", "detect-no-shows", "--at", sweep_at, env=env
            )
            assert swept.returncode == 0, swept.stderr
            printed += [line for line in swept.stdout.splitlines() if "no-show(s)" in line]
        assert [line for line in printed if not line.startswith("{")] == [
            "1 no-show(s) recorded",
            "0 no-show(s) recorded",
        ]

        async def no_show_published() -> bool:
            return bool(stack.reader.of(NoShow, missing.booking_id))

        await eventually(no_show_published, what="NoShow on the attendance topic")
        event = stack.reader.of(NoShow, missing.booking_id)[0]
        assert isinstance(event, NoShow)
        assert event.use_date == start.date()
        assert not stack.reader.of(NoShow, arriving.booking_id)

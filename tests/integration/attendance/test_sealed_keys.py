"""Issue 12, item 7: the 2D-code signing keys are sealed at rest; a database reader sees no key.

Sealing is turned on the way an operator does it: the service ran without sealing keys, the
operator sets TSUEN_SEALING_KEYS and runs ``tsuen-attendance reseal-keys``; codes shown before
keep working, and keys made afterwards are stored sealed from the start.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests.integration.attendance.harness import CHIYODA, attendance_stack, new_booking
from tests.integration.conftest import eventually, run_command
from tsuen_common.db import make_engine
from tsuen_common.sealed import new_key_spec
from tsuen_common.timeutil import now_jst


async def stored_keys(url: str) -> list[bytes]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT secret FROM facility_keys ORDER BY id"))
            return [bytes(r[0]) for r in rows]
    finally:
        await engine.dispose()


async def test_keys_are_sealed_and_codes_still_verify(kafka, topic_prefix, new_database):
    now = now_jst()
    facility, later_facility = uuid.uuid4(), uuid.uuid4()
    booking = new_booking(facility, now - timedelta(minutes=5), now + timedelta(hours=1))
    url = await new_database("attendance")
    sealing = new_key_spec("k1")

    async with attendance_stack(kafka.bootstrap_servers, topic_prefix, url) as plain:
        await plain.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: plain.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        shown = await plain.code(facility)
    [legacy] = await stored_keys(url)
    assert not legacy.startswith(b"tsv1:")  # the state before the operator turns sealing on

    env = {
        "TSUEN_DATABASE_URL": url,
        "TSUEN_KAFKA_TOPIC_PREFIX": topic_prefix,
        "TSUEN_SEALING_KEYS": sealing,
    }
    resealed = await run_command("tsuen-attendance", "reseal-keys", env=env)
    assert resealed.returncode == 0, resealed.stderr
    assert "1 key(s) resealed" in resealed.stdout
    [sealed] = await stored_keys(url)
    assert sealed.startswith(b"tsv1:k1:")
    assert legacy not in sealed

    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, url, sealing_keys=sealing
    ) as stack:
        # The code on the tablet since before the change still checks the child in.
        checked_in = await stack.client.post(
            "/v1/check-ins",
            json={"token": shown, "booking_id": str(booking.booking_id)},
            headers=stack.guardian(booking.guardian_id),
        )
        assert checked_in.status_code == 200, checked_in.text
        await stack.code(later_facility)
    assert all(key.startswith(b"tsv1:k1:") for key in await stored_keys(url))
    again = await run_command("tsuen-attendance", "reseal-keys", env=env)
    assert "0 key(s) resealed" in again.stdout

"""Idempotency-Key on attendance's check-in and check-out (issue 18): the retry of a scan
whose answer was lost gets the first answer; the same key for another scan is refused."""

from __future__ import annotations

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

DAY = date(2026, 11, 24)  # a Tuesday


async def test_a_retried_check_out_gets_its_first_answer(kafka, topic_prefix, new_database):  # type: ignore[no-untyped-def]
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
        body = {"token": await stack.code(facility), "booking_id": str(booking.booking_id)}
        keyed = {**guardian, "Idempotency-Key": str(uuid.uuid4())}
        first_in = await stack.client.post("/v1/check-ins", json=body, headers=keyed)
        assert first_in.status_code == 200, first_in.text

        clock.at = jst(DAY, 12, 10)
        out_body = {"token": await stack.code(facility), "booking_id": str(booking.booking_id)}
        out_key = {**guardian, "Idempotency-Key": str(uuid.uuid4())}
        first_out = await stack.client.post("/v1/check-outs", json=out_body, headers=out_key)
        assert first_out.status_code == 200, first_out.text
        clock.at = jst(DAY, 12, 40)  # the retry comes later; its answer is still the first
        retry = await stack.client.post("/v1/check-outs", json=out_body, headers=out_key)

        assert retry.status_code == 200
        assert retry.json() == first_out.json()
        assert retry.headers["idempotent-replayed"] == "true"
        reused = await stack.client.post("/v1/check-ins", json=body, headers=out_key)
        assert reused.status_code == 422
        assert reused.json()["code"] == "idempotency_key_reused"

"""Two phones scanning at once for one child (issue 20): a check-in is one read and one
``register_visit`` call, so the race is decided by the visit's version under its row lock.
Every scan answers the same check-in; exactly one CheckedIn is written, and likewise for the
check-out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import httpx
import sqlalchemy as sa

from tests.integration.attendance.harness import CHIYODA, Clock, attendance_stack, jst, new_booking
from tests.integration.conftest import eventually
from tsuen_common.events.attendance import CheckedIn, CheckedOut

DAY = date(2026, 11, 24)  # a Tuesday
PHONES = 6


async def test_simultaneous_scans_register_once(kafka, topic_prefix, new_database):
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

        async def events(event_type: str) -> int:
            async with stack.service.sessions() as session:
                found = await session.scalar(
                    sa.text("SELECT count(*) FROM outbox WHERE event_type = :t"),
                    {"t": event_type},
                )
            return int(found or 0)

        async def scan(path: str) -> list[httpx.Response]:
            phones = (stack.client.post(path, json=body, headers=guardian) for _ in range(PHONES))
            return await asyncio.gather(*phones)

        ins = await scan("/v1/check-ins")
        assert {r.status_code for r in ins} == {200}, [r.text for r in ins]
        assert len({r.text for r in ins}) == 1  # every phone shows the same check-in
        assert await events(CheckedIn.event_type) == 1

        clock.at = jst(DAY, 11, 30)
        body["token"] = await stack.code(facility)
        outs = await scan("/v1/check-outs")
        assert {r.status_code for r in outs} == {200}, [r.text for r in outs]
        assert len({r.text for r in outs}) == 1
        assert await events(CheckedOut.event_type) == 1

"""The facility's roster names the child and shows the guardian's record (issue 16).

Eligibility's ChildCertified (reading, birth date) and ChildProfileUpdated (allergies, 医療的ケア,
emergency contacts, who may pick up) are published as eligibility's relay would; the roster
shows them for the care the facility is about to give, and nothing once the visit is over.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

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
from tsuen_common.events import EventEnvelope
from tsuen_common.events.eligibility import (
    ChildCertified,
    ChildProfile,
    ChildProfileUpdated,
    EmergencyContact,
    PickupPerson,
)

DAY = date(2026, 11, 24)
BIRTH = date(2025, 1, 31)


def certified(booking: Booking) -> ChildCertified:
    return ChildCertified(
        certification_id=uuid.uuid4(),
        child_id=booking.child_id,
        guardian_id=booking.guardian_id,
        guardian_email="hogosha@example.jp",
        certificate_number="C-0001",
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 3, 31),
        birth_date=BIRTH,
        child_name="神田 太郎",
        child_kana="カンダ タロウ",
    )


def record(allergy: str) -> ChildProfile:
    return ChildProfile(
        allergies=[allergy],
        medical_care=True,
        medical_care_notes="食後に吸入",
        emergency_contacts=[
            EmergencyContact(name="神田 花子", relation="母", phone="090-1111-2222")
        ],
        pickup_persons=[PickupPerson(name="神田 和子", relation="祖母")],
    )


def updated(booking: Booking, version: int, allergy: str) -> ChildProfileUpdated:
    return ChildProfileUpdated(
        child_id=booking.child_id,
        guardian_id=booking.guardian_id,
        profile_version=version,
        profile=record(allergy),
    )


async def publish(stack: Stack, payload: Any) -> None:
    await stack.publish(EventEnvelope.wrap(payload, municipality=CHIYODA, producer="eligibility"))


async def roster(stack: Stack, facility: uuid.UUID, day: date) -> dict[uuid.UUID, Any]:
    response = await stack.client.get(
        f"/v1/facilities/{facility}/roster",
        params={"day": day.isoformat()},
        headers=stack.staff(facility),
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return {uuid.UUID(line["booking_id"]): line for line in response.json()["lines"]}


async def test_the_roster_shows_the_childs_record_for_the_care_about_to_be_given(
    kafka, topic_prefix, new_database
):
    clock = Clock(jst(DAY, 8, 30))
    facility = uuid.uuid4()
    today = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    soon = new_booking(facility, jst(DAY + timedelta(days=2), 9), jst(DAY + timedelta(days=2), 12))
    later = new_booking(
        facility, jst(DAY + timedelta(days=10), 9), jst(DAY + timedelta(days=10), 12)
    )
    for booking in (soon, later):
        booking.child_id, booking.guardian_id = today.child_id, today.guardian_id
    unregistered = new_booking(facility, jst(DAY, 10), jst(DAY, 11))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        for booking in (today, soon, later, unregistered):
            await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await publish(stack, certified(today))
        # Version 2 is delivered before version 1 (another partition's relay was slower):
        # the newer record stays.
        await publish(stack, updated(today, 2, "卵"))
        await publish(stack, updated(today, 1, "そば"))

        async def shown() -> bool:
            lines = await roster(stack, facility, DAY)
            line = lines.get(today.booking_id)
            ahead = [await roster(stack, facility, b.starts_at.date()) for b in (soon, later)]
            return bool(
                line
                and line["record"]
                and line["child_kana"]
                and unregistered.booking_id in lines
                and soon.booking_id in ahead[0]
                and later.booking_id in ahead[1]
            )

        await eventually(shown, what="the child's record on today's roster")
        lines = await roster(stack, facility, DAY)
        line = lines[today.booking_id]
        assert line["child_kana"] == "カンダ タロウ"
        assert line["age_months"] == 21  # born 2025-01-31, on 2026-11-24
        assert line["record"]["allergies"] == ["卵"]
        assert line["record"]["medical_care"] is True
        assert line["record"]["emergency_contacts"][0]["relation"] == "母"
        assert line["record"]["pickup_persons"][0]["name"] == "神田 和子"
        # A child whose guardian has not registered yet says so rather than showing nothing.
        assert lines[unregistered.booking_id]["record_registered"] is False
        assert lines[unregistered.booking_id]["record"] is None

        # Two days ahead: shown, so staff can prepare; ten days ahead: not yet.
        assert (await roster(stack, facility, soon.starts_at.date()))[soon.booking_id]["record"]
        far = (await roster(stack, facility, later.starts_at.date()))[later.booking_id]
        assert far["record"] is None
        assert far["record_registered"] is True
        assert far["child_kana"] == "カンダ タロウ"  # the name and reading stay

        # Once the child has gone home, the record leaves the roster.
        clock.at = jst(DAY, 8, 55)
        staff = stack.staff(facility)
        for action in ("check_in", "check_out"):
            done = await stack.client.post(
                f"/v1/facilities/{facility}/staff-registrations",
                json={"booking_id": str(today.booking_id), "action": action},
                headers=staff,
            )
            assert done.status_code == 200, done.text
        gone = (await roster(stack, facility, DAY))[today.booking_id]
        assert gone["status"] == "left"
        assert gone["record"] is None

        # Another facility's staff see none of it.
        other = await stack.client.get(
            f"/v1/facilities/{facility}/roster", headers=stack.staff(uuid.uuid4())
        )
        assert other.status_code in (403, 404)

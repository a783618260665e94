"""Exact under concurrency: simultaneous requests for the last place and for the last hour.

The requests really race: each runs in its own database connection (the app's pool), so only the
database's conditional updates and row locks stand between them and an overbooking.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, time

from tests.integration.booking.support import KAKEGAWA, Harness, auth
from tsuen_booking.service_layer.quota import reconcile

RACERS = 10
DAY = date(2027, 6, 9)  # a Wednesday


async def test_only_as_many_children_as_places_get_the_last_places(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=2)
    children = [await harness.certify(KAKEGAWA) for _ in range(RACERS)]
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)

    responses = await asyncio.gather(
        *(harness.book(c, facility, DAY, time(10), time(11)) for c in children)
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 2, 409: RACERS - 2}, [r.text for r in responses]
    refusals = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert refusals == {"no free place 10:00–11:00"}
    taken = await harness.scalar(
        "SELECT taken FROM facility_slots WHERE facility_id = :f AND use_date = :d",
        f=facility,
        d=DAY,
    )
    assert taken == 2
    held = await harness.scalar("SELECT coalesce(sum(held_national), 0) FROM quota_months")
    assert held == 2 * 60  # the losers hold nothing: their transactions rolled back whole
    assert (
        await harness.event_types()
        == [
            "booking.InterviewRequested",
            "booking.InterviewScheduled",
            "booking.FacilityAcceptanceRecorded",
        ]
        * RACERS
        + ["booking.BookingConfirmed"] * 2
    )
    assert (await reconcile(harness.ctx))[1] == []


async def test_only_one_request_gets_the_last_hour_of_the_month(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=5)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    # 9 of the 10 monthly hours in one long booking on the 1st.
    first = await harness.book(child, facility, date(2027, 6, 1), time(8), time(17))
    assert first.status_code == 201, first.text

    days = [date(2027, 6, d) for d in (2, 3, 4, 7, 8, 9, 10, 11, 14, 15)]
    responses = await asyncio.gather(
        *(harness.book(child, facility, day, time(10), time(11)) for day in days)
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, [r.text for r in responses]
    assert {r.json()["detail"] for r in responses if r.status_code == 409} == {
        "quota exceeded: 0 minutes remain"
    }
    assert await harness.quota(child, "2027-06") == {
        "cap_minutes": 600,
        "topup_minutes": 0,
        "held_minutes": 600,
        "consumed_minutes": 0,
        "remaining_minutes": 0,
        "over_cap_minutes": 0,
    }
    assert (await reconcile(harness.ctx))[1] == []


async def test_a_booking_is_cancelled_once_however_many_ask(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=1)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    booking = (await harness.book(child, facility, DAY, time(10), time(12))).json()

    responses = await asyncio.gather(
        *(
            harness.client.post(
                f"/v1/bookings/{booking['id']}/cancel",
                json={"reason": "予定変更"},
                headers=auth(child.principal),
            )
            for _ in range(RACERS)
        )
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 409: RACERS - 1}
    assert (await harness.quota(child, "2027-06"))["remaining_minutes"] == 600
    assert await harness.scalar("SELECT max(taken) FROM facility_slots") == 0
    assert (await harness.event_types()).count("booking.BookingCancelled") == 1
    assert (await reconcile(harness.ctx))[1] == []

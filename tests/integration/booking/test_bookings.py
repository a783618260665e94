"""柔軟利用 bookings over HTTP: the grid, the refusals a guardian can act on, the quota, tenants."""

from __future__ import annotations

import uuid
from datetime import date, time

import sqlalchemy as sa

from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    Harness,
    auth,
    guardian,
    officer,
    staff,
)

WEDNESDAY = date(2027, 6, 9)


async def test_a_booking_takes_its_cells_and_holds_its_minutes(harness: Harness) -> None:
    facility = await harness.register(CHIYODA, places_per_slot=3)
    child = await harness.certify(CHIYODA)
    await harness.accept(CHIYODA, facility, child)

    response = await harness.book(child, facility, WEDNESDAY, time(10), time(11, 30))

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "confirmed"
    assert booking["held_minutes"] == 90
    assert booking["starts_at"] == "2027-06-09T10:00:00+09:00"
    grid = await harness.client.get(
        f"/v1/facilities/{facility}/availability",
        params={"from": "2027-06-09", "to": "2027-06-10"},
        headers=auth(child.principal),
    )
    assert grid.status_code == 200, grid.text
    body = grid.json()
    assert body["cell_minutes"] == 30
    cells = {c["start"]: c for c in body["days"][0]["cells"]}
    assert [cells[t]["free"] for t in ("09:30", "10:00", "10:30", "11:00", "11:30")] == [
        3,
        2,
        2,
        2,
        3,
    ]
    assert await harness.quota(child, "2027-06") == {
        "cap_minutes": 600,
        "topup_minutes": 0,
        "held_minutes": 90,
        "consumed_minutes": 0,
        "remaining_minutes": 510,
        "over_cap_minutes": 0,
    }
    listed = await harness.client.get(
        "/v1/bookings",
        params={"kind": "flexible", "upcoming": "true"},
        headers=auth(child.principal),
    )
    assert [b["id"] for b in listed.json()] == [booking["id"]]
    at_facility = await harness.client.get("/v1/bookings", headers=auth(staff(CHIYODA, facility)))
    assert [b["id"] for b in at_facility.json()] == [booking["id"]]
    assert await harness.event_types() == [
        "booking.InterviewRequested",
        "booking.InterviewScheduled",
        "booking.FacilityAcceptanceRecorded",
        "booking.BookingConfirmed",
    ]


async def test_refusals_say_why(harness: Harness) -> None:
    facility = await harness.register(
        KAKEGAWA, closed_days=["2027-06-18"], places_by_weekday={"2": {"15": 0}}
    )
    child = await harness.certify(KAKEGAWA)
    baby = await harness.certify(KAKEGAWA, birth=date(2027, 1, 5))  # 6 months on 2027-07-04
    stranger = await harness.certify(KAKEGAWA)
    for c in (child, baby):
        await harness.accept(KAKEGAWA, facility, c)

    async def refusal(c, day, start, end):  # type: ignore[no-untyped-def]
        response = await harness.book(c, facility, day, start, end)
        return response.status_code, response.json()["detail"]

    assert await refusal(child, date(2027, 6, 18), time(10), time(11)) == (
        422,
        "facility closed on 2027-06-18",
    )
    assert await refusal(child, date(2027, 7, 19), time(10), time(11)) == (
        422,
        "facility closed on 2027-07-19",  # 海の日
    )
    status, detail = await refusal(baby, WEDNESDAY, time(10), time(11))
    assert (status, detail.split(" (")[0]) == (422, "child is not yet 6 months old on 2027-06-09")
    assert (await refusal(child, WEDNESDAY, time(10), time(11, 30)))[0] == 422  # whole hours
    assert await refusal(child, WEDNESDAY, time(15), time(16)) == (409, "no free place 15:00–16:00")
    status, detail = await refusal(stranger, WEDNESDAY, time(10), time(11))
    assert status == 422
    assert "not accepted" in detail

    assert (
        await harness.book(child, facility, date(2027, 6, 1), time(8), time(16))
    ).status_code == 201
    assert await refusal(child, WEDNESDAY, time(9), time(12)) == (
        409,
        "quota exceeded: 120 minutes remain",
    )
    assert (await harness.book(child, facility, WEDNESDAY, time(9), time(10))).status_code == 201
    status, detail = await refusal(child, WEDNESDAY, time(9), time(10))
    assert status == 409
    assert "already has a booking" in detail

    # Schema errors are 422 too, never a 500.
    bad = await harness.client.post(
        "/v1/bookings", json={"facility_id": "nope"}, headers=auth(child.principal)
    )
    assert bad.status_code == 422
    bad_month = await harness.client.get(
        f"/v1/children/{child.child_id}/quota",
        params={"month": "2027-13"},
        headers=auth(child.principal),
    )
    assert bad_month.status_code == 422
    assert "YYYY-MM" in bad_month.json()["detail"]


async def test_another_tenant_sees_nothing(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    booking = (await harness.book(child, facility, WEDNESDAY, time(10), time(11))).json()

    chiyoda_officer = auth(officer(CHIYODA))
    other_parent = auth(guardian(KAKEGAWA, uuid.uuid4()))
    other_staff = auth(staff(KAKEGAWA, uuid.uuid4()))
    for headers in (chiyoda_officer, other_parent, other_staff):
        assert (
            await harness.client.get(f"/v1/bookings/{booking['id']}", headers=headers)
        ).status_code == 404
        assert (
            await harness.client.post(
                f"/v1/bookings/{booking['id']}/cancel", json={"reason": "x"}, headers=headers
            )
        ).status_code == 404
        assert (await harness.client.get("/v1/bookings", headers=headers)).json() == []
    for headers in (chiyoda_officer, other_parent, other_staff):
        response = await harness.client.get(f"/v1/children/{child.child_id}/quota", headers=headers)
        assert response.status_code == 404
    # Chiyoda does not allow 広域利用: its guardians do not even see Kakegawa's facilities.
    chiyoda_parent = auth(guardian(CHIYODA, uuid.uuid4()))
    assert (
        await harness.client.get(f"/v1/facilities/{facility}", headers=chiyoda_parent)
    ).status_code == 404
    assert (
        await harness.client.get(f"/v1/bookings/{booking['id']}", headers=auth(officer(KAKEGAWA)))
    ).status_code == 200


async def test_a_full_cell_refuses_the_whole_booking_and_takes_nothing(harness: Harness) -> None:
    """A booking over several cells takes all of them or none: a full cell (10:30) after a free
    one, or a cell with no places at all (12:00) after a free one (11:30), leaves the free one
    untouched, holds no minutes, writes no booking and no event."""
    facility = await harness.register(
        CHIYODA, places_per_slot=1, places_by_weekday={"2": {"12": 0}}
    )
    first = await harness.certify(CHIYODA)
    second = await harness.certify(CHIYODA)
    for c in (first, second):
        await harness.accept(CHIYODA, facility, c)
    booked = await harness.book(first, facility, WEDNESDAY, time(10, 30), time(11, 30))
    assert booked.status_code == 201, booked.text

    full = await harness.book(second, facility, WEDNESDAY, time(10), time(11))
    assert (full.status_code, full.json()["detail"]) == (409, "no free place 10:30–11:00")
    no_places = await harness.book(second, facility, WEDNESDAY, time(11, 30), time(12, 30))
    assert (no_places.status_code, no_places.json()["detail"]) == (
        409,
        "no free place 12:00–12:30",
    )

    taken = await harness.scalar(
        "SELECT coalesce(sum(taken), 0) FROM facility_slots WHERE facility_id = :f",
        f=facility,
    )
    assert taken == 2
    assert (
        await harness.scalar("SELECT count(*) FROM bookings WHERE child_id = :c", c=second.child_id)
        == 0
    )
    assert (await harness.quota(second, "2027-06"))["held_minutes"] == 0
    assert await harness.event_types() == [
        "booking.InterviewRequested",
        "booking.InterviewScheduled",
        "booking.FacilityAcceptanceRecorded",
        "booking.InterviewRequested",
        "booking.InterviewScheduled",
        "booking.FacilityAcceptanceRecorded",
        "booking.BookingConfirmed",
    ]
    # The cells the refused bookings did not get are still free.
    again = await harness.book(second, facility, WEDNESDAY, time(9), time(10))
    assert again.status_code == 201, again.text


async def test_the_grid_shows_the_cells_bookings_take_and_what_is_taken(harness: Harness) -> None:
    # Issue 13, item 1: at a facility opening at 08:30 the grid showed 08:30–09:30, … and
    # "0 taken" after a 09:00–11:00 booking. Both municipalities' units: 60 and 30 minutes.
    hours = {str(d): {"open": "08:30", "close": "16:45"} for d in range(5)}
    for municipality, step, first in ((KAKEGAWA, 60, "09:00"), (CHIYODA, 30, "08:30")):
        facility = await harness.register(municipality, places_per_slot=2, opening_hours=hours)
        child = await harness.certify(municipality)
        await harness.accept(municipality, facility, child)
        booked = await harness.book(child, facility, WEDNESDAY, time(9), time(11))
        assert booked.status_code == 201, booked.text
        grid = await harness.client.get(
            f"/v1/facilities/{facility}/availability",
            params={"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat()},
            headers=auth(child.principal),
        )
        assert grid.status_code == 200, grid.text
        assert grid.json()["cell_minutes"] == step
        cells = grid.json()["days"][0]["cells"]
        assert cells[0]["start"] == first
        assert cells[-1]["end"] == ("16:30" if step == 30 else "16:00")
        taken = {c["start"]: c["taken"] for c in cells}
        busy = ["09:00", "10:00"] if step == 60 else ["09:00", "09:30", "10:00", "10:30"]
        assert [t for t, n in taken.items() if n] == busy
        assert all(taken[t] == 1 for t in busy)
        # Every cell the grid shows can be booked on its own (no 08:30–09:30 ghost cells).
        for cell in cells:
            start, end = time.fromisoformat(cell["start"]), time.fromisoformat(cell["end"])
            assert (start.hour * 60 + start.minute) % step == 0
            assert end > start


async def test_staff_lists_and_booking_events_name_the_child(harness: Harness) -> None:
    # Issue 13, item 2: staff saw children as ids; mails could not say which child. Item 3:
    # 予約完了 gives the cancellation deadline and the facility's phone.
    facility = await harness.register(KAKEGAWA, phone="0537-00-1234")
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    booked = await harness.book(child, facility, WEDNESDAY, time(10), time(11))
    assert booked.status_code == 201, booked.text
    name = f"テスト {child.child_id.hex[:4]}"
    listed = await harness.client.get("/v1/bookings", headers=auth(staff(KAKEGAWA, facility)))
    assert [b["child_name"] for b in listed.json()] == [name]
    interviews = await harness.client.get("/v1/interviews", headers=auth(staff(KAKEGAWA, facility)))
    assert [i["child_name"] for i in interviews.json()] == [name]
    shown = await harness.client.get(f"/v1/facilities/{facility}", headers=auth(child.principal))
    assert shown.json()["phone"] == "0537-00-1234"
    async with harness.ctx.sessions() as session:
        payloads = (
            (
                await session.execute(
                    sa.text(
                        "SELECT convert_from(value, 'UTF8')::jsonb -> 'payload' FROM outbox "
                        "WHERE event_type = 'booking.BookingConfirmed'"
                    )
                )
            )
            .scalars()
            .all()
        )
    [payload] = payloads
    assert payload["child_name"] == name
    assert payload["facility_phone"] == "0537-00-1234"
    # Kakegawa: noon one business day before (Tuesday 2027-06-08 12:00).
    assert payload["cancellation_deadline"].startswith("2027-06-08T12:00:00")

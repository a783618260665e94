"""初回面談: requested by the guardian, scheduled by the facility, then acceptance opens booking."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, Harness, auth, guardian, officer, staff


async def test_interview_then_acceptance_then_booking(harness: Harness) -> None:
    facility = await harness.register(
        KAKEGAWA, comments="面談は30分ほどです", interview_slots=["2027-06-07T10:00:00+09:00"]
    )
    child = await harness.certify(KAKEGAWA)
    parent = auth(child.principal)
    body = {
        "facility_id": str(facility),
        "child_id": str(child.child_id),
        "proposed_times": ["2027-06-08T10:00:00+09:00"],
    }

    requested = await harness.client.post("/v1/interviews", json=body, headers=parent)
    assert requested.status_code == 201, requested.text
    interview = requested.json()
    assert (interview["status"], interview["facility_comments"]) == (
        "requested",
        "面談は30分ほどです",
    )
    assert interview["offered_times"] == ["2027-06-07T10:00:00+09:00"]
    again = await harness.client.post("/v1/interviews", json=body, headers=parent)
    assert again.status_code == 409
    not_yet = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert not_yet.status_code == 422

    facility_staff = auth(staff(KAKEGAWA, facility))
    on_a_holiday = await harness.client.post(
        f"/v1/interviews/{interview['id']}/schedule",
        json={"starts_at": "2027-07-19T10:00:00+09:00"},
        headers=facility_staff,
    )
    assert on_a_holiday.json()["detail"] == "facility closed on 2027-07-19"
    scheduled = await harness.client.post(
        f"/v1/interviews/{interview['id']}/schedule",
        json={"starts_at": "2027-06-08T10:00:00+09:00"},
        headers=facility_staff,
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["starts_at"] == "2027-06-08T10:00:00+09:00"
    history = await harness.client.get(
        "/v1/facilities", params={"used_before": "true"}, headers=parent
    )
    assert [f["id"] for f in history.json()] == [str(facility)]  # 面談・利用歴から探す
    someone_else = auth(guardian(KAKEGAWA, uuid.uuid4()))
    assert (await harness.client.get("/v1/interviews", headers=someone_else)).json() == []
    assert len((await harness.client.get("/v1/interviews", headers=parent)).json()) == 1

    listed = await harness.client.get(
        "/v1/bookings",
        params={"kind": "interview", "from": "2027-06-01", "to": "2027-06-30"},
        headers=facility_staff,
    )
    assert [(b["kind"], b["status"], b["starts_at"]) for b in listed.json()] == [
        ("interview", "scheduled", "2027-06-08T10:00:00+09:00")
    ]
    await harness.accept(KAKEGAWA, facility, child)
    booked = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert booked.status_code == 201
    assert await harness.event_types() == [
        "booking.InterviewScheduled",
        "booking.FacilityAcceptanceRecorded",
        "booking.BookingConfirmed",
    ]


async def test_listing_interviews_is_one_query_whatever_their_number(harness: Harness) -> None:
    officer_headers = auth(officer(KAKEGAWA))
    for _ in range(3):
        facility = await harness.register(KAKEGAWA, comments="どうぞ")
        child = await harness.certify(KAKEGAWA)
        requested = await harness.client.post(
            "/v1/interviews",
            json={"facility_id": str(facility), "child_id": str(child.child_id)},
            headers=auth(child.principal),
        )
        assert requested.status_code == 201, requested.text
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = harness.ctx.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        listed = await harness.client.get("/v1/interviews", headers=officer_headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert listed.status_code == 200, listed.text
    assert [i["facility_comments"] for i in listed.json()] == ["どうぞ"] * 3
    assert len([s for s in statements if "interviews" in s]) == 1
    assert not [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "interviews" not in s
    ]

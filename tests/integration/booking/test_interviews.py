"""初回面談: requested by the guardian, scheduled by the facility, then acceptance opens booking."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

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
from tsuen_common.events.eligibility import SpecialNeeds
from tsuen_common.timeutil import JST


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
    too_early = await harness.client.put(
        f"/v1/facilities/{facility}/acceptances/{child.child_id}",
        json={"accepted": True},
        headers=facility_staff,
    )
    assert too_early.status_code == 409
    assert "初回面談" in too_early.json()["message_ja"]
    [before] = (await harness.client.get("/v1/interviews", headers=parent)).json()
    assert before["child_accepted"] is None  # no decision yet
    await harness.accept(KAKEGAWA, facility, child)
    [held] = (await harness.client.get("/v1/interviews", headers=parent)).json()
    assert (held["status"], held["health_check"]) == ("held", "no_concerns")
    assert held["child_accepted"] is True  # the staff's requests page shows the decision
    moved = await harness.client.post(
        f"/v1/interviews/{interview['id']}/schedule",
        json={"starts_at": "2027-06-10T10:00:00+09:00"},
        headers=facility_staff,
    )
    assert moved.status_code == 409
    booked = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert booked.status_code == 201
    assert await harness.event_types() == [
        "booking.InterviewRequested",  # the facility is told by mail (issue 17)
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


async def test_an_interview_can_be_moved_cancelled_and_asked_for_again(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    parent = auth(child.principal)
    facility_staff = auth(staff(KAKEGAWA, facility))
    body = {
        "facility_id": str(facility),
        "child_id": str(child.child_id),
        "proposed_times": ["2027-06-08T10:00:00+09:00"],
    }
    interview = (await harness.client.post("/v1/interviews", json=body, headers=parent)).json()
    url = f"/v1/interviews/{interview['id']}"
    for moved_to in ("2027-06-08T10:00:00+09:00", "2027-06-10T14:00:00+09:00"):
        scheduled = await harness.client.post(
            f"{url}/schedule", json={"starts_at": moved_to}, headers=facility_staff
        )
        assert scheduled.json()["starts_at"] == moved_to  # the second call moves it

    stranger = auth(guardian(KAKEGAWA, uuid.uuid4()))
    refused = await harness.client.post(f"{url}/cancel", json={"reason": "体調"}, headers=stranger)
    assert refused.status_code == 404
    no_reason = await harness.client.post(f"{url}/cancel", json={"reason": ""}, headers=parent)
    assert no_reason.status_code == 422
    cancelled = await harness.client.post(f"{url}/cancel", json={"reason": "体調"}, headers=parent)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == (
        "cancelled",
        "guardian",
    )
    twice = await harness.client.post(f"{url}/cancel", json={"reason": "体調"}, headers=parent)
    assert twice.status_code == 409
    too_late = await harness.client.post(
        f"{url}/schedule", json={"starts_at": "2027-06-11T10:00:00+09:00"}, headers=facility_staff
    )
    assert too_late.status_code == 409
    upcoming = await harness.client.get(
        "/v1/bookings", params={"kind": "interview", "upcoming": "true"}, headers=facility_staff
    )
    assert upcoming.json() == []
    assert await harness.event_types() == [
        "booking.InterviewRequested",
        "booking.InterviewScheduled",
        "booking.InterviewScheduled",
        "booking.InterviewCancelled",
    ]

    # Asked for again: the same interview, open again, nothing left of the cancellation.
    again = await harness.client.post("/v1/interviews", json=body, headers=parent)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == interview["id"]
    assert (again.json()["status"], again.json()["starts_at"], again.json()["cancel_reason"]) == (
        "requested",
        None,
        None,
    )
    assert (
        await harness.client.post("/v1/interviews", json=body, headers=parent)
    ).status_code == 409


async def test_an_interview_that_took_place_cannot_be_cancelled(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    body = {
        "facility_id": str(facility),
        "child_id": str(child.child_id),
        "proposed_times": ["2027-06-08T10:00:00+09:00"],
    }
    interview = (
        await harness.client.post("/v1/interviews", json=body, headers=auth(child.principal))
    ).json()
    facility_staff = auth(staff(KAKEGAWA, facility))
    await harness.client.post(
        f"/v1/interviews/{interview['id']}/schedule",
        json={"starts_at": "2027-06-08T10:00:00+09:00"},
        headers=facility_staff,
    )
    harness.clock.now = datetime(2027, 6, 8, 10, 30, tzinfo=JST)
    late = await harness.client.post(
        f"/v1/interviews/{interview['id']}/cancel",
        json={"reason": "間違い"},
        headers=facility_staff,
    )
    assert late.status_code == 409
    assert "took place at 2027-06-08 10:00" in late.json()["detail"]


async def test_an_interview_asked_for_again_belongs_to_the_childs_guardian_of_now(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    body = {
        "facility_id": str(facility),
        "child_id": str(child.child_id),
        "proposed_times": ["2027-06-08T10:00:00+09:00"],
    }
    first = await harness.client.post("/v1/interviews", json=body, headers=auth(child.principal))
    interview = first.json()
    await harness.client.post(
        f"/v1/interviews/{interview['id']}/cancel",
        json={"reason": "体調"},
        headers=auth(child.principal),
    )
    # The child's certification now names another guardian account (as booking's projection
    # of eligibility's events would record it).
    new_guardian = uuid.uuid4()
    async with harness.ctx.sessions() as session, session.begin():
        await session.execute(
            sa.text("UPDATE children SET guardian_id = :g WHERE child_id = :c"),
            {"g": new_guardian, "c": child.child_id},
        )
    now_theirs = auth(guardian(KAKEGAWA, new_guardian))
    again = await harness.client.post("/v1/interviews", json=body, headers=now_theirs)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == interview["id"]
    listed = await harness.client.get("/v1/interviews", headers=now_theirs)
    assert [i["id"] for i in listed.json()] == [interview["id"]]
    assert (await harness.client.get("/v1/interviews", headers=auth(child.principal))).json() == []


async def test_staff_cannot_accept_a_child_who_never_had_an_interview_there(
    harness: Harness,
) -> None:
    # Issue 12, item 5: staff could accept any child id and then spend its hours.
    facility = await harness.register(KAKEGAWA)
    stranger = await harness.certify(KAKEGAWA)
    facility_staff = auth(staff(KAKEGAWA, facility))
    url = f"/v1/facilities/{facility}/acceptances/{stranger.child_id}"
    refused = await harness.client.put(url, json={"accepted": True}, headers=facility_staff)
    assert refused.status_code == 409
    overridden = await harness.client.put(
        url, json={"accepted": True, "override_reason": "面談済み"}, headers=facility_staff
    )
    assert overridden.status_code == 422
    assert "市区町村の職員" in overridden.json()["message_ja"]
    proxy = await harness.client.post(
        "/v1/bookings",
        json={
            "facility_id": str(facility),
            "child_id": str(stranger.child_id),
            "use_date": "2027-06-09",
            "start": "10:00",
            "end": "11:00",
        },
        headers=facility_staff,
    )
    assert proxy.status_code == 422, proxy.text
    # Declining grants nothing, so it needs no interview.
    declined = await harness.client.put(url, json={"accepted": False}, headers=facility_staff)
    assert declined.status_code == 200


async def test_an_officer_may_accept_without_an_interview_with_a_reason_kept(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    url = f"/v1/facilities/{facility}/acceptances/{child.child_id}"
    accepted = await harness.client.put(
        url,
        json={"accepted": True, "override_reason": "制度開始前に紙で面談を実施済み"},
        headers=auth(officer(KAKEGAWA)),
    )
    assert accepted.status_code == 200, accepted.text
    async with harness.ctx.sessions() as session:
        row = (
            await session.execute(
                sa.text(
                    "SELECT recorded_by, override_reason FROM acceptances "
                    "WHERE facility_id = :f AND child_id = :c"
                ),
                {"f": facility, "c": child.child_id},
            )
        ).one()
    assert tuple(row) == (f"officer-{KAKEGAWA}", "制度開始前に紙で面談を実施済み")
    booked = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert booked.status_code == 201, booked.text


async def test_a_held_interview_cannot_be_cancelled_or_held_twice(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    held = await harness.hold_interview(KAKEGAWA, facility, child)
    again = await harness.client.post(
        f"/v1/interviews/{held['id']}/held",
        json={"health_check": "follow_up"},
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert again.status_code == 409
    cancelled = await harness.client.post(
        f"/v1/interviews/{held['id']}/cancel",
        json={"reason": "都合により"},
        headers=auth(child.principal),
    )
    assert cancelled.status_code == 409
    parent_records = await harness.client.post(
        f"/v1/interviews/{held['id']}/held",
        json={"health_check": "no_concerns"},
        headers=auth(child.principal),
    )
    assert parent_records.status_code == 403


async def _held(harness: Harness, municipality: str, facility: uuid.UUID, child: Any) -> None:
    requested = await harness.client.post(
        "/v1/interviews",
        json={"facility_id": str(facility), "child_id": str(child.child_id)},
        headers=auth(child.principal),
    )
    assert requested.status_code == 201, requested.text
    interview = requested.json()["id"]
    facility_staff = auth(staff(municipality, facility))
    for step, body in (
        ("schedule", {"starts_at": "2027-06-08T10:00:00+09:00"}),
        ("held", {"health_check": "no_concerns"}),
    ):
        done = await harness.client.post(
            f"/v1/interviews/{interview}/{step}", json=body, headers=facility_staff
        )
        assert done.status_code == 200, done.text


async def test_the_facility_reads_the_considerations_and_consults_before_medical_care(
    harness: Harness,
) -> None:
    # Issue 17.7: 配慮事項 reach the facility before it accepts; Chiyoda asks for a prior
    # consultation (事前相談) before a child needing 医療的ケア uses the scheme.
    facility = await harness.register(CHIYODA)
    needs = SpecialNeeds(
        content="食後に吸入が必要",
        diagnosis="気管支喘息",
        required_care="吸入",
        doctor_instructions="発作時は保護者に連絡",
        medical_care=True,
    )
    child = await harness.certify(CHIYODA, considerations=needs)
    await _held(harness, CHIYODA, facility, child)
    facility_staff = auth(staff(CHIYODA, facility))
    [seen] = (await harness.client.get("/v1/interviews", headers=facility_staff)).json()
    assert seen["child_considerations"] == needs.model_dump(mode="json")

    url = f"/v1/facilities/{facility}/acceptances/{child.child_id}"
    refused = await harness.client.put(url, json={"accepted": True}, headers=facility_staff)
    assert refused.status_code == 409
    assert "事前相談" in refused.json()["message_ja"]
    not_yet = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert not_yet.status_code == 422
    accepted = await harness.client.put(
        url, json={"accepted": True, "medical_care_consulted": True}, headers=facility_staff
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["medical_care_consulted"] is True
    booked = await harness.book(child, facility, date(2027, 6, 9), time(10), time(11))
    assert booked.status_code == 201, booked.text


async def test_without_the_policy_or_without_medical_care_no_consultation_is_asked(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA)  # Kakegawa's page asks for no consultation
    cared = await harness.certify(KAKEGAWA, considerations=SpecialNeeds(medical_care=True))
    await _held(harness, KAKEGAWA, facility, cared)
    url = f"/v1/facilities/{facility}/acceptances/{cared.child_id}"
    accepted = await harness.client.put(
        url, json={"accepted": True}, headers=auth(staff(KAKEGAWA, facility))
    )
    assert accepted.status_code == 200, accepted.text

    chiyoda = await harness.register(CHIYODA)
    plain = await harness.certify(CHIYODA)
    await _held(harness, CHIYODA, chiyoda, plain)
    url = f"/v1/facilities/{chiyoda}/acceptances/{plain.child_id}"
    accepted = await harness.client.put(
        url, json={"accepted": True}, headers=auth(staff(CHIYODA, chiyoda))
    )
    assert accepted.status_code == 200, accepted.text

"""Cancellation: free before the municipality's deadline, consumed after; single and bulk."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tests.integration.booking.support import CHIYODA, KAKEGAWA, Harness, auth, officer, staff
from tsuen_booking.service_layer.events import EventHandlers
from tsuen_booking.service_layer.quota import reconcile
from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.timeutil import JST

WEDNESDAY = date(2027, 6, 9)


async def test_deadlines_are_given_in_japan_time(harness: Harness) -> None:
    chiyoda = await harness.register(CHIYODA)
    kakegawa = await harness.register(KAKEGAWA)
    child = await harness.certify(CHIYODA)
    await harness.accept(CHIYODA, chiyoda, child)
    booking = (await harness.book(child, chiyoda, date(2027, 6, 14), time(10), time(11))).json()

    by_booking = await harness.client.get(
        f"/v1/bookings/{booking['id']}/cancellation-deadline", headers=auth(child.principal)
    )
    assert by_booking.json() == {"deadline": "2027-06-11T17:00:00+09:00"}  # Monday → Friday 17:00
    preview = await harness.client.get(
        f"/v1/municipalities/{KAKEGAWA}/cancellation-deadline",
        params={"facility_id": str(kakegawa), "start": "2027-06-14T10:00:00+09:00"},
        headers=auth(staff(KAKEGAWA, kakegawa)),
    )
    assert preview.json() == {"deadline": "2027-06-11T12:00:00+09:00"}
    wrong_town = await harness.client.get(
        f"/v1/municipalities/{CHIYODA}/cancellation-deadline",
        params={"facility_id": str(kakegawa), "start": "2027-06-14T10:00:00"},
        headers=auth(child.principal),
    )
    assert wrong_town.status_code == 404


async def test_timely_cancellation_releases_and_late_cancellation_consumes(
    harness: Harness,
) -> None:
    facility = await harness.register(CHIYODA)
    child = await harness.certify(CHIYODA)
    await harness.accept(CHIYODA, facility, child)

    first = (await harness.book(child, facility, WEDNESDAY, time(10), time(11, 30))).json()
    harness.clock.now = datetime(2027, 6, 8, 17, 0, tzinfo=JST)  # the deadline itself
    cancelled = await harness.client.post(
        f"/v1/bookings/{first['id']}/cancel",
        json={"reason": "家庭の都合"},
        headers=auth(child.principal),
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["consumed_minutes"]) == ("cancelled", 0)
    assert (await harness.quota(child, "2027-06"))["remaining_minutes"] == 600

    second = (await harness.book(child, facility, WEDNESDAY, time(10), time(11, 30))).json()
    harness.clock.now = datetime(2027, 6, 8, 17, 0, 1, tzinfo=JST)  # one second late
    late = await harness.client.post(
        f"/v1/bookings/{second['id']}/cancel",
        json={"reason": "体調不良"},
        headers=auth(child.principal),
    )
    assert late.json()["consumed_minutes"] == 90
    quota = await harness.quota(child, "2027-06")
    assert (quota["held_minutes"], quota["consumed_minutes"], quota["remaining_minutes"]) == (
        0,
        90,
        510,
    )
    again = await harness.client.post(
        f"/v1/bookings/{second['id']}/cancel", json={"reason": "x"}, headers=auth(child.principal)
    )
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
    # The places came back both times.
    assert await harness.scalar("SELECT max(taken) FROM facility_slots") == 0
    assert (await reconcile(harness.ctx))[1] == []


async def test_bulk_cancellation_is_all_or_nothing_with_one_bulk_id(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    ids = [
        (await harness.book(child, facility, date(2027, 6, d), time(10), time(12))).json()["id"]
        for d in (14, 15, 16)
    ]

    refused = await harness.client.post(
        "/v1/bookings/bulk-cancel",
        json={"booking_ids": [*ids, "00000000-0000-0000-0000-000000000000"], "reason": "旅行"},
        headers=auth(child.principal),
    )
    assert refused.status_code == 404
    assert (await harness.quota(child, "2027-06"))["held_minutes"] == 360

    response = await harness.client.post(
        "/v1/bookings/bulk-cancel",
        json={"booking_ids": ids, "reason": "旅行"},
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {b["status"] for b in body["bookings"]} == {"cancelled"}
    assert {b["bulk_id"] for b in body["bookings"]} == {body["bulk_id"]}
    assert {b["cancelled_by"] for b in body["bookings"]} == {"facility"}
    assert (await harness.quota(child, "2027-06"))["remaining_minutes"] == 600
    assert (await harness.event_types()).count("booking.BookingCancelled") == 3


async def test_a_late_pickup_is_charged_after_a_late_cancellation_of_a_checked_in_booking(
    harness: Harness,
) -> None:
    # The guardian cancels after the child has arrived, before booking heard of the check-in:
    # the cancellation consumes the booked hour; the late pickup at check-out is still charged.
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    full_day = await harness.book(child, facility, date(2027, 6, 10), time(8), time(16))
    assert full_day.status_code == 201, full_day.text  # 480 of the 600 minutes held
    booking = (await harness.book(child, facility, WEDNESDAY, time(10), time(11))).json()
    harness.clock.now = datetime(2027, 6, 9, 10, 30, tzinfo=JST)  # after the start
    cancelled = await harness.client.post(
        f"/v1/bookings/{booking['id']}/cancel",
        json={"reason": "体調不良"},
        headers=auth(child.principal),
    )
    assert cancelled.json()["consumed_minutes"] == 60

    ends_at = datetime(2027, 6, 9, 11, 0, tzinfo=JST)
    checked_out = CheckedOut(
        booking_id=uuid.UUID(booking["id"]),
        child_id=child.child_id,
        facility_id=facility,
        checked_in_at=ends_at - timedelta(minutes=60),
        checked_out_at=ends_at + timedelta(minutes=70),
        booked_end=ends_at,
        late_minutes=70,
        penalty_minutes=120,
    )
    envelope = EventEnvelope.wrap(checked_out, municipality=KAKEGAWA, producer="attendance")
    for _ in range(2):  # the same check-out twice: charged once
        async with harness.ctx.sessions() as session, session.begin():
            await EventHandlers(harness.ctx).checked_out(session, envelope, checked_out)

    # 60 minutes were left: 60 of the penalty in the cap, 60 over it (charged by the facility).
    assert await harness.quota(child, "2027-06") == {
        "cap_minutes": 600,
        "topup_minutes": 0,
        "held_minutes": 480,
        "consumed_minutes": 120,
        "remaining_minutes": 0,
        "over_cap_minutes": 60,
    }
    row = (
        await harness.client.get(f"/v1/bookings/{booking['id']}", headers=auth(child.principal))
    ).json()
    assert (row["status"], row["consumed_minutes"]) == ("cancelled", 120)
    assert (row["penalty_minutes"], row["over_cap_minutes"]) == (120, 60)
    assert (await harness.event_types()).count("booking.QuotaOverCapCharged") == 1
    assert (await reconcile(harness.ctx))[1] == []


async def test_the_facility_s_own_cancellation_never_costs_the_child_hours(
    harness: Harness,
) -> None:
    # Issue 17, item 1: a closure announced after the deadline (even on the day) costs nothing.
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    first = (await harness.book(child, facility, WEDNESDAY, time(10), time(11))).json()
    second = (await harness.book(child, facility, WEDNESDAY, time(13), time(14))).json()
    harness.clock.now = datetime(2027, 6, 9, 8, 0, tzinfo=JST)  # the morning of the use
    staff_headers = auth(staff(KAKEGAWA, facility))
    closed = await harness.client.post(
        f"/v1/bookings/{first['id']}/cancel",
        json={"reason": "台風による臨時休園", "cause": "facility"},
        headers=staff_headers,
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["consumed_minutes"], closed.json()["cancel_cause"]) == (0, "facility")
    # The same late hour, entered as the family's cancellation, is consumed.
    late = await harness.client.post(
        f"/v1/bookings/{second['id']}/cancel", json={"reason": "体調不良"}, headers=staff_headers
    )
    assert late.json()["consumed_minutes"] == 60
    # A guardian cannot claim the facility caused their own cancellation.
    third = (await harness.book(child, facility, date(2027, 6, 16), time(10), time(11))).json()
    claimed = await harness.client.post(
        f"/v1/bookings/{third['id']}/cancel",
        json={"reason": "x", "cause": "facility"},
        headers=auth(child.principal),
    )
    assert claimed.status_code == 422
    quota = await harness.quota(child, "2027-06")
    assert quota["consumed_minutes"] == 60
    assert (await reconcile(harness.ctx))[1] == []


async def test_a_phoned_cancellation_counts_at_the_time_of_the_call(harness: Harness) -> None:
    # Issue 17, item 2: Kakegawa's deadline for Wednesday is Tuesday 12:00; the guardian phoned
    # at 11:50, the facility typed it in at 15:00.
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    booking = (await harness.book(child, facility, WEDNESDAY, time(10), time(12))).json()
    harness.clock.now = datetime(2027, 6, 8, 15, 0, tzinfo=JST)
    url = f"/v1/bookings/{booking['id']}/cancel"
    staff_headers = auth(staff(KAKEGAWA, facility))
    future = await harness.client.post(
        url,
        json={"reason": "電話連絡: 発熱", "called_at": "2027-06-08T15:30:00+09:00"},
        headers=staff_headers,
    )
    assert future.status_code == 422
    assert "現在より後" in future.json()["message_ja"]
    phoned = await harness.client.post(
        url,
        json={"reason": "電話連絡: 発熱", "called_at": "2027-06-08T11:50:00"},  # Japan time
        headers=staff_headers,
    )
    assert phoned.status_code == 200, phoned.text
    body = phoned.json()
    assert body["consumed_minutes"] == 0
    assert body["called_at"] == "2027-06-08T11:50:00+09:00"
    async with harness.ctx.sessions() as session:
        recorded_by = await session.scalar(
            sa.text("SELECT cancel_recorded_by FROM bookings WHERE id = :id"),
            {"id": uuid.UUID(booking["id"])},
        )
    assert recorded_by == f"staff-{facility}"
    assert (await harness.quota(child, "2027-06"))["held_minutes"] == 0


async def test_a_closure_shows_who_it_affects_then_cancels_them_at_no_cost(
    harness: Harness,
) -> None:
    # Issue 16 (closures) and 17 item 1: 台風 closes Wednesday, decided Wednesday morning.
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    children = [await harness.certify(KAKEGAWA) for _ in range(2)]
    booked = []
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)
        booked.append((await harness.book(child, facility, WEDNESDAY, time(10), time(11))).json())
    other_day = (
        await harness.book(children[0], facility, date(2027, 6, 10), time(10), time(11))
    ).json()
    harness.clock.now = datetime(2027, 6, 9, 7, 30, tzinfo=JST)
    staff_headers = auth(staff(KAKEGAWA, facility))
    span = {"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat()}

    preview = await harness.client.get(
        f"/v1/facilities/{facility}/closures/preview", params=span, headers=staff_headers
    )
    assert preview.status_code == 200, preview.text
    assert sorted(b["id"] for b in preview.json()["bookings"]) == sorted(b["id"] for b in booked)
    assert all(b["child_name"] for b in preview.json()["bookings"])
    assert (await harness.quota(children[0], "2027-06"))["held_minutes"] == 120  # nothing yet

    closed = await harness.client.post(
        f"/v1/facilities/{facility}/closures",
        json={**span, "reason": "台風"},
        headers=staff_headers,
    )
    assert closed.status_code == 200, closed.text
    cancelled = closed.json()["cancelled"]
    assert sorted(b["id"] for b in cancelled) == sorted(b["id"] for b in booked)
    assert {(b["consumed_minutes"], b["cancel_cause"]) for b in cancelled} == {(0, "facility")}
    for child in children:
        quota = await harness.quota(child, "2027-06")
        assert quota["consumed_minutes"] == 0
    assert (await harness.quota(children[0], "2027-06"))["held_minutes"] == 60  # Thursday's
    still = await harness.client.get(
        f"/v1/bookings/{other_day['id']}", headers=auth(children[0].principal)
    )
    assert still.json()["status"] == "confirmed"
    # The day is closed now: nobody can book it again.
    again = await harness.book(children[1], facility, WEDNESDAY, time(14), time(15))
    assert again.status_code == 422
    assert "closed" in again.json()["detail"]
    by_parent = await harness.client.get(
        f"/v1/facilities/{facility}/closures/preview",
        params=span,
        headers=auth(children[0].principal),
    )
    assert by_parent.status_code == 403
    assert (await reconcile(harness.ctx))[1] == []


async def test_the_officers_trail_names_what_staff_changed_in_their_municipality_only(
    harness: Harness,
) -> None:
    # Issue 16: every staff action that changes data is in a trail the officers can read —
    # here a booking made for a family (代理予約), a cancellation they phoned in, and a closure.
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    staff_headers = auth(staff(KAKEGAWA, facility))
    proxy = await harness.client.post(
        "/v1/bookings",
        json={
            "facility_id": str(facility),
            "child_id": str(child.child_id),
            "use_date": WEDNESDAY.isoformat(),
            "start": "10:00",
            "end": "11:00",
        },
        headers=staff_headers,
    )
    assert proxy.status_code == 201, proxy.text
    phoned = await harness.client.post(
        f"/v1/bookings/{proxy.json()['id']}/cancel",
        json={"reason": "電話連絡: 発熱", "called_at": "2027-05-20T08:30:00"},
        headers=staff_headers,
    )
    assert phoned.status_code == 200, phoned.text
    closed = await harness.client.post(
        f"/v1/facilities/{facility}/closures",
        json={"from": "2027-06-10", "to": "2027-06-10", "reason": "台風"},
        headers=staff_headers,
    )
    assert closed.status_code == 200, closed.text

    trail = await harness.client.get(
        f"/v1/municipalities/{KAKEGAWA}/staff-audit", headers=auth(officer(KAKEGAWA))
    )
    assert trail.status_code == 200, trail.text
    ours = {line["action"]: line for line in trail.json() if line["facility_id"] == str(facility)}
    assert set(ours) == {
        "interview.scheduled",
        "interview.held",
        "child.accepted",
        "booking.booked_for_guardian",
        "booking.cancelled_for_guardian",
        "facility.closed",
    }
    closure = ours["facility.closed"]
    cancelled = ours["booking.cancelled_for_guardian"]
    booked = ours["booking.booked_for_guardian"]
    assert closure["actor"] == f"staff-{facility}"
    assert closure["detail"] == {
        "days": ["2027-06-10"],
        "reason": "台風",
        "bookings_cancelled": 0,
    }
    assert cancelled["actor"] == f"staff-{facility}"
    assert cancelled["subject_id"] == proxy.json()["id"]
    called_at = datetime.fromisoformat(cancelled["detail"]["called_at"])
    assert called_at == datetime(2027, 5, 20, 8, 30, tzinfo=JST)
    assert booked["actor"] == str(facility)  # the hot path knows the facility, not the account
    assert ours["child.accepted"]["actor"] == f"staff-{facility}"
    assert ours["interview.held"]["detail"] == {"health_check": "no_concerns"}
    assert all(line["facility_name"] for line in ours.values())
    # Another municipality's officer, the facility's staff and a guardian cannot read it.
    for principal in (officer(CHIYODA), staff(KAKEGAWA, facility), child.principal):
        refused = await harness.client.get(
            f"/v1/municipalities/{KAKEGAWA}/staff-audit", headers=auth(principal)
        )
        assert refused.status_code == 403, principal.role

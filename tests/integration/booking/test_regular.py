"""定期利用: a weekly plan, approved by the facility, booked month by month like any booking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tests.integration.booking.support import KAKEGAWA, Child, Harness, auth, staff
from tsuen_common.timeutil import JST


async def test_a_regular_plan_books_its_month_and_skips_what_does_not_fit(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA, closed_days=["2027-06-16"])
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    facility_staff = auth(staff(KAKEGAWA, facility))

    applied = await harness.client.post(
        "/v1/regular-plans",
        json={
            "facility_id": str(facility),
            "child_id": str(child.child_id),
            "weekday": 2,  # Wednesdays
            "start": "09:00",
            "end": "12:00",
            "valid_from": "2027-06-01",
        },
        headers=auth(child.principal),
    )
    assert applied.status_code == 201, applied.text
    plan = applied.json()
    assert plan["status"] == "applied"
    month = {"month": "2027-06"}
    not_yet = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/generate", params=month, headers=facility_staff
    )
    assert not_yet.status_code == 409
    approved = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/approve", headers=facility_staff
    )
    assert approved.json()["status"] == "approved"
    # Approval books the booking horizon at once (issue 13): it is 20 May, the plan starts in
    # June, so June. Wednesdays 2, 9, 16, 23, 30: the 16th is closed; 3 × 3 h fit the 10 h, the
    # 30th does not.
    assert [b["date"] for b in approved.json()["generated"]] == [
        "2027-06-02",
        "2027-06-09",
        "2027-06-23",
    ]
    # One mail for the plan, listing the dates (not one 予約完了 per occurrence).
    [announced] = await harness.outbox_payloads("booking.RegularPlanBooked")
    assert announced["dates"] == ["2027-06-02", "2027-06-09", "2027-06-23"]
    assert announced["skipped"] == ["2027-06-16", "2027-06-30"]
    confirmed = await harness.outbox_payloads("booking.BookingConfirmed")
    assert {c["plan_id"] for c in confirmed} == {plan["id"]}
    [decided] = await harness.outbox_payloads("booking.RegularPlanDecided")
    assert decided["approved"] is True
    [applied_event] = await harness.outbox_payloads("booking.RegularPlanApplied")
    assert applied_event["facility_email"] == "en@example.jp"

    # The monthly run (or a hand-run generate) finds nothing new to book, and mails nothing.
    generated = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/generate", params=month, headers=facility_staff
    )
    assert generated.status_code == 200, generated.text
    body = generated.json()
    assert body["booked"] == []
    assert [s["reason"] for s in body["skipped"]].count("already generated") == 3
    assert {"date": "2027-06-16", "reason": "facility closed on 2027-06-16"} in body["skipped"]
    assert len(await harness.outbox_payloads("booking.RegularPlanBooked")) == 1
    regular = await harness.client.get(
        "/v1/bookings", params={"kind": "regular"}, headers=auth(child.principal)
    )
    assert len(regular.json()) == 3
    assert (await harness.quota(child, "2027-06"))["remaining_minutes"] == 60


async def test_ending_a_plan_cancels_its_later_bookings_under_the_cancellation_rule(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    other = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    facility_staff = auth(staff(KAKEGAWA, facility))
    plan = await _plan(
        harness,
        facility,
        child,
        weekday=2,  # Wednesdays
        end="11:00",
        valid_from="2027-06-01",
        by=facility_staff,  # 代理予約: approved at once, and booked at once
    )
    booked = [b["date"] for b in plan["generated"]]
    assert booked == ["2027-06-02", "2027-06-09", "2027-06-16", "2027-06-23", "2027-06-30"]
    assert (await harness.quota(child, "2027-06"))["held_minutes"] == 600
    end = f"/v1/regular-plans/{plan['id']}/end"

    # Tuesday 13:00: past Kakegawa's deadline for Wednesday the 9th (noon the business day
    # before), in time for the 16th onwards.
    harness.clock.now = datetime(2027, 6, 8, 13, 0, tzinfo=JST)
    past = await harness.client.post(
        end, json={"last_day": "2027-06-07", "reason": "転居"}, headers=auth(child.principal)
    )
    assert past.status_code == 422, past.text
    stranger = await harness.client.post(
        end, json={"last_day": "2027-06-08", "reason": "転居"}, headers=auth(other.principal)
    )
    assert stranger.status_code == 404

    ended = await harness.client.post(
        end, json={"last_day": "2027-06-08", "reason": "転居"}, headers=auth(child.principal)
    )
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["plan"]["valid_until"] == "2027-06-08"
    assert body["plan"]["status"] == "approved"  # it ran, and ran until the 8th
    assert [(b["use_date"], b["status"], b["consumed_minutes"]) for b in body["cancelled"]] == [
        ("2027-06-09", "cancelled", 120),  # late: consumed like any late cancellation
        ("2027-06-16", "cancelled", 0),
        ("2027-06-23", "cancelled", 0),
        ("2027-06-30", "cancelled", 0),
    ]
    assert {b["bulk_id"] for b in body["cancelled"]} == {body["bulk_id"]}
    quota = await harness.quota(child, "2027-06")
    assert (quota["held_minutes"], quota["remaining_minutes"]) == (120, 360)  # the 2nd; the 9th
    assert (await harness.event_types()).count("booking.BookingCancelled") == 4

    again = await harness.client.post(
        end, json={"last_day": "2027-06-20", "reason": "転居"}, headers=facility_staff
    )
    assert again.status_code == 200, again.text
    assert again.json()["plan"]["valid_until"] == "2027-06-08"  # a later day changes nothing
    assert again.json()["cancelled"] == []
    july = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/generate",
        params={"month": "2027-07"},
        headers=facility_staff,
    )
    assert july.json()["booked"] == []


async def test_ending_a_plan_not_yet_approved_withdraws_it(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    plan = await _plan(
        harness,
        facility,
        child,
        weekday=4,
        end="10:00",
        valid_from="2027-07-01",
        by=auth(child.principal),
    )
    ended = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/end",
        json={"last_day": "2027-05-20", "reason": "保育園に入園"},
        headers=auth(child.principal),
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["plan"]["status"] == "withdrawn"
    approve = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/approve", headers=auth(staff(KAKEGAWA, facility))
    )
    assert approve.status_code == 409


async def test_an_approved_plan_ended_before_its_first_day_is_withdrawn(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    plan = await _plan(
        harness,
        facility,
        child,
        weekday=1,
        end="10:00",
        valid_from="2027-07-01",
        by=auth(staff(KAKEGAWA, facility)),  # 代理予約: approved at once
    )
    assert plan["status"] == "approved"
    ended = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/end",
        json={"last_day": "2027-06-15", "reason": "転居"},
        headers=auth(child.principal),
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["plan"]["status"], ended.json()["cancelled"]) == ("withdrawn", [])


async def _plan(
    harness: Harness,
    facility: uuid.UUID,
    child: Child,
    *,
    weekday: int,
    end: str,
    valid_from: str,
    by: dict[str, str],
) -> dict[str, Any]:
    """A 定期利用 plan from 09:00 to ``end``, applied for (guardian) or registered (staff)."""
    response = await harness.client.post(
        "/v1/regular-plans",
        json={
            "facility_id": str(facility),
            "child_id": str(child.child_id),
            "weekday": weekday,
            "start": "09:00",
            "end": end,
            "valid_from": valid_from,
        },
        headers=by,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())

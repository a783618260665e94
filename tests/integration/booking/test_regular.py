"""定期利用: a weekly plan, approved by the facility, booked month by month like any booking."""

from __future__ import annotations

from tests.integration.booking.support import KAKEGAWA, Harness, auth, staff


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

    generated = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/generate", params=month, headers=facility_staff
    )
    assert generated.status_code == 200, generated.text
    body = generated.json()
    # Wednesdays 2, 9, 16, 23, 30: the 16th is closed; 3 × 3 h fit the 10 h, the 30th does not.
    assert [b["date"] for b in body["booked"]] == ["2027-06-02", "2027-06-09", "2027-06-23"]
    assert body["skipped"] == [
        {"date": "2027-06-16", "reason": "facility closed on 2027-06-16"},
        {"date": "2027-06-30", "reason": "quota exceeded: 60 minutes remain"},
    ]
    again = await harness.client.post(
        f"/v1/regular-plans/{plan['id']}/generate", params=month, headers=facility_staff
    )
    assert again.json()["booked"] == []
    assert [s["reason"] for s in again.json()["skipped"]].count("already generated") == 3
    regular = await harness.client.get(
        "/v1/bookings", params={"kind": "regular"}, headers=auth(child.principal)
    )
    assert len(regular.json()) == 3
    assert (await harness.quota(child, "2027-06"))["remaining_minutes"] == 60

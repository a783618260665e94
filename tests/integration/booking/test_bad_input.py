"""Dates beyond the years the service can mean (2000–2100) are a 422 with a message, never a 500."""

from __future__ import annotations

from datetime import date, time

from tests.integration.booking.support import KAKEGAWA, Harness, auth, staff


async def test_generating_a_month_of_year_zero_is_a_422(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    facility_staff = auth(staff(KAKEGAWA, facility))
    plan = (
        await harness.client.post(
            "/v1/regular-plans",
            json={
                "facility_id": str(facility),
                "child_id": str(child.child_id),
                "weekday": 2,
                "start": "09:00",
                "end": "12:00",
                "valid_from": "2027-06-01",
            },
            headers=facility_staff,
        )
    ).json()
    for month in ("0000-01", "9999-12"):
        response = await harness.client.post(
            f"/v1/regular-plans/{plan['id']}/generate",
            params={"month": month},
            headers=facility_staff,
        )
        assert response.status_code == 422, response.text
        assert "years 2000–2100" in response.json()["detail"]
    quota = await harness.client.get(
        f"/v1/children/{child.child_id}/quota",
        params={"month": "0000-01"},
        headers=auth(child.principal),
    )
    assert quota.status_code == 422, quota.text


async def test_a_deadline_preview_in_year_one_is_a_422(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    response = await harness.client.get(
        f"/v1/municipalities/{KAKEGAWA}/cancellation-deadline",
        params={"facility_id": str(facility), "start": "0001-01-01T09:00"},
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert response.status_code == 422, response.text
    assert "years 2000–2100" in response.text


async def test_availability_at_the_end_of_the_calendar_is_a_422(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    response = await harness.client.get(
        f"/v1/facilities/{facility}/availability",
        params={"from": "9999-12-31", "to": "9999-12-31"},
        headers=auth(child.principal),
    )
    assert response.status_code == 422, response.text
    assert "years 2000–2100" in response.text
    listed = await harness.client.get(
        "/v1/bookings", params={"from": "1999-12-31"}, headers=auth(child.principal)
    )
    assert listed.status_code == 422, listed.text


async def test_a_booking_body_with_a_far_date_is_a_422(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    response = await harness.book(child, facility, date(9999, 12, 31), time(10), time(11))
    assert response.status_code == 422, response.text
    assert "years 2000–2100" in response.text
    closed = await harness.client.patch(
        f"/v1/facilities/{facility}",
        json={"closed_days": ["0001-01-01"]},
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert closed.status_code == 422, closed.text

"""Dates beyond the years the service can mean (2000–2100) are a 422 with a message, never a 500."""

from __future__ import annotations

import json
from datetime import date, time

from tests.integration.booking.support import (
    KAKEGAWA,
    Harness,
    auth,
    facility_body,
    officer,
    staff,
)


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


async def test_numbers_beyond_a_postgresql_integer_are_a_422(harness: Harness) -> None:
    # They reached the INSERT and PostgreSQL refused them: a 500 (schemathesis, issue 12).
    officer_headers = auth(officer(KAKEGAWA))
    for field, value in [("places_per_slot", 2**31), ("extra_hour_fee_yen", 2**63)]:
        response = await harness.client.post(
            f"/v1/municipalities/{KAKEGAWA}/facilities",
            json=facility_body(**{field: value}),
            headers=officer_headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"][-1] == field
    facility = await harness.register(KAKEGAWA)
    patched = await harness.client.patch(
        f"/v1/facilities/{facility}",
        json={"places_by_weekday": {"0": {"10": 2**40}}},
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert patched.status_code == 422, patched.text


async def test_text_and_numbers_python_reads_but_cannot_store_are_a_422(harness: Harness) -> None:
    # An unpaired surrogate escape and a non-finite number: both parsed, both 500s before.
    officer_headers = {**auth(officer(KAKEGAWA)), "content-type": "application/json"}
    url = f"/v1/municipalities/{KAKEGAWA}/facilities"
    name = json.dumps(facility_body(), ensure_ascii=False).replace('"テスト保育園"', '"\\ud800"')
    refused = await harness.client.post(url, content=name, headers=officer_headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_character"
    assert "サロゲート" in refused.json()["message_ja"]
    lat = json.dumps(facility_body()).replace("35.694", "1e999")
    refused = await harness.client.post(url, content=lat, headers=officer_headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_number"

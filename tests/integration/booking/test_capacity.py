"""利用枠と開所時間の変更 (issue 16): preview who no longer fits, apply with the preview's
fingerprint, the previewed bookings cancelled at no cost; real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time
from typing import Any

from tests.integration.booking.support import KAKEGAWA, Harness, auth, staff
from tsuen_booking.service_layer.quota import reconcile
from tsuen_common.timeutil import JST

TUESDAY = date(2027, 6, 8)
WEDNESDAY = date(2027, 6, 9)


def week(since: date, places: int, open_: str = "08:00", close: str = "18:00") -> dict[str, Any]:
    return {
        "effective_from": since.isoformat(),
        "opening_hours": {str(d): {"open": open_, "close": close} for d in range(5)},
        "places_per_slot": places,
    }


async def _three_booked(harness: Harness) -> tuple[uuid.UUID, list[Any], list[dict[str, Any]]]:
    """Three children booked Wednesday 10:00–11:00, one after the other (2 places each)."""
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    children, booked = [], []
    for n in range(3):
        child = await harness.certify(KAKEGAWA)
        await harness.accept(KAKEGAWA, facility, child)
        harness.clock.now = datetime(2027, 5, 20, 9, n, tzinfo=JST)  # made in this order
        response = await harness.book(child, facility, WEDNESDAY, time(10), time(11))
        assert response.status_code == 201, response.text
        children.append(child)
        booked.append(response.json())
    harness.clock.now = datetime(2027, 5, 21, 9, tzinfo=JST)
    return facility, children, booked


async def test_fewer_places_cancel_the_latest_made_bookings_at_no_cost(harness: Harness) -> None:
    facility, children, booked = await _three_booked(harness)
    headers = auth(staff(KAKEGAWA, facility))
    new = week(TUESDAY, places=1)

    preview = await harness.client.post(
        f"/v1/facilities/{facility}/weeks/preview", json=new, headers=headers
    )
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    # One place left: the first-made booking stays, the two made later are named.
    assert sorted(b["id"] for b in shown["bookings"]) == sorted([booked[1]["id"], booked[2]["id"]])
    assert {b["misfit"] for b in shown["bookings"]} == {"over_places"}
    assert all(b["child_name"] for b in shown["bookings"])
    assert await harness.scalar("SELECT count(*) FROM bookings WHERE status = 'cancelled'") == 0

    applied = await harness.client.post(
        f"/v1/facilities/{facility}/weeks",
        json={**new, "reason": "保育士の退職のため", "fingerprint": shown["fingerprint"]},
        headers=headers,
    )
    assert applied.status_code == 200, applied.text
    cancelled = applied.json()["cancelled"]
    assert sorted(b["id"] for b in cancelled) == sorted([booked[1]["id"], booked[2]["id"]])
    assert {(b["consumed_minutes"], b["cancel_cause"]) for b in cancelled} == {(0, "facility")}
    for child in children:
        quota = await harness.quota(child, "2027-06")
        assert quota["consumed_minutes"] == 0
    assert (await harness.quota(children[0], "2027-06"))["held_minutes"] == 60
    first = await harness.client.get(
        f"/v1/bookings/{booked[0]['id']}", headers=auth(children[0].principal)
    )
    assert first.json()["status"] == "confirmed"
    # Each guardian (and the facility) is told, by the same event a closure sends.
    events = await harness.outbox_payloads("booking.BookingCancelled")
    assert sorted(e["booking_id"] for e in events) == sorted(b["id"] for b in cancelled)
    assert all(e["consumed_minutes"] == 0 for e in events)
    # The cell has one place now, and it is taken.
    places = await harness.scalar(
        "SELECT places FROM facility_slots WHERE facility_id = :f AND use_date = :d "
        "AND cell_start = '10:00'",
        f=facility,
        d=WEDNESDAY,
    )
    assert places == 1
    again = await harness.book(children[1], facility, WEDNESDAY, time(10), time(11))
    assert again.status_code == 409
    assert await harness.scalar(
        "SELECT changed_by || ' ' || reason FROM capacity_changes WHERE facility_id = :f",
        f=facility,
    ) == (f"staff-{facility} 保育士の退職のため")
    assert (await reconcile(harness.ctx))[1] == []


async def test_a_booking_made_since_the_preview_refuses_the_change(harness: Harness) -> None:
    facility, children, _ = await _three_booked(harness)
    headers = auth(staff(KAKEGAWA, facility))
    new = week(TUESDAY, places=3)
    preview = (
        await harness.client.post(
            f"/v1/facilities/{facility}/weeks/preview", json=new, headers=headers
        )
    ).json()
    assert preview["bookings"] == []  # three places, three bookings: nobody affected
    # The same week with fewer places, sent with the first preview's fingerprint.
    stale = await harness.client.post(
        f"/v1/facilities/{facility}/weeks",
        json={**week(TUESDAY, places=2), "reason": "x", "fingerprint": preview["fingerprint"]},
        headers=headers,
    )
    assert stale.status_code == 409
    assert "もう一度確認" in stale.json()["message_ja"]
    assert await harness.scalar("SELECT count(*) FROM bookings WHERE status = 'cancelled'") == 0
    assert await harness.scalar("SELECT count(*) FROM capacity_changes") == 0
    # A preview, then a fourth booking in another cell that the new week also cannot hold.
    fewer = week(TUESDAY, places=1)
    shown = (
        await harness.client.post(
            f"/v1/facilities/{facility}/weeks/preview", json=fewer, headers=headers
        )
    ).json()
    late = await harness.book(children[0], facility, WEDNESDAY, time(14), time(15))
    late2 = await harness.book(children[1], facility, WEDNESDAY, time(14), time(15))
    assert (late.status_code, late2.status_code) == (201, 201)
    changed = await harness.client.post(
        f"/v1/facilities/{facility}/weeks",
        json={**fewer, "reason": "x", "fingerprint": shown["fingerprint"]},
        headers=headers,
    )
    assert changed.status_code == 409
    assert (
        await harness.scalar("SELECT schedules::text FROM facilities WHERE id = :f", f=facility)
        == "[]"
    )


async def test_shorter_hours_from_a_date_cancel_bookings_outside_them_only_from_then(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    before = (await harness.book(child, facility, TUESDAY, time(16), time(17))).json()
    after = (await harness.book(child, facility, WEDNESDAY, time(16), time(17))).json()
    inside = (await harness.book(child, facility, WEDNESDAY, time(9), time(10))).json()
    headers = auth(staff(KAKEGAWA, facility))
    new = week(WEDNESDAY, places=3, close="15:00")
    shown = (
        await harness.client.post(
            f"/v1/facilities/{facility}/weeks/preview", json=new, headers=headers
        )
    ).json()
    assert [(b["id"], b["misfit"]) for b in shown["bookings"]] == [(after["id"], "outside_hours")]
    applied = await harness.client.post(
        f"/v1/facilities/{facility}/weeks",
        json={**new, "reason": "短縮", "fingerprint": shown["fingerprint"]},
        headers=headers,
    )
    assert applied.status_code == 200, applied.text
    statuses = {
        b["id"]: (
            await harness.client.get(f"/v1/bookings/{b['id']}", headers=auth(child.principal))
        ).json()["status"]
        for b in (before, after, inside)
    }
    assert statuses == {
        before["id"]: "confirmed",
        after["id"]: "cancelled",
        inside["id"]: "confirmed",
    }
    # From Wednesday the facility closes at 15:00; Tuesday keeps its week.
    assert (
        await harness.book(child, facility, date(2027, 6, 16), time(15), time(16))
    ).status_code == 422
    assert (
        await harness.book(child, facility, date(2027, 6, 7), time(16), time(17))
    ).status_code == 201
    weeks = (await harness.client.get(f"/v1/facilities/{facility}/weeks", headers=headers)).json()
    assert weeks["current"]["days"][0]["close"] == "18:00"
    assert [w["effective_from"] for w in weeks["later"]] == [WEDNESDAY.isoformat()]
    assert weeks["later"][0]["days"][2]["close"] == "15:00"
    assert (await reconcile(harness.ctx))[1] == []


async def test_only_the_facility_and_its_municipality_change_its_week(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    other = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    new = week(TUESDAY, places=1)
    for path in ("/weeks/preview", "/weeks"):
        body = new if path.endswith("preview") else {**new, "reason": "x", "fingerprint": "f"}
        wrong = await harness.client.post(
            f"/v1/facilities/{facility}{path}", json=body, headers=auth(staff(KAKEGAWA, other))
        )
        assert wrong.status_code == 404, wrong.text
        missing = await harness.client.post(
            f"/v1/facilities/{uuid.uuid4()}{path}", json=body, headers=auth(staff(KAKEGAWA, other))
        )
        assert (missing.status_code, missing.json()["message_ja"]) == (
            404,
            wrong.json()["message_ja"],
        )
        parent = await harness.client.post(
            f"/v1/facilities/{facility}{path}", json=body, headers=auth(child.principal)
        )
        assert parent.status_code == 403
    read = await harness.client.get(
        f"/v1/facilities/{facility}/weeks", headers=auth(staff(KAKEGAWA, other))
    )
    assert read.status_code == 404
    today = await harness.client.post(
        f"/v1/facilities/{facility}/weeks/preview",
        json=week(harness.clock.now.date(), places=1),
        headers=auth(staff(KAKEGAWA, facility)),
    )
    assert today.status_code == 422
    assert "明日以降" in today.json()["message_ja"]


async def test_bookings_racing_a_new_week_never_overbook_it(harness: Harness) -> None:
    # Two booked; a new week of two places previewed (nobody affected); then the change and
    # four more bookings for the same cell at once. Either the change wins (the bookings find
    # two places) or a booking does (the change's affected set differs: 409) — never both.
    facility = await harness.register(KAKEGAWA, places_per_slot=6)
    children = [await harness.certify(KAKEGAWA) for _ in range(6)]
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)
    for child in children[:2]:
        booked = await harness.book(child, facility, WEDNESDAY, time(10), time(11))
        assert booked.status_code == 201, booked.text
    headers = auth(staff(KAKEGAWA, facility))
    new = week(TUESDAY, places=2)
    shown = (
        await harness.client.post(
            f"/v1/facilities/{facility}/weeks/preview", json=new, headers=headers
        )
    ).json()
    assert shown["bookings"] == []

    change, *racers = await asyncio.gather(
        harness.client.post(
            f"/v1/facilities/{facility}/weeks",
            json={**new, "reason": "x", "fingerprint": shown["fingerprint"]},
            headers=headers,
        ),
        *(harness.book(c, facility, WEDNESDAY, time(10), time(11)) for c in children[2:]),
    )
    won = [r for r in racers if r.status_code == 201]
    assert {r.status_code for r in racers} <= {201, 409}
    confirmed = await harness.scalar(
        "SELECT count(*) FROM bookings WHERE facility_id = :f AND status = 'confirmed'",
        f=facility,
    )
    slot = await harness.scalar(
        "SELECT places || '/' || taken FROM facility_slots WHERE facility_id = :f",
        f=facility,
    )
    if change.status_code == 200:
        assert (won, confirmed, slot) == ([], 2, "2/2")
        assert change.json()["cancelled"] == []
    else:
        assert change.status_code == 409, change.text
        assert won
        assert confirmed == 2 + len(won)
        assert slot == f"6/{confirmed}"
        assert await harness.scalar("SELECT count(*) FROM capacity_changes") == 0
    assert (await reconcile(harness.ctx))[1] == []


async def test_a_regular_plan_is_checked_against_the_week_in_force_on_its_first_day(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    headers = auth(staff(KAKEGAWA, facility))
    new = week(TUESDAY, places=3, close="12:00")
    shown = (
        await harness.client.post(
            f"/v1/facilities/{facility}/weeks/preview", json=new, headers=headers
        )
    ).json()
    changed = await harness.client.post(
        f"/v1/facilities/{facility}/weeks",
        json={**new, "reason": "短縮", "fingerprint": shown["fingerprint"]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text

    def plan(valid_from: str) -> dict[str, Any]:
        return {
            "facility_id": str(facility),
            "child_id": str(child.child_id),
            "weekday": 2,
            "start": "13:00",
            "end": "15:00",
            "valid_from": valid_from,
        }

    after = await harness.client.post(
        "/v1/regular-plans", json=plan("2027-06-09"), headers=auth(child.principal)
    )
    assert after.status_code == 422
    assert "開所時間内" in after.json()["message_ja"]
    before = await harness.client.post(
        "/v1/regular-plans", json=plan("2027-06-01"), headers=auth(child.principal)
    )
    assert before.status_code == 201, before.text

"""空き待ち (issue 17) through booking's HTTP API on a real database: a guardian refused for a
full hour joins its wait list; a cancellation offers the place to the first in line and holds
it (another family is refused it); accepting books it under the booking rules; an unanswered
hold expires at the sweep and passes to the next; leaving; another family's entry is a 404.
The facility's list (its staff, its municipality's officers) names the children; another
facility's staff and another municipality's officers get 404 for it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    Child,
    Harness,
    auth,
    officer,
    staff,
)
from tsuen_booking.service_layer import waitlist_offers

WEDNESDAY = date(2027, 6, 9)
HOLD = timedelta(minutes=60)  # Chiyoda's booking.waitlist_hold_minutes


async def join(h: Harness, child: Child, facility: uuid.UUID, start: int, end: int) -> Any:
    h.clock.now += timedelta(seconds=1)  # the list's order is the order of joining
    return await h.client.post(
        "/v1/waitlist",
        json={
            "facility_id": str(facility),
            "child_id": str(child.child_id),
            "use_date": WEDNESDAY.isoformat(),
            "start": f"{start:02d}:00",
            "end": f"{end:02d}:00",
        },
        headers=auth(child.principal),
    )


async def entry(h: Harness, child: Child, entry_id: str) -> dict[str, Any]:
    found = await h.client.get(f"/v1/waitlist/{entry_id}", headers=auth(child.principal))
    assert found.status_code == 200, found.text
    return dict(found.json())


async def cancel(h: Harness, child: Child, booking_id: str) -> None:
    done = await h.client.post(
        f"/v1/bookings/{booking_id}/cancel",
        json={"reason": "家庭の都合"},
        headers=auth(child.principal),
    )
    assert done.status_code == 200, done.text


async def test_a_freed_place_is_held_for_the_first_in_line_then_passes_on(harness: Harness):
    h = harness
    facility = await h.register(CHIYODA, places_per_slot=1)
    first, ben, chika, daichi, emi = [await h.certify(CHIYODA) for _ in range(5)]
    for child in (first, ben, chika, daichi, emi):
        await h.accept(CHIYODA, facility, child)
    booked = await h.book(first, facility, WEDNESDAY, time(10), time(11))
    assert booked.status_code == 201, booked.text

    # Full: refused as a booking, then on the list in the order of joining.
    refused = await h.book(ben, facility, WEDNESDAY, time(10), time(11))
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("no free place")
    ben_joined = await join(h, ben, facility, 10, 11)
    assert ben_joined.status_code == 201, ben_joined.text
    assert (ben_joined.json()["status"], ben_joined.json()["position"]) == ("waiting", 1)
    chika_entry = (await join(h, chika, facility, 10, 11)).json()
    assert chika_entry["position"] == 2
    assert (await h.event_types()).count("booking.WaitlistJoined") == 2

    # The same child twice, an overlapping span, or a span that still has a place: refused.
    again = await join(h, ben, facility, 10, 11)
    assert again.status_code == 409
    assert "すでに登録" in again.json()["message_ja"]
    free = await join(h, daichi, facility, 11, 12)
    assert free.status_code == 409
    assert "そのままご予約" in free.json()["message_ja"]

    # Leaving is allowed at any time, once.
    emi_entry = (await join(h, emi, facility, 10, 11)).json()
    left = await h.client.post(f"/v1/waitlist/{emi_entry['id']}/leave", headers=auth(emi.principal))
    assert left.json()["status"] == "left"
    twice = await h.client.post(
        f"/v1/waitlist/{emi_entry['id']}/leave", headers=auth(emi.principal)
    )
    assert twice.status_code == 409

    # Another family's entry is a 404, exactly like a missing one.
    ben_id = ben_joined.json()["id"]
    for path in (f"/v1/waitlist/{ben_id}", f"/v1/waitlist/{uuid.uuid4()}"):
        assert (await h.client.get(path, headers=auth(chika.principal))).status_code == 404
    for action in ("accept", "leave"):
        forged = await h.client.post(
            f"/v1/waitlist/{ben_id}/{action}", headers=auth(chika.principal)
        )
        assert forged.status_code == 404
    mine = await h.client.get("/v1/waitlist", headers=auth(chika.principal))
    assert [e["id"] for e in mine.json()] == [chika_entry["id"]]

    # A cancellation frees the place: offered to the first in line and held for them.
    await cancel(h, first, booked.json()["id"])
    offered = await entry(h, ben, ben_id)
    assert offered["status"] == "offered"
    assert datetime.fromisoformat(offered["hold_until"]) == h.clock.now + HOLD
    [offer] = await h.outbox_payloads("booking.WaitlistPlaceOffered")
    assert (offer["entry_id"], offer["guardian_email"]) == (ben_id, "hogosha@example.jp")
    assert (offer["start"], offer["end"]) == ("10:00", "11:00")
    assert (await entry(h, chika, chika_entry["id"]))["status"] == "waiting"

    # Nobody else can take the held place; daichi waits behind chika.
    taken = await h.book(daichi, facility, WEDNESDAY, time(10), time(11))
    assert taken.status_code == 409
    assert taken.json()["detail"].startswith("no free place")
    daichi_entry = (await join(h, daichi, facility, 10, 11)).json()

    # Accepting books the held place under the booking rules (the month's hours are held).
    accepted = await h.client.post(f"/v1/waitlist/{ben_id}/accept", headers=auth(ben.principal))
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["start"], accepted.json()["status"]) == ("10:00", "confirmed")
    assert (await entry(h, ben, ben_id))["status"] == "booked"
    assert (await h.quota(ben, "2027-06"))["held_minutes"] == 60
    places = await h.scalar(
        "SELECT taken FROM facility_slots WHERE facility_id = :f AND cell_start = '10:00'",
        f=facility,
    )
    assert places == 1  # the hold became the booking: one place, not two

    # Ben cancels: chika is offered the place and does not answer in time.
    await cancel(h, ben, accepted.json()["id"])
    offered = await entry(h, chika, chika_entry["id"])
    until = datetime.fromisoformat(offered["hold_until"])
    h.clock.now = until + timedelta(minutes=1)
    assert await waitlist_offers.sweep(h.ctx) == 1  # the sweep passes it on to daichi
    assert (await entry(h, chika, chika_entry["id"]))["status"] == "expired"
    [expired] = await h.outbox_payloads("booking.WaitlistOfferExpired")
    assert (expired["entry_id"], expired["declined"]) == (chika_entry["id"], False)
    late = await h.client.post(
        f"/v1/waitlist/{chika_entry['id']}/accept", headers=auth(chika.principal)
    )
    assert late.status_code == 409
    daichi_offer = await entry(h, daichi, daichi_entry["id"])
    assert daichi_offer["status"] == "offered"

    # The hold's last instant is still inside it.
    h.clock.now = datetime.fromisoformat(daichi_offer["hold_until"])
    last = await h.client.post(
        f"/v1/waitlist/{daichi_entry['id']}/accept", headers=auth(daichi.principal)
    )
    assert last.status_code == 201, last.text


async def test_a_declined_offer_passes_on_and_a_closed_day_offers_nothing(harness: Harness):
    h = harness
    facility = await h.register(CHIYODA, places_per_slot=1)
    first, ben, chika = [await h.certify(CHIYODA) for _ in range(3)]
    for child in (first, ben, chika):
        await h.accept(CHIYODA, facility, child)
    booked = (await h.book(first, facility, WEDNESDAY, time(9), time(11))).json()
    ben_entry = (await join(h, ben, facility, 10, 11)).json()
    chika_entry = (await join(h, chika, facility, 10, 11)).json()

    await cancel(h, first, booked["id"])
    declined = await h.client.post(
        f"/v1/waitlist/{ben_entry['id']}/leave", headers=auth(ben.principal)
    )
    assert declined.json()["status"] == "declined"
    assert (await entry(h, chika, chika_entry["id"]))["status"] == "offered"

    # The facility closes the day: chika's hold ends and nothing is offered on a closed day.
    closed = await h.client.post(
        f"/v1/facilities/{facility}/closures",
        json={"from": WEDNESDAY.isoformat(), "to": WEDNESDAY.isoformat(), "reason": "臨時休園"},
        headers=auth(staff(CHIYODA, facility)),
    )
    assert closed.status_code in (200, 201), closed.text
    assert await waitlist_offers.sweep(h.ctx) == 0
    assert (await entry(h, chika, chika_entry["id"]))["status"] == "lapsed"
    taken = await h.scalar(
        "SELECT coalesce(sum(taken), 0) FROM facility_slots WHERE facility_id = :f", f=facility
    )
    assert taken == 0  # the hold was given back


async def test_the_facility_sees_its_list_with_names_and_other_tenants_get_404(harness: Harness):
    h = harness
    facility = await h.register(CHIYODA, places_per_slot=1)
    elsewhere = await h.register(CHIYODA, places_per_slot=1)
    first, ben, chika = [await h.certify(CHIYODA) for _ in range(3)]
    for child in (first, ben, chika):
        await h.accept(CHIYODA, facility, child)
    booked = (await h.book(first, facility, WEDNESDAY, time(10), time(11))).json()
    ben_entry = (await join(h, ben, facility, 10, 11)).json()
    chika_entry = (await join(h, chika, facility, 10, 11)).json()
    path = f"/v1/facilities/{facility}/waitlist"

    async def listed(who: Any, **params: str) -> list[dict[str, Any]]:
        found = await h.client.get(path, params=params, headers=auth(who))
        assert found.status_code == 200, found.text
        return list(found.json())

    # The facility's staff: each child named and read as on the roster, in the list's order.
    waiting = await listed(staff(CHIYODA, facility))
    assert [(e["id"], e["status"], e["position"]) for e in waiting] == [
        (ben_entry["id"], "waiting", 1),
        (chika_entry["id"], "waiting", 2),
    ]
    short = ben.child_id.hex[:4]
    assert (waiting[0]["child_name"], waiting[0]["child_kana"]) == (
        f"テスト {short}",
        f"テスト {short}",
    )
    assert (waiting[0]["start"], waiting[0]["end"], waiting[0]["hold_until"]) == (
        "10:00",
        "11:00",
        None,
    )
    # The municipality's officer reads the same list; one day only, or none on another day.
    assert [e["id"] for e in await listed(officer(CHIYODA))] == [e["id"] for e in waiting]
    assert len(await listed(staff(CHIYODA, facility), day=WEDNESDAY.isoformat())) == 2
    later = (WEDNESDAY + timedelta(days=1)).isoformat()
    assert await listed(staff(CHIYODA, facility), day=later) == []

    # A freed place: the first in line holds it until the deadline; the second stays waiting.
    await cancel(h, first, booked["id"])
    offered, behind = await listed(staff(CHIYODA, facility))
    assert (offered["status"], offered["position"]) == ("offered", None)
    assert datetime.fromisoformat(offered["hold_until"]) == h.clock.now + HOLD
    assert (behind["status"], behind["position"]) == ("waiting", 1)

    # Another facility's staff and another municipality's officer: the 404 of a missing
    # facility, for this facility's id as for a made-up one; a guardian is refused.
    for who in (staff(CHIYODA, elsewhere), officer(KAKEGAWA)):
        for facility_id in (facility, uuid.uuid4()):
            refused = await h.client.get(
                f"/v1/facilities/{facility_id}/waitlist", headers=auth(who)
            )
            assert refused.status_code == 404, refused.text
            assert refused.json()["message_ja"].startswith("施設が見つかりませんでした")
    assert (await h.client.get(path, headers=auth(ben.principal))).status_code == 403
    theirs = await h.client.get(
        f"/v1/facilities/{elsewhere}/waitlist", headers=auth(staff(CHIYODA, elsewhere))
    )
    assert theirs.json() == []  # their own list holds nothing of this facility's

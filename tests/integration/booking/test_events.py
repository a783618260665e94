"""Booking among the other services, over real Kafka: eligibility in, attendance in, our events out.

Eligibility's and attendance's events are produced to Kafka as those services' relays would; the
booking worker consumes them through its inbox; booking's relay publishes its outbox.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer

from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    Child,
    Clock,
    Harness,
    auth,
    certified,
    make_app,
    migrated_database,
)
from tests.integration.conftest import eventually
from tsuen_booking.config import Settings
from tsuen_booking.entrypoints.consumers import build_worker
from tsuen_booking.service_layer.events import EventHandlers
from tsuen_booking.service_layer.quota import reconcile
from tsuen_common.events.attendance import CheckedOut, NoShow
from tsuen_common.events.eligibility import (
    CertificationChanged,
    CertificationRevoked,
    MovedFrom,
    RevocationReason,
)
from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import OutboxRelay, reliable_producer
from tsuen_common.timeutil import JST


async def test_eligibility_and_attendance_events_drive_bookings_and_the_ledger(
    kafka, topic_prefix, new_database
) -> None:  # type: ignore[no-untyped-def]
    url = await migrated_database(new_database)
    app = make_app(url, Clock(), topic_prefix)
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        consumer_retry_backoff_ms=10,
    )
    worker = build_worker(settings)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-upstream")
    await producer.start()
    await worker.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b.test")
    h = Harness(client=client, ctx=app.state.ctx, clock=Clock(), url=url)

    async def publish(payload: EventPayload, producer_name: str) -> None:
        envelope = EventEnvelope.wrap(payload, municipality=KAKEGAWA, producer=producer_name)
        await producer.send_and_wait(
            topic_name(payload.topic, topic_prefix),
            envelope.to_bytes(),
            key=envelope.aggregate_id.encode(),
        )

    try:
        # ChildCertified over Kafka, twice (a redelivery): one child, projected once.
        child = Child(uuid.uuid4(), uuid.uuid4(), KAKEGAWA)
        certification = certified(child)
        envelope = EventEnvelope.wrap(certification, municipality=KAKEGAWA, producer="eligibility")
        for _ in range(2):
            await producer.send_and_wait(
                topic_name(Topic.ELIGIBILITY, topic_prefix),
                envelope.to_bytes(),
                key=str(child.child_id).encode(),
            )

        async def projected() -> bool:
            return (
                await h.scalar(
                    "SELECT count(*) FROM inbox WHERE event_id = :e", e=envelope.event_id
                )
                == 1
            )

        await eventually(projected, what="the certified child in booking")
        facility = await h.register(KAKEGAWA)
        await h.accept(KAKEGAWA, facility, child)
        long_day = await h.book(child, facility, date(2027, 6, 1), time(8), time(16))  # 480 min
        used = (await h.book(child, facility, date(2027, 6, 2), time(10), time(11))).json()
        missed = (await h.book(child, facility, date(2027, 6, 3), time(10), time(11))).json()
        assert long_day.status_code == 201
        later = (await h.book(child, facility, date(2027, 7, 5), time(10), time(12))).json()

        # The month is fully held. Check-out 20 minutes late: the booked hour is consumed and the
        # 60-minute penalty has no room left, so it is over the cap (charged by the facility).
        ends_at = datetime(2027, 6, 2, 11, 0, tzinfo=JST)
        await publish(
            CheckedOut(
                booking_id=uuid.UUID(used["id"]),
                child_id=child.child_id,
                facility_id=facility,
                checked_in_at=ends_at - timedelta(minutes=50),
                checked_out_at=ends_at + timedelta(minutes=20),
                booked_end=ends_at,
                late_minutes=20,
                penalty_minutes=60,
            ),
            "attendance",
        )
        await publish(
            NoShow(
                booking_id=uuid.UUID(missed["id"]),
                child_id=child.child_id,
                facility_id=facility,
                use_date=date(2027, 6, 3),
            ),
            "attendance",
        )
        await publish(
            CertificationChanged(
                certification_id=certification.certification_id,
                child_id=child.child_id,
                guardian_id=child.guardian_id,
                guardian_email="atarashii@example.jp",
                changed_fields=["guardian_email"],
            ),
            "eligibility",
        )
        await publish(
            CertificationRevoked(
                certification_id=certification.certification_id,
                child_id=child.child_id,
                guardian_id=child.guardian_id,
                guardian_email="hogosha@example.jp",
                effective_date=date(2027, 7, 1),
                reason=RevocationReason.MOVED_OUT,
            ),
            "eligibility",
        )

        async def settled() -> bool:
            return (
                await h.scalar(
                    "SELECT count(*) FROM inbox WHERE consumer IN "
                    "('booking-attendance', 'booking-eligibility')"
                )
                == 5
            )

        await eventually(settled, what="attendance and revocation handled")
        assert await h.quota(child, "2027-06") == {
            "cap_minutes": 600,
            "topup_minutes": 0,
            "held_minutes": 480,
            "consumed_minutes": 120,  # the used hour and the missed hour
            "remaining_minutes": 0,
            "over_cap_minutes": 60,
        }
        revoked = (
            await h.client.get(f"/v1/bookings/{later['id']}", headers=auth(child.principal))
        ).json()
        assert (revoked["status"], revoked["cancelled_by"], revoked["consumed_minutes"]) == (
            "cancelled",
            "system",
            0,
        )
        assert (await h.quota(child, "2027-07"))["remaining_minutes"] == 600
        assert (await reconcile(h.ctx))[1] == []

        # Booking's own events reach Kafka through the relay.
        relay = OutboxRelay(engine=h.ctx.engine, producer=producer)  # type: ignore[arg-type]
        published = await relay.run_once()
        assert published == await h.scalar("SELECT count(*) FROM outbox")
        seen = await _read(
            kafka.bootstrap_servers, topic_name(Topic.BOOKING, topic_prefix), published
        )
        types = [e.event_type for e in seen]
        assert len(seen) == published
        assert types.count("booking.BookingConfirmed") == 4
        assert types.count("booking.QuotaOverCapCharged") == 1
        (charge,) = [e.payload for e in seen if e.event_type == "booking.QuotaOverCapCharged"]
        assert (charge["over_cap_minutes"], charge["fee_yen"], charge["month"]) == (
            60,
            1500,  # one started hour at the facility's ¥1,500
            "2027-06",
        )
        # What each settlement consumed, for billing (committed with the ledger entries).
        settled_events = {
            e.payload["booking_id"]: e.payload
            for e in seen
            if e.event_type == "booking.BookingSettled"
        }
        assert len(settled_events) == types.count("booking.BookingSettled") == 2
        late = settled_events[used["id"]]
        assert (
            late["status"],
            late["booked_minutes_consumed"],
            late["penalty_minutes"],
            late["over_cap_minutes"],
            late["over_cap_fee_yen"],
            late["child_municipality"],
            late["guardian_id"],
        ) == ("used", 60, 0, 60, 1500, KAKEGAWA, str(child.guardian_id))
        no_show = settled_events[missed["id"]]
        assert (
            no_show["status"],
            no_show["booked_minutes_consumed"],
            no_show["penalty_minutes"],
            no_show["over_cap_minutes"],
            no_show["use_date"],
        ) == ("no_show", 60, 0, 0, "2027-06-03")
        (notice,) = [e.payload for e in seen if e.event_type == "booking.BookingCancelled"]
        assert (notice["cancelled_by"], notice["timely"], notice["consumed_minutes"]) == (
            "system",
            True,
            0,
        )
        assert notice["guardian_email"] == "atarashii@example.jp"  # after the change application
        assert notice["facility_email"] == "en@example.jp"
    finally:
        await client.aclose()
        await worker.stop()
        await producer.stop()
        await app.state.ctx.close()


async def _read(bootstrap: str, topic: str, count: int) -> list[EventEnvelope]:
    """The first ``count`` records of ``topic`` (all partitions), polling until they are in."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    seen: list[EventEnvelope] = []
    try:

        async def all_in() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            seen.extend(
                EventEnvelope.model_validate_json(record.value or b"")
                for records in batches.values()
                for record in records
            )
            return len(seen) >= count

        await eventually(all_in, what=f"{count} booking events on Kafka")
        return seen
    finally:
        await consumer.stop()


async def test_a_revocation_and_a_change_before_the_certification_are_applied_when_it_arrives(
    kafka, topic_prefix, new_database
) -> None:  # type: ignore[no-untyped-def]
    # After an outbox relay crash eligibility's events can arrive out of order: the revocation
    # and the change are kept (a tombstone) and applied once ChildCertified is here.
    url = await migrated_database(new_database)
    app = make_app(url, Clock(), topic_prefix)
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        consumer_retry_backoff_ms=10,
    )
    worker = build_worker(settings)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-upstream")
    await producer.start()
    await worker.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b.test")
    h = Harness(client=client, ctx=app.state.ctx, clock=Clock(), url=url)

    async def publish(payload: EventPayload) -> None:
        envelope = EventEnvelope.wrap(payload, municipality=KAKEGAWA, producer="eligibility")
        await producer.send_and_wait(
            topic_name(payload.topic, topic_prefix),
            envelope.to_bytes(),
            key=envelope.aggregate_id.encode(),
        )

    try:
        child = Child(uuid.uuid4(), uuid.uuid4(), KAKEGAWA)
        certification = certified(child)
        await publish(
            CertificationRevoked(
                certification_id=certification.certification_id,
                child_id=child.child_id,
                guardian_id=child.guardian_id,
                guardian_email="hogosha@example.jp",
                effective_date=date(2027, 6, 15),
                reason=RevocationReason.MOVED_OUT,
            )
        )
        await publish(
            CertificationChanged(
                certification_id=certification.certification_id,
                child_id=child.child_id,
                guardian_id=child.guardian_id,
                guardian_email="atarashii@example.jp",
                changed_fields=["guardian_email"],
            )
        )
        await publish(certification)

        async def handled() -> bool:
            return (
                await h.scalar("SELECT count(*) FROM inbox WHERE consumer = 'booking-eligibility'")
                == 3
            )

        await eventually(handled, what="the three eligibility events handled")
        facility = await h.register(KAKEGAWA)
        await h.accept(KAKEGAWA, facility, child)
        before = await h.book(child, facility, date(2027, 6, 14), time(10), time(11))
        after = await h.book(child, facility, date(2027, 6, 15), time(10), time(11))
        assert before.status_code == 201, before.text
        assert after.status_code == 422, after.text
        assert "certification ended on 2027-06-15" in after.text
        assert (
            await h.scalar(
                "SELECT guardian_email FROM children WHERE child_id = :c", c=child.child_id
            )
            == "atarashii@example.jp"
        )
        # Applied once: nothing is left pending.
        assert await h.scalar("SELECT count(*) FROM pending_certification_updates") == 0
    finally:
        await client.aclose()
        await worker.stop()
        await producer.stop()
        await app.state.ctx.close()


async def deliver(
    harness: Harness, payload: EventPayload, handler: Any, municipality: str = KAKEGAWA
) -> None:
    """An eligibility event straight to booking's handler, in its own transaction (as the
    consumer's inbox runs it), without Kafka."""
    envelope = EventEnvelope.wrap(payload, municipality=municipality, producer="eligibility")
    async with harness.ctx.transaction() as session:
        await handler(session, envelope, payload)


async def test_an_early_revocation_of_a_renewed_certification_cancels_the_later_bookings(
    harness: Harness,
) -> None:
    # The child is known under an earlier certification and has bookings; the revocation of its
    # renewal arrives before the renewal itself: applied when the renewal comes, once.
    child = await harness.certify(KAKEGAWA)
    facility = await harness.register(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    kept = (await harness.book(child, facility, date(2027, 6, 14), time(10), time(11))).json()
    voided = (await harness.book(child, facility, date(2027, 6, 15), time(10), time(11))).json()
    renewal = certified(child)
    revocation = CertificationRevoked(
        certification_id=renewal.certification_id,
        child_id=child.child_id,
        guardian_id=child.guardian_id,
        guardian_email="hogosha@example.jp",
        effective_date=date(2027, 6, 15),
        reason=RevocationReason.MOVED_OUT,
    )
    handlers = EventHandlers(harness.ctx)

    await deliver(harness, revocation, handlers.certification_revoked)
    assert (await harness.quota(child, "2027-06"))["held_minutes"] == 120  # nothing yet
    for _ in range(2):  # the renewal published twice: the revocation applies once
        await deliver(harness, renewal, handlers.child_certified)

    statuses = {
        b["id"]: b["status"]
        for b in (await harness.client.get("/v1/bookings", headers=auth(child.principal))).json()
    }
    assert statuses == {kept["id"]: "confirmed", voided["id"]: "cancelled"}
    assert (await harness.event_types()).count("booking.BookingCancelled") == 1
    refused = await harness.book(child, facility, date(2027, 6, 16), time(10), time(11))
    assert refused.status_code == 422, refused.text
    assert (await harness.quota(child, "2027-06"))["held_minutes"] == 60
    assert (await reconcile(harness.ctx))[1] == []


async def test_a_move_keeps_the_months_hours_and_voids_only_the_old_homes_bookings(
    harness: Harness,
) -> None:
    # 転入 (issue 17.3), with the move's two events in the worse order: Kakegawa's
    # ChildCertified first, then Chiyoda's revocation (same child id, hours carried).
    handlers = EventHandlers(harness.ctx)

    in_chiyoda = Child(uuid.uuid4(), uuid.uuid4(), CHIYODA)
    chiyoda_certification = certified(in_chiyoda)
    await deliver(harness, chiyoda_certification, handlers.child_certified, CHIYODA)
    chiyoda_en = await harness.register(CHIYODA)
    await harness.accept(CHIYODA, chiyoda_en, in_chiyoda)
    before = await harness.book(in_chiyoda, chiyoda_en, date(2027, 6, 14), time(10), time(12))
    after = await harness.book(in_chiyoda, chiyoda_en, date(2027, 6, 16), time(10), time(11))
    assert (before.status_code, after.status_code) == (201, 201), after.text

    in_kakegawa = Child(in_chiyoda.child_id, in_chiyoda.guardian_id, KAKEGAWA)
    moved = certified(in_kakegawa).model_copy(
        update={
            "valid_from": date(2027, 6, 15),
            "moved_from": MovedFrom(
                municipality=CHIYODA,
                certification_id=chiyoda_certification.certification_id,
                last_day=date(2027, 6, 14),
            ),
        }
    )
    await deliver(harness, moved, handlers.child_certified)
    # Chiyoda's booking after the move is void already (the revocation has not come yet), and
    # June's account lives in Kakegawa with the two hours booked there before the move.
    home = await harness.scalar(
        "SELECT municipality FROM quota_months WHERE child_id = :c AND month = '2027-06'",
        c=in_chiyoda.child_id,
    )
    assert home == KAKEGAWA
    voided_first = await harness.scalar(
        "SELECT status FROM bookings WHERE id = :b", b=uuid.UUID(after.json()["id"])
    )
    assert voided_first == "cancelled"
    assert (await harness.quota(in_kakegawa, "2027-06"))["held_minutes"] == 120
    kakegawa_en = await harness.register(KAKEGAWA)
    await harness.accept(KAKEGAWA, kakegawa_en, in_kakegawa)
    new_home = await harness.book(in_kakegawa, kakegawa_en, date(2027, 6, 17), time(10), time(11))
    assert new_home.status_code == 201, new_home.text

    revocation = CertificationRevoked(
        certification_id=chiyoda_certification.certification_id,
        child_id=in_chiyoda.child_id,
        guardian_id=in_chiyoda.guardian_id,
        guardian_email="hogosha@example.jp",
        effective_date=date(2027, 6, 15),
        reason=RevocationReason.MOVED_OUT,
    )
    # The handler run twice (the inbox keeps a redelivery from it; this shows it would not
    # matter): nothing is voided twice.
    for _ in range(2):
        await deliver(harness, revocation, handlers.certification_revoked, CHIYODA)

    async with harness.ctx.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    sa.text("SELECT id::text, status FROM bookings WHERE child_id = :c"),
                    {"c": in_chiyoda.child_id},
                )
            ).all()
        )
    assert statuses == {
        before.json()["id"]: "confirmed",  # before the move: stands
        after.json()["id"]: "cancelled",  # the old home's, after the move: void
        new_home.json()["id"]: "confirmed",  # the new home's: untouched
    }
    quota = await harness.quota(in_kakegawa, "2027-06")
    assert (quota["held_minutes"], quota["remaining_minutes"]) == (180, 420)
    # The guardian, signed in at the new home, sees the month's whole history.
    listed = await harness.client.get("/v1/bookings", headers=auth(in_kakegawa.principal))
    assert {b["id"]: b["status"] for b in listed.json()} == statuses
    one = await harness.client.get(
        f"/v1/bookings/{before.json()['id']}", headers=auth(in_kakegawa.principal)
    )
    assert one.status_code == 200, one.text
    # Another guardian id at the new home does not.
    stranger = Child(in_chiyoda.child_id, uuid.uuid4(), KAKEGAWA)
    listed = await harness.client.get("/v1/bookings", headers=auth(stranger.principal))
    assert listed.json() == []
    hidden = await harness.client.get(
        f"/v1/bookings/{before.json()['id']}", headers=auth(stranger.principal)
    )
    assert hidden.status_code == 404
    assert (await reconcile(harness.ctx))[1] == []

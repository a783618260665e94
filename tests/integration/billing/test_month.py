"""A month of usage at two facilities in two municipalities, with a 広域 child, closes into the
right claims and statements (each child's first visit with the 初回 add-on, the facility's 実費
on the statements only); a late event becomes an adjustment in the next month; the
reconciliation with booking's ledger (through booking's API) is empty. No mocks: booking runs
for real and its events reach billing over Kafka."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from tests.integration.billing.stack import Stack, running_stack
from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    Child,
    auth,
    guardian,
    officer,
    staff,
)
from tests.integration.conftest import eventually
from tsuen_billing.adapters.booking_api import BookingLedger
from tsuen_billing.entrypoints.csv_export import COLUMNS
from tsuen_billing.service_layer.closing import close_month
from tsuen_billing.service_layer.reconcile import reconcile_month
from tsuen_common.events.attendance import CheckedOut, NoShow
from tsuen_common.events.eligibility import FamilySupportMarked
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic, topic_name
from tsuen_common.messaging import OutboxRelay
from tsuen_common.timeutil import JST


async def _book(
    s: Stack, child: Child, facility: uuid.UUID, day: date, start: time, end: time
) -> uuid.UUID:
    response = await s.booking.book(child, facility, day, start, end)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def _checked_out(
    s: Stack,
    child: Child,
    facility: uuid.UUID,
    booking: uuid.UUID,
    day: date,
    end: time,
    late: int = 0,
) -> None:
    ends_at = datetime.combine(day, end, JST)
    await s.publish(
        CheckedOut(
            booking_id=booking,
            child_id=child.child_id,
            facility_id=facility,
            checked_in_at=ends_at - timedelta(hours=1),
            checked_out_at=ends_at + timedelta(minutes=late),
            booked_end=ends_at,
            late_minutes=late,
            penalty_minutes=60 if late >= 10 else 0,
        ),
        child.municipality,
        "attendance",
    )


async def test_a_month_closes_into_claims_per_paying_municipality_and_reconciles(
    kafka, topic_prefix, new_database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(kafka, topic_prefix, new_database, tmp_path) as s:
        h = s.booking
        kakegawa_en = await h.register(KAKEGAWA, name="かけがわ保育園")
        chiyoda_en = await h.register(CHIYODA, name="ちよだ保育園")
        # A: Kakegawa's child at Kakegawa's facility, turning 1 on 2027-06-09 (born 06-10).
        a = Child(uuid.uuid4(), uuid.uuid4(), KAKEGAWA)
        # B: Kakegawa's child at Chiyoda's facility (広域): Kakegawa pays, with the 医療的ケア
        # add-on (Kakegawa asks for no prior consultation, so Chiyoda's facility accepts as is).
        b = Child(uuid.uuid4(), uuid.uuid4(), KAKEGAWA)
        # C: Chiyoda's child at Chiyoda's facility, with the support add-on.
        c = Child(uuid.uuid4(), uuid.uuid4(), CHIYODA)
        await s.certify(a, date(2026, 6, 10))
        await s.certify(b, date(2025, 5, 1), medical_care=True)
        await s.certify(c, date(2026, 1, 10), needs_support=True)
        await h.accept(KAKEGAWA, kakegawa_en, a)
        await h.accept(CHIYODA, chiyoda_en, b)
        await h.accept(CHIYODA, chiyoda_en, c)
        # Chiyoda's facility charges 実費: a snack every visit, lunch once a day, dearer from
        # the 8th (a change mid-month). Another facility's staff cannot touch its list.
        chiyoda_staff = staff(CHIYODA, chiyoda_en)
        for item in (
            {"name": "おやつ", "unit": "visit", "yen": 100, "effective_from": "2027-06-01"},
            {"name": "昼食", "unit": "day", "yen": 300, "effective_from": "2027-06-01"},
            {"name": "昼食", "unit": "day", "yen": 350, "effective_from": "2027-06-08"},
        ):
            put = await s.billing.put(
                f"/v1/facilities/{chiyoda_en}/cost-items", json=item, headers=auth(chiyoda_staff)
            )
            assert put.status_code == 204, put.text
        foreign = await s.billing.put(
            f"/v1/facilities/{chiyoda_en}/cost-items",
            json={"name": "昼食", "unit": "day", "yen": 1, "effective_from": "2027-06-01"},
            headers=auth(staff(KAKEGAWA, kakegawa_en)),
        )
        assert foreign.status_code == 404

        a1 = await _book(s, a, kakegawa_en, date(2027, 6, 1), time(10), time(12))
        a2 = await _book(s, a, kakegawa_en, date(2027, 6, 2), time(10), time(11))
        a3 = await _book(s, a, kakegawa_en, date(2027, 6, 3), time(10), time(11))
        a4 = await _book(s, a, kakegawa_en, date(2027, 6, 30), time(10), time(11))
        b1 = await _book(s, b, chiyoda_en, date(2027, 6, 7), time(10), time(11, 30))
        c1 = await _book(s, c, chiyoda_en, date(2027, 6, 8), time(10), time(11))
        c2 = await _book(s, c, chiyoda_en, date(2027, 6, 9), time(10), time(11))
        b2 = await _book(s, b, chiyoda_en, date(2027, 6, 11), time(10), time(11))
        # a3 cancelled in time (nothing consumed); c2 cancelled by the guardian after Chiyoda's
        # deadline (17:00 the open day before): its hour is consumed and charged.
        timely = await h.client.post(
            f"/v1/bookings/{a3}/cancel", json={"reason": "予定変更"}, headers=auth(a.principal)
        )
        assert timely.status_code == 200, timely.text
        h.clock.now = datetime(2027, 6, 8, 18, 0, tzinfo=JST)
        late = await h.client.post(
            f"/v1/bookings/{c2}/cancel", json={"reason": "体調不良"}, headers=auth(c.principal)
        )
        assert (late.status_code, late.json()["consumed_minutes"]) == (200, 60), late.text

        # The month happens: a1 picked up 20 minutes late (+1 h), a2 a no-show, b1 and c1 used.
        await _checked_out(s, a, kakegawa_en, a1, date(2027, 6, 1), time(12), late=20)
        await s.publish(
            NoShow(
                booking_id=a2,
                child_id=a.child_id,
                facility_id=kakegawa_en,
                use_date=date(2027, 6, 2),
            ),
            KAKEGAWA,
            "attendance",
        )
        await _checked_out(s, b, chiyoda_en, b1, date(2027, 6, 7), time(11, 30))
        await _checked_out(s, c, chiyoda_en, c1, date(2027, 6, 8), time(11))
        # 臨時休園 on the 11th (staff, after the deadline): b2 is cancelled at no cost to anyone.
        closure = await h.client.post(
            f"/v1/facilities/{chiyoda_en}/closures",
            json={"from": "2027-06-11", "to": "2027-06-11", "reason": "台風"},
            headers=auth(staff(CHIYODA, chiyoda_en)),
        )
        assert closure.status_code == 200, closure.text
        # use a1 + late pickup a1 + no-show a2 + use b1 + use c1 + late cancel c2
        await s.lines_arrive(6)
        await s.caught_up()
        assert await s.scalar("SELECT count(*) FROM usage_lines WHERE booking_id = :b", b=b2) == 0
        # Chiyoda's officer marks C's certification 要支援家庭 from the 9th (mid-month), as
        # eligibility announces it: c2 on the 9th carries the add-on, c1 on the 8th does not.
        await s.publish(
            FamilySupportMarked(
                certification_id=await s.scalar(
                    "SELECT certification_id FROM certifications WHERE child_id = :c",
                    c=c.child_id,
                ),
                child_id=c.child_id,
                valid_from=date(2027, 6, 9),
                valid_until=date(2027, 9, 30),
            ),
            CHIYODA,
            "eligibility",
        )

        async def marked() -> bool:
            return bool(await s.scalar("SELECT count(*) FROM family_support"))

        await eventually(marked, what="the 要支援家庭 span in billing")

        june = await close_month(s.ctx, "2027-06")
        assert sorted((f.claims, f.statements, f.lines) for f in june.facilities) == [
            (1, 1, 3),
            (2, 2, 3),
        ]

        # Claims: the child's municipality pays, wherever the child went.
        kakegawa_claims = (
            await s.get(f"/v1/municipalities/{KAKEGAWA}/claims", officer(KAKEGAWA), month="2027-06")
        ).json()
        chiyoda_claims = (
            await s.get(f"/v1/municipalities/{CHIYODA}/claims", officer(CHIYODA), month="2027-06")
        ).json()
        by_facility = {row["facility_id"]: row for row in kakegawa_claims}
        assert set(by_facility) == {str(kakegawa_en), str(chiyoda_en)}
        # A, age 0 all of June's billed days: (2 h + 1 h late pickup + 1 h no-show) × ¥1,700,
        # and ¥2,000 初回 for a1, A's first visit there (the no-show a2 is no visit).
        assert (
            by_facility[str(kakegawa_en)]["minutes"],
            by_facility[str(kakegawa_en)]["total_yen"],
        ) == (240, 6800 + 2000)
        # B (広域), age 2: 1.5 h × (¥1,400 + ¥2,500 医療的ケア加算) and its 初回, claimed by
        # Chiyoda's facility from Kakegawa.
        assert (
            by_facility[str(chiyoda_en)]["minutes"],
            by_facility[str(chiyoda_en)]["total_yen"],
        ) == (90, 2100 + 3750 + 2000)
        (c_claim,) = chiyoda_claims
        # C: use + late cancellation, 2 h × (¥1,400 + ¥600 support add-on), c1's 初回, and
        # 1 h × ¥600 要支援家庭 for c2 (the 9th, within the span); no 実費.
        assert (
            c_claim["facility_id"],
            c_claim["minutes"],
            c_claim["benefit_yen"],
            c_claim["addon_yen"],
        ) == (
            str(chiyoda_en),
            120,
            2800,
            1200 + 2000 + 600,
        )

        # Statements: what each guardian owes the facility (¥300/h standard fee), with 実費 at
        # Chiyoda's facility: b1 on the 7th ¥100 + ¥300, c1 on the 8th ¥100 + ¥350 (new price);
        # c2, cancelled late, was no visit: no 実費.
        def statement_total(child: Child) -> Any:
            return s.get(
                "/v1/statements", guardian(child.municipality, child.guardian_id), month="2027-06"
            )

        assert [r["total_yen"] for r in (await statement_total(a)).json()] == [1200]
        assert [
            (r["actual_cost_yen"], r["total_yen"]) for r in (await statement_total(b)).json()
        ] == [(400, 450 + 400)]
        assert [
            (r["actual_cost_yen"], r["total_yen"]) for r in (await statement_total(c)).json()
        ] == [(450, 600 + 450)]

        # Each line says where it came from; a used booking's line shows attendance's times.
        a_statement_id = (await statement_total(a)).json()[0]["id"]
        a_lines = (
            await s.get(f"/v1/statements/{a_statement_id}", guardian(KAKEGAWA, a.guardian_id))
        ).json()["lines"]
        assert [(ln["kind"], ln["booking_id"], ln["fee_yen"]) for ln in a_lines] == [
            ("late_pickup", str(a1), 300),
            ("use", str(a1), 600),
            ("no_show", str(a2), 300),
        ]
        assert {ln["source_event_type"] for ln in a_lines} == {"booking.BookingSettled"}
        used = a_lines[1]
        assert datetime.fromisoformat(used["checked_out_at"]) == datetime(
            2027, 6, 1, 12, 20, tzinfo=JST
        )
        assert a_lines[2]["checked_out_at"] is None

        # ClaimClosed, one per claim, reaches Kafka through billing's relay.
        relay = OutboxRelay(engine=s.billing_app.state.engine, producer=s.producer)  # type: ignore[arg-type]
        assert await relay.run_once() == 6
        closed = await _read(kafka.bootstrap_servers, topic_name(Topic.BILLING, topic_prefix), 6)
        claims_closed = [e.payload for e in closed if e.event_type == "billing.ClaimClosed"]
        assert sorted((p["municipality"], p["total_yen"]) for p in claims_closed) == [
            (CHIYODA, 4000 + 2000 + 600),
            (KAKEGAWA, 2100 + 3750 + 2000),
            (KAKEGAWA, 6800 + 2000),
        ]
        # The addresses the notices go to (the facility's from booking's events).
        assert {p["facility_email"] for p in claims_closed} == {"en@example.jp"}
        # StatementClosed, one per statement, with the guardian's address for the mail.
        statements_closed = [e for e in closed if e.event_type == "billing.StatementClosed"]
        assert sorted(
            (e.municipality, e.payload["guardian_id"], e.payload["total_yen"])
            for e in statements_closed
        ) == sorted(
            [
                (KAKEGAWA, str(a.guardian_id), 1200),
                (KAKEGAWA, str(b.guardian_id), 850),
                (CHIYODA, str(c.guardian_id), 1050),
            ]
        )
        assert {e.payload["guardian_email"] for e in statements_closed} == {"hogosha@example.jp"}

        # A late event for the closed June: an adjustment line in July, June untouched.
        await s.publish(
            NoShow(
                booking_id=a4,
                child_id=a.child_id,
                facility_id=kakegawa_en,
                use_date=date(2027, 6, 30),
            ),
            KAKEGAWA,
            "attendance",
        )
        await s.lines_arrive(7)
        s.billing_clock.now = datetime(2027, 8, 1, 9, 0, tzinfo=JST)
        july = await close_month(s.ctx, "2027-07")
        assert [(f.facility_id, f.lines, f.adjustments) for f in july.facilities] == [
            (kakegawa_en, 1, 1)
        ]
        f1_claims = (
            await s.get(f"/v1/facilities/{kakegawa_en}/claims", staff(KAKEGAWA, kakegawa_en))
        ).json()
        assert [(r["month"], r["total_yen"]) for r in f1_claims] == [
            ("2027-06", 6800 + 2000),
            ("2027-07", 1400),
        ]
        july_claim = (await s.get(f"/v1/claims/{f1_claims[1]['id']}", officer(KAKEGAWA))).json()
        (adjustment,) = july_claim["lines"]
        # A turned 1 on 2027-06-09: the 30th is billed at the 1–2 rate, referring back to June.
        assert (adjustment["adjusts_month"], adjustment["use_date"], adjustment["benefit_yen"]) == (
            "2027-06",
            "2027-06-30",
            1400,
        )
        assert adjustment["source_event_type"] == "booking.BookingSettled"

        # Billed minutes equal booking's ledger, booking by booking, read through its API.
        async with s.booking_api() as client:
            assert await reconcile_month(s.ctx, BookingLedger(client), "2027-06") == []

        # The CSV keeps its documented columns.
        csv_response = await s.get(
            f"/v1/municipalities/{KAKEGAWA}/claims.csv", officer(KAKEGAWA), month="2027-06"
        )
        assert csv_response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
        assert tuple(rows[0]) == COLUMNS
        assert len(rows) == 1 + 4  # A's three lines and B's one
        assert sum(int(r[COLUMNS.index("claim_yen")]) for r in rows[1:]) == (
            6800 + 2100 + 3750 + 2 * 2000
        )
        assert sum(int(r[COLUMNS.index("first_visit")]) for r in rows[1:]) == 2
        # June is closed at Chiyoda's facility: its 実費 can change only from July on.
        closed = await s.billing.put(
            f"/v1/facilities/{chiyoda_en}/cost-items",
            json={"name": "昼食", "unit": "day", "yen": 400, "effective_from": "2027-06-30"},
            headers=auth(chiyoda_staff),
        )
        assert (closed.status_code, closed.json()["code"]) == (409, "cost_item_in_closed_month")
        assert "2027年7月1日以降" in closed.json()["message_ja"]
        listed = (
            await s.get(
                f"/v1/facilities/{chiyoda_en}/cost-items", guardian(KAKEGAWA, b.guardian_id)
            )
        ).json()
        assert (listed["closed_until"], listed["first_open_day"]) == ("2027-06", "2027-07-01")

        # Tenants: another facility's staff, another municipality's officer, another guardian: 404.
        c_claim_id = c_claim["id"]
        assert (
            await s.get(f"/v1/claims/{c_claim_id}", staff(KAKEGAWA, kakegawa_en))
        ).status_code == 404
        assert (await s.get(f"/v1/claims/{c_claim_id}", officer(KAKEGAWA))).status_code == 404
        assert (
            await s.get(f"/v1/claims/{c_claim_id}", staff(CHIYODA, chiyoda_en))
        ).status_code == 200
        assert (
            await s.get(f"/v1/facilities/{chiyoda_en}/claims", staff(KAKEGAWA, kakegawa_en))
        ).status_code == 404
        assert (
            await s.get(f"/v1/municipalities/{CHIYODA}/claims", officer(KAKEGAWA))
        ).status_code == 403
        a_statement = (await statement_total(a)).json()[0]["id"]
        assert (
            await s.get(f"/v1/statements/{a_statement}", guardian(KAKEGAWA, b.guardian_id))
        ).status_code == 404
        page = await s.get(f"/v1/statements/{a_statement}/print", guardian(KAKEGAWA, a.guardian_id))
        assert page.status_code == 200
        assert "利用料明細書" in page.text
        assert "1,200円" in page.text
        assert page.headers["cache-control"] == "no-store"


async def _read(bootstrap: str, topic: str, count: int) -> list[EventEnvelope]:
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

        await eventually(all_in, what=f"{count} billing events on Kafka")
        return seen
    finally:
        await consumer.stop()

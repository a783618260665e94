"""`tsuen-billing close` and `reconcile` as operators run them (their own processes, settings from
the environment, the shipped FY2026 prices), and the officer's fee-category decision."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import date, datetime, time
from typing import Any

import httpx
import sqlalchemy as sa

from tests.integration.booking.support import CHIYODA, KAKEGAWA, VERIFIER, auth, guardian, officer
from tests.integration.conftest import run_command
from tsuen_billing.config import Settings
from tsuen_billing.entrypoints.app import create
from tsuen_billing.entrypoints.cli import MIGRATIONS
from tsuen_billing.service_layer import usage
from tsuen_billing.service_layer.closing import close_month
from tsuen_common.events.booking import BookingKind, BookingSettled, SettlementStatus
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.migrations import upgrade
from tsuen_common.timeutil import JST

FACILITY = uuid.UUID("7a1c0e52-1f0b-4a53-9d6c-000000000201")
OTHER_FACILITY = uuid.UUID("7a1c0e52-1f0b-4a53-9d6c-000000000202")


def _settled(
    child: uuid.UUID, guardian_id: uuid.UUID, day: date, facility: uuid.UUID = FACILITY
) -> BookingSettled:
    return BookingSettled(
        booking_id=uuid.uuid4(),
        child_id=child,
        guardian_id=guardian_id,
        facility_id=facility,
        facility_name="かけがわ保育園",
        kind=BookingKind.FLEXIBLE,
        use_date=day,
        starts_at=datetime.combine(day, time(10), JST),
        ends_at=datetime.combine(day, time(11), JST),
        status=SettlementStatus.USED,
        booked_minutes_consumed=60,
    )


async def test_close_prices_a_past_month_with_the_shipped_tables_and_the_officers_fee_category(
    new_database: Any,
) -> None:
    url = await new_database("billing")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    env = {"TSUEN_DATABASE_URL": url}

    async def billing(*args: str) -> subprocess.CompletedProcess[str]:
        return await run_command("tsuen-billing", *args, env=env)

    app = create(Settings(database_url=url), verifier=VERIFIER)
    ctx = app.state.billing
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b.test")
    child, guardian_id = uuid.uuid4(), uuid.uuid4()
    certified = ChildCertified(
        certification_id=uuid.uuid4(),
        child_id=child,
        guardian_id=guardian_id,
        guardian_email="hogosha@example.jp",
        certificate_number="C-1",
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 3, 31),
        birth_date=date(2025, 1, 10),
    )
    try:
        async with ctx.sessions() as session, session.begin():
            await usage.on_child_certified(
                session,
                EventEnvelope.wrap(certified, municipality=KAKEGAWA, producer="eligibility"),
                certified,
            )
            for day in (date(2026, 11, 10), date(2026, 11, 20)):
                event = _settled(child, guardian_id, day)
                envelope = EventEnvelope.wrap(event, municipality=KAKEGAWA, producer="booking")
                await usage.on_booking_settled(session, envelope, event)

        # The household became tax-exempt from the 16th (the officer's decision).
        path = f"/v1/municipalities/{KAKEGAWA}/children/{child}/fee-category"
        body = {"category": "tax_exempt", "effective_from": "2026-11-16"}
        put = await client.put(path, json=body, headers=auth(officer(KAKEGAWA)))
        assert put.status_code == 204, put.text
        # Another municipality's officer: not their child (404), not their path (403).
        other = f"/v1/municipalities/{CHIYODA}/children/{child}/fee-category"
        assert (
            await client.put(other, json=body, headers=auth(officer(CHIYODA)))
        ).status_code == 404
        assert (
            await client.put(path, json=body, headers=auth(officer(CHIYODA)))
        ).status_code == 403

        closed = await billing("close", "--month", "2026-11")
        assert closed.returncode == 0, closed.stderr
        assert "1 claims, 1 statements, 2 lines (0 adjustments)" in closed.stdout
        # Closing again changes nothing: the facility's month is closed.
        assert (await billing("close", "--month", "2026-11")).returncode == 0
        again = await billing("close", "--month", "2026-11", "--facility-id", str(FACILITY))
        assert again.returncode == 1
        # A month that has not ended cannot be closed.
        assert (await billing("close", "--month", "2099-01")).returncode == 1

        # FY2027 has no shipped prices: the facility with an April line is not closed, the
        # other facility (a March line, never billed) is.
        async with ctx.sessions() as session, session.begin():
            for facility, day in (
                (FACILITY, date(2027, 4, 5)),
                (OTHER_FACILITY, date(2027, 3, 31)),
            ):
                event = _settled(child, guardian_id, day, facility=facility)
                envelope = EventEnvelope.wrap(event, municipality=KAKEGAWA, producer="booking")
                await usage.on_booking_settled(session, envelope, event)
        ctx.clock = lambda: datetime(2027, 5, 1, 9, 0, tzinfo=JST)
        april_close = await close_month(ctx, "2027-04")
        outcome = {f.facility_id: f for f in april_close.facilities}
        assert outcome[FACILITY].failed is not None
        assert "FY2027" in outcome[FACILITY].failed
        assert outcome[OTHER_FACILITY].failed is None
        assert outcome[OTHER_FACILITY].lines == 1

        statements = await client.get(
            "/v1/statements",
            params={"month": "2026-11"},
            headers=auth(guardian(KAKEGAWA, guardian_id)),
        )
        # ¥300 on the 10th, ¥60 (300 − 240) on the 20th; 2 h × ¥1,400 claimed (age 1) and
        # the ¥2,000 初回 add-on of the 10th, the child's first visit at the facility.
        assert [(s["month"], s["fee_yen"]) for s in statements.json()] == [("2026-11", 360)]
        async with ctx.sessions() as session:
            claimed = await session.scalar(
                sa.text("SELECT sum(total_yen) FROM claims WHERE month = '2026-11'")
            )
        assert claimed == 2800 + 2000
    finally:
        await client.aclose()
        await app.state.engine.dispose()


async def test_reconcile_refuses_to_guess_without_booking(
    new_database: Any,
) -> None:
    url = await new_database("billing")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    env = {"TSUEN_DATABASE_URL": url}
    no_token = await run_command("tsuen-billing", "reconcile", "--month", "2026-11", env=env)
    assert no_token.returncode == 2
    # Booking unreachable: exit 2 (not "no differences").
    env |= {"TSUEN_BOOKING_API_TOKEN": "a-token", "TSUEN_BOOKING_API_URL": "http://127.0.0.1:9"}
    unreachable = await run_command("tsuen-billing", "reconcile", "--month", "2026-11", env=env)
    assert unreachable.returncode == 2

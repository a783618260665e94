"""Schemathesis against billing's API for every role, with a closed month in the database: no
answer is a server error, and every status and body is the one the OpenAPI document declares."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import httpx

from tests.integration.billing.stack import price_dir
from tests.integration.booking.support import ISSUER, VERIFIER, Clock
from tests.integration.fuzz_support import (
    CHIYODA,
    CONFORMANCE,
    SERVER_ERRORS,
    bearer_headers,
    fuzz,
    role_principals,
)
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

FACILITY_ID = "7a1c0e52-1f0b-4a53-9d6c-000000000101"
GUARDIAN_ID = "00000000-0000-4000-8000-0000000000a1"


async def test_billing_api_answers_no_server_error(new_database: Any, tmp_path: Path) -> None:
    url = await new_database("billing")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    settings = Settings(database_url=url, billing_prices_dir=price_dir(tmp_path))
    app = create(settings, verifier=VERIFIER, clock=Clock(datetime(2027, 7, 1, tzinfo=JST)))
    ctx = app.state.billing
    child = uuid.uuid4()
    certified = ChildCertified(
        certification_id=uuid.uuid4(),
        child_id=child,
        guardian_id=uuid.UUID(GUARDIAN_ID),
        guardian_email="hogosha@example.jp",
        certificate_number="C-1",
        valid_from=date(2027, 4, 1),
        valid_until=date(2028, 3, 31),
        birth_date=date(2026, 1, 10),
    )
    day = date(2027, 6, 8)
    settled = BookingSettled(
        booking_id=uuid.uuid4(),
        child_id=child,
        guardian_id=uuid.UUID(GUARDIAN_ID),
        facility_id=uuid.UUID(FACILITY_ID),
        facility_name="ちよだ保育園",
        kind=BookingKind.FLEXIBLE,
        use_date=day,
        starts_at=datetime.combine(day, time(10), JST),
        ends_at=datetime.combine(day, time(11), JST),
        status=SettlementStatus.USED,
        booked_minutes_consumed=60,
    )
    async with ctx.sessions() as session, session.begin():
        await usage.on_child_certified(
            session,
            EventEnvelope.wrap(certified, municipality=CHIYODA, producer="eligibility"),
            certified,
        )
        await usage.on_booking_settled(
            session, EventEnvelope.wrap(settled, municipality=CHIYODA, producer="booking"), settled
        )
    await close_month(ctx, "2027-06")
    principals = role_principals(facility_id=FACILITY_ID, guardian_id=GUARDIAN_ID)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://billing.test"
    )
    try:
        report = await fuzz(
            client,
            bearer_headers(ISSUER, principals),
            checks=SERVER_ERRORS + CONFORMANCE,
            path_parameters={"code": CHIYODA, "facility_id": FACILITY_ID},
        )
    finally:
        await client.aclose()
        await app.state.engine.dispose()
    assert report.failures == [], report.summary()

"""Booking rush's data: the facilities, children and acceptances it sets up through booking's
own code (not timed), the requests it plans, and the checks it makes in SQL after a run (no
overbooking, no overdraw, the ledger reconciles, 201s = booking rows). Shared with
``bench.overload``, ``bench.profile`` and the chaos suite (tests/chaos)."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from bench.stack import Call, token
from tsuen_booking.adapters import repository as repo
from tsuen_booking.service_layer import acceptance
from tsuen_booking.service_layer import facilities as facility_cases
from tsuen_booking.service_layer import quota as quota_cases
from tsuen_booking.service_layer.commands import FacilitySpec
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.events import EventHandlers
from tsuen_common.auth import Principal, Role
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.timeutil import today_jst

CHIYODA, KAKEGAWA = "131016", "222135"
HOURS = range(8, 18)  # 08:00–18:00, one-hour bookings
PER_CHILD = 11  # 10 fit the monthly cap of 600 minutes


@dataclass(frozen=True)
class Kid:
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    municipality: str
    facility_id: uuid.UUID

    def headers(self) -> dict[str, str]:
        principal = Principal(
            subject=str(self.guardian_id),
            role=Role.GUARDIAN,
            municipality=self.municipality,
            guardian_id=str(self.guardian_id),
        )
        return {"Authorization": f"Bearer {token(principal)}"}


def target_month(today: date) -> date:
    """The first day of the month after next: wholly in the future, whatever today is."""
    first = date(today.year + (today.month + 1) // 12, (today.month + 1) % 12 + 1, 1)
    return first


def facility_spec(i: int, places: int) -> FacilitySpec:
    hours = {"open": "08:00", "close": "18:00"}
    return FacilitySpec.model_validate(
        {
            "name": f"ベンチ保育園{i}",
            "kana": "ベンチホイクエン",
            "address": "東京都千代田区九段南1-2-1",
            "facility_type": "licensed_nursery",
            "email": f"en{i}@example.jp",
            "opening_hours": {str(d): hours for d in range(5)},
            "places_per_slot": places,
        }
    )


async def open_days(ctx: Context, facility_id: uuid.UUID, month: date) -> list[date]:
    async with ctx.sessions() as session:
        frow = await repo.facility_row(session, facility_id)
    assert frow is not None
    facility = repo.facility_from_row(frow)
    days, day = [], month
    while day.month == month.month:
        if facility.hours_on(day) is not None:
            days.append(day)
        day += timedelta(days=1)
    return days


async def setup(
    ctx: Context, facilities: int, places: int, children: int, month: date
) -> tuple[list[uuid.UUID], list[Kid]]:
    """Facilities and accepted, certified children through the service's own use cases."""
    fids = []
    for i in range(facilities):
        code = (CHIYODA, KAKEGAWA)[i % 2]
        officer = Principal(subject="bench", role=Role.MUNICIPALITY_OFFICER, municipality=code)
        out = await facility_cases.register(
            ctx, officer, municipality=code, spec=facility_spec(i, places)
        )
        fids.append(out["id"])
    codes = {f: (CHIYODA, KAKEGAWA)[i % 2] for i, f in enumerate(fids)}
    today = today_jst()
    handlers = EventHandlers(ctx)
    kids = [
        Kid(uuid.uuid4(), uuid.uuid4(), codes[fids[i % facilities]], fids[i % facilities])
        for i in range(children)
    ]
    gate = asyncio.Semaphore(8)

    async def one(kid: Kid) -> None:
        async with gate:
            event = ChildCertified(
                certification_id=uuid.uuid4(),
                child_id=kid.child_id,
                guardian_id=kid.guardian_id,
                guardian_email="hogosha@example.jp",
                certificate_number="B-0001",
                valid_from=today,
                valid_until=today + timedelta(days=365),
                birth_date=month - timedelta(days=500),
            )
            envelope = EventEnvelope.wrap(event, municipality=kid.municipality, producer="bench")
            async with ctx.sessions() as session, session.begin():
                await handlers.child_certified(session, envelope, event)
            # Seeded children have no interview: the officer's audited acceptance stands in.
            officer = Principal(
                subject="bench-officer",
                role=Role.MUNICIPALITY_OFFICER,
                municipality=kid.municipality,
            )
            await acceptance.record_acceptance(
                ctx, officer, kid.facility_id, kid.child_id, True, "bench seed"
            )

    await asyncio.gather(*(one(k) for k in kids))
    return fids, kids


def booking_call(
    kid: Kid, day: date, hour: int, headers: dict[str, str], *, keyed: bool = True
) -> Call:
    """One booking, with an Idempotency-Key as every real client sends (issue 18) unless
    ``keyed`` is off (``--no-idempotency-keys``: what the keys cost)."""
    if keyed:
        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    return Call(
        "POST",
        "/v1/bookings",
        headers,
        {
            "facility_id": str(kid.facility_id),
            "child_id": str(kid.child_id),
            "use_date": day.isoformat(),
            "start": f"{hour:02d}:00",
            "end": f"{hour + 1:02d}:00",
        },
    )


def plan_work(
    plan: str, kids: list[Kid], days: list[date], day: int, rng: random.Random
) -> list[tuple[Kid, date, int]]:
    """The phase's requests for ``kids`` (``day``: which open day the hot slot is on)."""
    work: list[tuple[Kid, date, int]] = []
    if plan == "spread":
        # Blocks of 32 children, each block's requests shuffled: a child's 11 requests are in
        # flight close together (they race for its month), and a time limit cuts whole blocks.
        for b in range(0, len(kids), 32):
            block = []
            for kid in kids[b : b + 32]:
                picks = rng.sample([(d, h) for d in days for h in HOURS], PER_CHILD)
                block += [(kid, d, h) for d, h in picks]
            rng.shuffle(block)
            work += block
    else:  # hot: everyone wants 09:00–10:00 on the same open day
        work = [(kid, days[day], 9) for kid in kids]
    return work


# -- checks -------------------------------------------------------------------------------------

CHECKS = {
    "cells over places": "SELECT count(*) FROM facility_slots WHERE taken > places",
    "cells whose taken differs from their bookings": """
        SELECT count(*) FROM facility_slots s
        WHERE s.taken <> (SELECT count(*) FROM bookings b
            WHERE b.facility_id = s.facility_id AND b.use_date = s.use_date
              AND b.status IN ('confirmed', 'in_use')
              AND b.start_time <= s.cell_start AND b.end_time > s.cell_start)""",
    "months over credit": """
        SELECT count(*) FROM quota_months
        WHERE held_national + consumed_national > cap_minutes
           OR held_topup + consumed_topup > topup_minutes""",
    "months whose held differs from their bookings": """
        SELECT count(*) FROM quota_months m
        WHERE m.held_national + m.held_topup <> (SELECT coalesce(sum(held_national + held_topup), 0)
            FROM bookings b WHERE b.child_id = m.child_id AND b.status IN ('confirmed', 'in_use')
              AND to_char(b.use_date, 'YYYY-MM') = m.month)""",
}


async def check(ctx: Context, dsn: str, created: int) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        found = {name: int(await conn.fetchval(sql)) for name, sql in CHECKS.items()}
        rows = int(await conn.fetchval("SELECT count(*) FROM bookings"))
    finally:
        await conn.close()
    found["201s not matching booking rows"] = abs(rows - created)
    _, differences = await quota_cases.reconcile(ctx)
    found["ledger differences (reconcile)"] = len(differences)
    return found

"""Quick refusals under overload (issue 18): a worker carries at most
``max_requests_in_flight`` requests; the next is answered at once with 503 + Retry-After and
the shared error body, while health stays answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, VERIFIER, Harness, auth
from tests.integration.conftest import eventually
from tsuen_booking.config import Settings
from tsuen_booking.entrypoints.app import build

HELD = 2
DAY = date(2027, 6, 9)


@pytest.fixture
async def small(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """A second worker of the service on the same database, carrying at most HELD requests."""
    settings = Settings(database_url=harness.url, max_requests_in_flight=HELD)
    app = build(settings, verifier=VERIFIER, clock=harness.clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://booking.test"
    ) as client:
        yield client
    await app.state.ctx.close()


async def test_beyond_the_bound_the_answer_is_an_immediate_503(
    harness: Harness, small: httpx.AsyncClient
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=5)
    children = [await harness.certify(KAKEGAWA) for _ in range(HELD)]
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)

    async with harness.ctx.sessions() as session, session.begin():
        # A facility change in progress holds the facility's row: bookings there wait for it.
        await session.execute(
            sa.text("SELECT 1 FROM facilities WHERE id = :f FOR UPDATE"), {"f": facility}
        )
        held = [
            asyncio.create_task(
                small.post(
                    "/v1/bookings",
                    json={
                        "facility_id": str(facility),
                        "child_id": str(child.child_id),
                        "use_date": DAY.isoformat(),
                        "start": "10:00",
                        "end": "11:00",
                    },
                    headers=auth(child.principal),
                )
            )
            for child in children
        ]
        await eventually(lambda: _waiting_on_locks(harness, HELD), what=f"{HELD} bookings waiting")

        refused = await small.get(f"/v1/facilities/{facility}", headers=auth(children[0].principal))
        health = await small.get("/healthz")

    answers = await asyncio.gather(*held)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "overloaded"
    assert refused.json()["message_ja"]
    assert health.status_code == 200
    assert [a.status_code for a in answers] == [201] * HELD, [a.text for a in answers]
    after = await small.get(f"/v1/facilities/{facility}", headers=auth(children[0].principal))
    assert after.status_code == 200  # the bound frees as requests finish


async def _waiting_on_locks(harness: Harness, count: int) -> bool:
    waiting = await harness.scalar(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    return int(waiting) >= count

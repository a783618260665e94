"""`reconcile`: the nightly proof that every month's counters are its ledger entries added up."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, Harness
from tsuen_booking.service_layer.quota import reconcile


@pytest.mark.parametrize("batch", [1, 4, 100])
async def test_reconcile_finds_every_difference_whatever_its_batch(
    harness: Harness, batch: int
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    children = [await harness.certify(KAKEGAWA) for _ in range(3)]
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)
        for day in (date(2027, 6, 9), date(2027, 7, 7)):
            booked = await harness.book(child, facility, day, time(10), time(12))
            assert booked.status_code == 201, booked.text
    assert await reconcile(harness.ctx, batch=batch) == (6, [])

    tampered, orphaned = children[1], children[2]
    async with harness.ctx.sessions() as session, session.begin():
        # A counter edited behind the ledger's back, and an entry whose month account is gone.
        await session.execute(
            sa.text(
                "UPDATE quota_months SET held_national = held_national - 60 "
                "WHERE child_id = :child AND month = '2027-07'"
            ),
            {"child": tampered.child_id},
        )
        await session.execute(
            sa.text(
                "INSERT INTO quota_entries (idempotency_key, child_id, month, municipality, "
                "booking_id, kind, balance, minutes) "
                "SELECT 'stray', child_id, '2027-08', municipality, booking_id, kind, balance, "
                "minutes FROM quota_entries WHERE child_id = :child LIMIT 1"
            ),
            {"child": orphaned.child_id},
        )
    checked, differences = await reconcile(harness.ctx, batch=batch)
    assert checked == 6
    assert [(d.child_id, d.month) for d in differences] == [
        (tampered.child_id, "2027-07"),
        (orphaned.child_id, "2027-08"),
    ]
    assert differences[0].problem.startswith("stored held")
    assert differences[1].problem == "entries without a month account"

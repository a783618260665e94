"""Group commit (issue 20's experiment): ``book_uses`` decides a batch of ``book_use`` calls in
arrival order, each item exactly as its own call would have been, on a real PostgreSQL.

The calls are built by the same pure decision as an HTTP booking (``hot_path.decide``); the HTTP
suites run with the setting on as well (``TSUEN_BOOKING_GROUP_COMMIT_MS=0``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date, time

import sqlalchemy as sa

from tests.integration.booking.support import KAKEGAWA, NOW, Child, Harness
from tsuen_booking.adapters import hot_path_sql as sql
from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.group_commit import GroupCommit
from tsuen_booking.service_layer import hot_path
from tsuen_common.events.booking import BookingKind
from tsuen_common.idempotency import Claim, DuplicateRequest, claimed

DAY = date(2027, 6, 9)  # a Wednesday
DAYS = [date(2027, 6, d) for d in (7, 8, 9, 10, 11, 14)]


async def call_for(
    harness: Harness,
    facility: uuid.UUID,
    child: Child,
    start: time,
    end: time,
    *,
    day: date = DAY,
    facility_version: int | None = None,
) -> sql.BookUse:
    async with sql.connection(hot_path.engine_of(harness.ctx)) as conn:
        snapshot = await sql.read(conn, facility, child.child_id)
    assert snapshot.facility is not None
    assert snapshot.child is not None
    _, call = hot_path.decide(
        harness.ctx,
        facility=repo.facility_from_row(snapshot.facility),
        child=snapshot.child,
        accepted=snapshot.accepted,
        use_date=day,
        start=start,
        end=end,
        kind=BookingKind.FLEXIBLE,
        by_proxy=False,
        now=NOW,
        versions=(facility_version or snapshot.facility_version, snapshot.child_version),
    )
    return call


async def outcome(grouped: GroupCommit, call: sql.BookUse) -> object:
    try:
        return await grouped.book_use(call)
    except sql.Refused as refused:
        return str(refused)
    except DuplicateRequest:
        return "duplicate"


async def accepted_children(harness: Harness, facility: uuid.UUID, n: int) -> list[Child]:
    children = [await harness.certify(KAKEGAWA) for _ in range(n)]
    for child in children:
        await harness.accept(KAKEGAWA, facility, child)
    return children


async def test_one_call_decides_a_batch_in_order_and_a_refusal_undoes_only_itself(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=2)
    first, second, third, fourth = await accepted_children(harness, facility, 4)
    calls = [
        await call_for(harness, facility, first, time(10), time(12)),
        await call_for(harness, facility, second, time(11), time(12)),
        await call_for(harness, facility, third, time(9), time(12)),  # 11:00 is full by now
        await call_for(harness, facility, first, time(11), time(13)),  # overlaps its own first
        await call_for(harness, facility, fourth, time(9), time(10), facility_version=1),
    ]
    grouped = GroupCommit(hot_path.engine_of(harness.ctx))

    answers = await asyncio.gather(*(outcome(grouped, c) for c in calls))

    assert (grouped.calls, grouped.items) == (1, 5)
    assert answers == [(120, 0), (60, 0), "full:11:00:00", "clash", "stale"]
    slots = await harness.scalar(
        "SELECT json_object_agg(cell_start::text, taken ORDER BY cell_start) "
        "FROM facility_slots WHERE facility_id = :f",
        f=facility,
    )
    # 09:00 was created for the third child's batch lock and, never taken, removed again.
    assert slots == {"10:00:00": 1, "11:00:00": 2}
    months = await harness.scalar("SELECT array_agg(child_id ORDER BY child_id) FROM quota_months")
    assert months == sorted([first.child_id, second.child_id])
    assert await harness.scalar("SELECT count(*) FROM bookings") == 2
    assert (
        await harness.scalar(
            "SELECT count(*) FROM outbox WHERE event_type = 'booking.BookingConfirmed'"
        )
        == 2
    )


async def test_a_duplicate_key_fails_its_item_and_no_other(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=2)
    child, other = await accepted_children(harness, facility, 2)
    grouped = GroupCommit(hot_path.engine_of(harness.ctx))
    claim = ("guardian", "key-1", "fingerprint")

    async def with_key(call: sql.BookUse) -> object:
        with claimed(Claim(*claim)) as mine:
            answer = await outcome(grouped, call)
            assert mine.recorded == (answer != "duplicate")
            return answer

    answers = await asyncio.gather(
        with_key(await call_for(harness, facility, child, time(10), time(11))),
        with_key(await call_for(harness, facility, child, time(14), time(15))),
        outcome(grouped, await call_for(harness, facility, other, time(10), time(11))),
    )

    assert grouped.calls == 1
    assert answers == [(60, 0), "duplicate", (60, 0)]
    assert await harness.scalar("SELECT count(*) FROM idempotency_keys") == 1
    assert await harness.scalar("SELECT count(*) FROM bookings") == 2


async def test_rows_there_before_the_batch_stay_when_its_item_is_refused(
    harness: Harness,
) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=1)
    (child,) = await accepted_children(harness, facility, 1)
    booked = await harness.book(child, facility, DAY, time(10), time(11))
    assert booked.status_code == 201, booked.text
    async with harness.ctx.sessions() as session, session.begin():
        # As a cell looks once its bookings were cancelled: there, and empty.
        await session.execute(sa.text("UPDATE facility_slots SET taken = 0"))
    grouped = GroupCommit(hot_path.engine_of(harness.ctx))

    again = await call_for(harness, facility, child, time(10), time(11))
    assert await outcome(grouped, again) == "clash"

    # Only rows the batch itself created are removed again.
    assert await harness.scalar("SELECT count(*) FROM facility_slots") == 1
    assert await harness.scalar("SELECT count(*) FROM quota_months") == 1


async def test_two_processes_batching_crossed_cells_never_deadlock(harness: Harness) -> None:
    """Two processes' batches name the same two cells, item after item in opposite orders:
    locked item by item, they would wait for each other (PostgreSQL's deadlock check after 1 s,
    then 40P01 for one of them, which this test would meet as an error). A third transaction
    holds both facilities while the batches arrive, so that they really run at once."""
    east = await harness.register(KAKEGAWA, places_per_slot=6)
    west = await harness.register(KAKEGAWA, places_per_slot=6)
    children = await accepted_children(harness, east, 20)
    for child in children:
        await harness.accept(KAKEGAWA, west, child)
    one = GroupCommit(hot_path.engine_of(harness.ctx))
    two = GroupCommit(hot_path.engine_of(harness.ctx))
    # 10:00 at the east facility, 09:00 at the west one, alternately (opposite in the second).
    spans = [(east, time(10), time(11)), (west, time(9), time(10))]

    async def crossing(day: date, order: int, who: list[Child]) -> list[sql.BookUse]:
        calls = []
        for i, child in enumerate(who):
            facility, start, end = spans[(i + order) % 2]
            calls.append(await call_for(harness, facility, child, start, end, day=day))
        return calls

    for day in DAYS:
        first = await crossing(day, 0, children[:10])
        second = await crossing(day, 1, children[10:])
        async with sql.connection(hot_path.engine_of(harness.ctx)) as blocker:
            held = blocker.transaction()
            await held.start()
            await blocker.execute(
                "SELECT 1 FROM facilities WHERE id = ANY($1) FOR UPDATE", [east, west]
            )
            both = asyncio.gather(
                *(outcome(one, call) for call in first), *(outcome(two, call) for call in second)
            )
            await asyncio.sleep(0.3)  # both batches sent and waiting
            await held.rollback()
            answers = await both

        assert Counter(answers) == {(60, 0): 12, "full:09:00:00": 4, "full:10:00:00": 4}
    assert (one.calls, two.calls) == (len(DAYS), len(DAYS))
    assert await harness.scalar("SELECT sum(taken) FROM facility_slots") == 12 * len(DAYS)

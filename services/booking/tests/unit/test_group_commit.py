"""Group commit's gathering without a database: what goes in one ``book_uses`` call, and how
each item's row becomes its request's answer (the SQL itself: tests/integration/booking)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from tsuen_booking.adapters import group_commit
from tsuen_booking.adapters import hot_path_sql as sql
from tsuen_booking.adapters.group_commit import GroupCommit
from tsuen_common.idempotency import Claim, DuplicateRequest, claimed

CALL = sql.BookUse(
    facility_id=uuid.uuid4(),
    facility_version=1,
    child_id=uuid.uuid4(),
    child_version=1,
    booking_id=uuid.uuid4(),
    municipality="222135",
    child_municipality="222135",
    guardian_id=uuid.uuid4(),
    kind="flexible",
    plan_id=None,
    use_date=date(2027, 6, 9),
    start=time(10),
    end=time(11),
    starts_at=datetime(2027, 6, 9, 1, tzinfo=UTC),
    ends_at=datetime(2027, 6, 9, 2, tzinfo=UTC),
    cell_minutes=60,
    minutes=60,
    at_home=True,
    by_proxy=False,
    month="2027-06",
    cap_minutes=600,
    topup_minutes=0,
    cells=[time(10)],
    places=[2],
    event_id=uuid.uuid4(),
    event_type="booking.BookingConfirmed",
    topic="booking",
    message_key="k",
    event=b"{}",
    headers="{}",
)


class FakeDatabase:
    """Answers each item by its ``minutes``: 1 → refused quota, 2 → duplicate, else held."""

    def __init__(self, error: Exception | None = None) -> None:
        self.batches: list[list[tuple[Any, ...]]] = []
        self.error = error
        self.release = asyncio.Event()
        self.release.set()

    async def fetch(self, query: str, items: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        self.batches.append(items)
        await self.release.wait()
        if self.error is not None:
            raise self.error
        minutes = [f.name for f in fields(sql.BookUse)].index("minutes")
        return [self.row(item[minutes]) for item in items]

    @staticmethod
    def row(minutes: int) -> dict[str, Any]:
        refused = {1: "quota:0", 2: "duplicate"}.get(minutes)
        held = None if refused else minutes
        return {"held_national": held, "held_topup": 0 if held else None, "refused": refused}


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch) -> FakeDatabase:
    fake = FakeDatabase()

    @asynccontextmanager
    async def connection(engine: Any) -> AsyncIterator[FakeDatabase]:
        yield fake

    monkeypatch.setattr(group_commit.sql, "connection", connection)
    return fake


async def answer(grouped: GroupCommit, minutes: int) -> object:
    try:
        return await grouped.book_use(replace(CALL, minutes=minutes))
    except sql.Refused as refused:
        return str(refused)
    except DuplicateRequest:
        return "duplicate"


async def test_requests_arriving_together_go_as_one_call_answered_in_order(
    database: FakeDatabase,
) -> None:
    grouped = GroupCommit(engine=None)  # type: ignore[arg-type]

    answers = await asyncio.gather(*(answer(grouped, m) for m in (60, 1, 120)))

    assert answers == [(60, 0), "quota:0", (120, 0)]
    assert len(database.batches) == 1
    assert (grouped.calls, grouped.items) == (1, 3)


async def test_what_arrives_while_a_call_is_in_flight_is_the_next_batch(
    database: FakeDatabase,
) -> None:
    grouped = GroupCommit(engine=None)  # type: ignore[arg-type]
    database.release.clear()
    first = asyncio.ensure_future(answer(grouped, 60))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(answer(grouped, m)) for m in (30, 90)]
    await asyncio.sleep(0)
    database.release.set()

    assert [await first, *[await a for a in later]] == [(60, 0), (30, 0), (90, 0)]
    assert [len(b) for b in database.batches] == [1, 2]


async def test_a_batch_never_exceeds_the_limit(database: FakeDatabase) -> None:
    grouped = GroupCommit(engine=None)  # type: ignore[arg-type]
    n = group_commit._LIMIT + 5

    await asyncio.gather(*(answer(grouped, 60) for _ in range(n)))

    assert [len(b) for b in database.batches] == [group_commit._LIMIT, 5]


async def test_the_key_is_recorded_only_for_an_item_that_committed(
    database: FakeDatabase,
) -> None:
    grouped = GroupCommit(engine=None)  # type: ignore[arg-type]

    async def keyed(minutes: int) -> tuple[object, Claim]:
        with claimed(Claim("caller", f"key-{minutes}", "fp")) as claim:
            return await answer(grouped, minutes), claim

    (ok, ok_claim), (dup, dup_claim) = await asyncio.gather(keyed(60), keyed(2))

    assert (ok, ok_claim.recorded) == ((60, 0), True)
    assert (dup, dup_claim.recorded) == ("duplicate", False)
    assert database.batches[0][0][-3:] == ("caller", "key-60", "fp")


async def test_an_error_of_the_whole_call_is_every_items(database: FakeDatabase) -> None:
    database.error = ConnectionError("lost")
    grouped = GroupCommit(engine=None)  # type: ignore[arg-type]

    answers = await asyncio.gather(*(answer(grouped, 60) for _ in range(3)), return_exceptions=True)

    assert [type(a) for a in answers] == [ConnectionError] * 3

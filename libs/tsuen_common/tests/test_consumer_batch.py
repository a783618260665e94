"""EventConsumer.process_batch without I/O: a fake session records what a real one would do."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from tsuen_common.events.eligibility import ApplicationRejected, ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.messaging.consumer import BatchHandler, EventConsumer, Outcome
from tsuen_common.messaging.dead_letters import Delivery


class FakeDatabase:
    """Stands in for the inbox and an effects table: remembers what committed, like the real
    one, and forgets what a rolled-back transaction wrote."""

    def __init__(self) -> None:
        self.inbox: set[uuid.UUID] = set()
        self.effects: list[uuid.UUID] = []
        self.statements = 0


class FakeSession:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.claimed: set[uuid.UUID] = set()
        self.effects: list[uuid.UUID] = []

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        # `async with sessions() as s, s.begin()` exits twice: commit once, on success only.
        if exc_type is None:
            self.db.inbox |= self.claimed
            self.db.effects += self.effects
        self.claimed, self.effects = set(), []

    def begin(self) -> FakeSession:
        return self

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        self.db.statements += 1
        assert params is not None, "only the inbox claim is faked"
        fresh = []
        for event_id in params["event_ids"]:
            if event_id not in self.db.inbox and event_id not in self.claimed:
                self.claimed.add(event_id)
                fresh.append((event_id,))
        return _Result(fresh)


class _Result:
    def __init__(self, rows: list[tuple[uuid.UUID]]) -> None:
        self.rows = rows

    def __iter__(self) -> Any:
        return iter(self.rows)

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


class FakeDeadLetters:
    def __init__(self) -> None:
        self.offsets: list[int] = []

    async def publish(self, delivery: Delivery, **_: object) -> None:
        self.offsets.append(delivery.offset)


def submitted() -> EventEnvelope:
    return EventEnvelope.wrap(
        ApplicationSubmitted(application_id=uuid.uuid4()), municipality="131016", producer="t"
    )


def rejected() -> EventEnvelope:
    return EventEnvelope.wrap(
        ApplicationRejected(application_id=uuid.uuid4(), reason="r"),
        municipality="131016",
        producer="t",
    )


def deliveries(*envelopes: EventEnvelope) -> list[Delivery]:
    return [Delivery("t", 0, offset, None, env.to_bytes()) for offset, env in enumerate(envelopes)]


def make_consumer(db: FakeDatabase, handlers: dict[type, Any]) -> EventConsumer:
    return EventConsumer(
        name="c",
        sessions=lambda: FakeSession(db),  # type: ignore[arg-type,return-value]
        handlers=handlers,
        dead_letters=FakeDeadLetters(),  # type: ignore[arg-type]
        max_attempts=2,
        backoff_seconds=0,
    )


async def test_a_poll_claims_its_events_in_one_statement_and_skips_repeats() -> None:
    db = FakeDatabase()
    handled: list[uuid.UUID] = []

    async def handler(session: FakeSession, envelope: EventEnvelope, payload: Any) -> None:
        handled.append(envelope.event_id)

    consumer = make_consumer(db, {ApplicationSubmitted: handler})
    a, b = submitted(), submitted()
    outcomes = await consumer.process_batch(deliveries(a, b, a))
    assert outcomes == [Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE]
    assert handled == [a.event_id, b.event_id]
    assert db.statements == 1  # one inbox round trip for the whole poll

    # A redelivery of the same poll (after a crash before the offset commit) does nothing.
    again = await consumer.process_batch(deliveries(a, b))
    assert again == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert handled == [a.event_id, b.event_id]


async def test_a_batch_handler_gets_a_polls_new_events_at_once_each_exactly_once() -> None:
    db = FakeDatabase()
    calls: list[list[uuid.UUID]] = []

    async def record_many(
        session: FakeSession, events: Sequence[tuple[EventEnvelope, Any]]
    ) -> None:
        calls.append([env.event_id for env, _ in events])
        session.effects += [env.event_id for env, _ in events]

    consumer = make_consumer(db, {ApplicationSubmitted: BatchHandler(record_many)})
    a, b, c = submitted(), submitted(), submitted()
    outcomes = await consumer.process_batch(deliveries(a, b, a, c))
    assert outcomes == [Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE, Outcome.PROCESSED]
    assert calls == [[a.event_id, b.event_id, c.event_id]]  # one call, in poll order

    # The next poll: a and c again (redelivered), d new.
    d = submitted()
    outcomes = await consumer.process_batch(deliveries(c, d, a))
    assert outcomes == [Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE]
    assert calls[1:] == [[d.event_id]]
    assert db.effects == [a.event_id, b.event_id, c.event_id, d.event_id]


async def test_batch_runs_never_reorder_events_across_handlers() -> None:
    db = FakeDatabase()
    applied: list[tuple[str, uuid.UUID]] = []

    async def submitted_many(
        session: FakeSession, events: Sequence[tuple[EventEnvelope, Any]]
    ) -> None:
        applied.extend(("batch", env.event_id) for env, _ in events)

    async def on_rejected(session: FakeSession, envelope: EventEnvelope, payload: Any) -> None:
        applied.append(("one", envelope.event_id))

    consumer = make_consumer(
        db, {ApplicationSubmitted: BatchHandler(submitted_many), ApplicationRejected: on_rejected}
    )
    s1, r1, s2, s3 = submitted(), rejected(), submitted(), submitted()
    await consumer.process_batch(deliveries(s1, r1, s2, s3))
    # s1 is applied before r1, and s2, s3 after it: the poll's order, not grouped by type.
    assert applied == [
        ("batch", s1.event_id),
        ("one", r1.event_id),
        ("batch", s2.event_id),
        ("batch", s3.event_id),
    ]


async def test_a_failing_batch_falls_back_to_one_by_one_and_dead_letters_only_the_bad_event() -> (
    None
):
    db = FakeDatabase()
    a, bad, c = submitted(), submitted(), submitted()
    calls: list[int] = []

    async def record_many(
        session: FakeSession, events: Sequence[tuple[EventEnvelope, Any]]
    ) -> None:
        calls.append(len(events))
        if any(env.event_id == bad.event_id for env, _ in events):
            raise RuntimeError("simulated handler failure")
        session.effects += [env.event_id for env, _ in events]

    consumer = make_consumer(db, {ApplicationSubmitted: BatchHandler(record_many)})
    outcomes = await consumer.process_batch(deliveries(a, bad, c))
    assert outcomes == [Outcome.PROCESSED, Outcome.DEAD_LETTERED, Outcome.PROCESSED]
    # The batch (3), then one by one: a, bad twice (max_attempts=2), c.
    assert calls == [3, 1, 1, 1, 1]
    assert db.effects == [a.event_id, c.event_id]  # the rolled-back batch left nothing
    assert db.inbox == {a.event_id, c.event_id}
    assert consumer.dead_letters.offsets == [1]  # type: ignore[attr-defined]


async def test_a_batch_handler_is_also_a_per_event_handler() -> None:
    got: list[Sequence[tuple[EventEnvelope, Any]]] = []

    async def record_many(session: Any, events: Sequence[tuple[EventEnvelope, Any]]) -> None:
        got.append(events)

    a = submitted()
    await BatchHandler(record_many)(None, a, "payload")  # type: ignore[arg-type]
    assert got == [[(a, "payload")]]


@pytest.mark.parametrize("size", [1, 2])
async def test_undecodable_records_still_go_one_by_one(size: int) -> None:
    db = FakeDatabase()
    handled: list[uuid.UUID] = []

    async def handler(session: FakeSession, envelope: EventEnvelope, payload: Any) -> None:
        handled.append(envelope.event_id)

    consumer = make_consumer(db, {ApplicationSubmitted: handler})
    a = submitted()
    poison = Delivery("t", 0, 9, None, b"{not json")
    batch = [poison] if size == 1 else [*deliveries(a), poison]
    outcomes = await consumer.process_batch(batch)
    assert outcomes[-1] is Outcome.DEAD_LETTERED
    assert handled == ([] if size == 1 else [a.event_id])

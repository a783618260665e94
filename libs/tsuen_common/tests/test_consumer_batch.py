"""EventConsumer.process_batch without I/O: a fake session records what a real one would do."""

from __future__ import annotations

import uuid
from typing import Any

from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.messaging.consumer import EventConsumer, Outcome
from tsuen_common.messaging.dead_letters import Delivery


class FakeInbox:
    """Stands in for the inbox table: remembers ids across transactions, like the real one."""

    def __init__(self) -> None:
        self.ids: set[uuid.UUID] = set()
        self.statements = 0


class FakeSession:
    def __init__(self, inbox: FakeInbox) -> None:
        self.inbox = inbox

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def begin(self) -> FakeSession:
        return self

    async def execute(self, statement: Any) -> Any:
        self.inbox.statements += 1
        rows = statement.compile().params
        ids = [v for k, v in rows.items() if k.startswith("event_id")]
        fresh = []
        for event_id in ids:
            if event_id not in self.inbox.ids:
                self.inbox.ids.add(event_id)
                fresh.append((event_id,))
        return _Result(fresh)


class _Result:
    def __init__(self, rows: list[tuple[uuid.UUID]]) -> None:
        self.rows = rows

    def __iter__(self) -> Any:
        return iter(self.rows)

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


def delivery(env: EventEnvelope, offset: int) -> Delivery:
    return Delivery("t", 0, offset, None, env.to_bytes())


async def test_a_poll_claims_its_events_in_one_statement_and_skips_repeats() -> None:
    inbox = FakeInbox()
    handled: list[uuid.UUID] = []

    async def handler(session: Any, envelope: EventEnvelope, payload: Any) -> None:
        handled.append(envelope.event_id)

    consumer = EventConsumer(
        name="c",
        sessions=lambda: FakeSession(inbox),  # type: ignore[arg-type,return-value]
        handlers={ApplicationSubmitted: handler},
        dead_letters=None,  # type: ignore[arg-type]
    )
    a, b = (
        EventEnvelope.wrap(
            ApplicationSubmitted(application_id=uuid.uuid4()), municipality="131016", producer="t"
        )
        for _ in range(2)
    )
    outcomes = await consumer.process_batch([delivery(a, 0), delivery(b, 1), delivery(a, 2)])
    assert outcomes == [Outcome.PROCESSED, Outcome.PROCESSED, Outcome.DUPLICATE]
    assert handled == [a.event_id, b.event_id]
    assert inbox.statements == 1  # one inbox round trip for the whole poll

    # A redelivery of the same poll (after a crash before the offset commit) does nothing.
    again = await consumer.process_batch([delivery(a, 0), delivery(b, 1)])
    assert again == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert handled == [a.event_id, b.event_id]

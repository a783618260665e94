"""The inbox on a real PostgreSQL: one statement claims a poll, repeats included."""

from __future__ import annotations

import uuid

from tests.integration.messaging_support import create_schema
from tsuen_common.db import make_sessions
from tsuen_common.messaging.inbox import claim_event, claim_events


async def test_a_poll_with_a_repeated_and_an_already_seen_event_claims_only_the_new_ones(
    new_database,
):
    engine = await create_schema(await new_database("inbox"))
    sessions = make_sessions(engine)
    seen, fresh = uuid.uuid4(), uuid.uuid4()
    try:
        async with sessions() as session, session.begin():
            assert await claim_event(session, consumer="c", event_id=seen, event_type="x")
        async with sessions() as session, session.begin():
            claimed = await claim_events(
                session, consumer="c", events=[(seen, "x"), (fresh, "x"), (fresh, "x")]
            )
        assert claimed == {fresh}
        # Another consumer keeps its own inbox.
        async with sessions() as session, session.begin():
            assert await claim_events(session, consumer="d", events=[(seen, "x")]) == {seen}
    finally:
        await engine.dispose()

"""Idempotency-Key on booking's POSTs (issue 18): a retry whose first answer was lost gets that
answer, never a second booking and never a 409 "overlapping booking" for its own booking."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, time
from typing import Any

import httpx
import sqlalchemy as sa

from tests.integration.booking.support import (
    KAKEGAWA,
    Child,
    Harness,
    auth,
    make_app,
)
from tests.integration.conftest import run_command

WEDNESDAY = date(2027, 6, 9)


def body(
    child: Child, facility: uuid.UUID, start: time = time(10), end: time = time(11)
) -> dict[str, Any]:
    return {
        "facility_id": str(facility),
        "child_id": str(child.child_id),
        "use_date": WEDNESDAY.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


async def book(
    client: httpx.AsyncClient, child: Child, payload: dict[str, Any], key: str
) -> httpx.Response:
    return await client.post(
        "/v1/bookings", json=payload, headers={**auth(child.principal), "Idempotency-Key": key}
    )


async def ready(harness: Harness) -> tuple[uuid.UUID, Child]:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, child)
    return facility, child


async def bookings_of(harness: Harness, child: Child) -> int:
    return int(
        await harness.scalar("SELECT count(*) FROM bookings WHERE child_id = :c", c=child.child_id)
    )


async def test_a_retry_after_a_lost_answer_gets_the_first_answer(harness: Harness) -> None:
    facility, child = await ready(harness)
    key = str(uuid.uuid4())

    first = await book(harness.client, child, body(child, facility), key)
    assert first.status_code == 201, first.text
    # The answer never reached the client; it sends the same request again.
    retry = await book(harness.client, child, body(child, facility), key)

    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert await bookings_of(harness, child) == 1
    # Without a key the same retry is a new request, refused as overlapping its own booking.
    plain = await harness.book(child, facility, WEDNESDAY, time(10), time(11))
    assert plain.status_code == 409


async def test_the_same_key_for_a_different_request_is_refused(harness: Harness) -> None:
    facility, child = await ready(harness)
    key = str(uuid.uuid4())
    assert (await book(harness.client, child, body(child, facility), key)).status_code == 201

    other = await book(harness.client, child, body(child, facility, time(13), time(14)), key)

    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["message_ja"]
    assert await bookings_of(harness, child) == 1


async def test_a_key_that_is_not_printable_ascii_is_refused(harness: Harness) -> None:
    facility, child = await ready(harness)

    response = await book(harness.client, child, body(child, facility), "x" * 201)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid"
    assert await bookings_of(harness, child) == 0


async def test_keys_belong_to_their_caller(harness: Harness) -> None:
    facility, child = await ready(harness)
    sibling_family = await harness.certify(KAKEGAWA)
    await harness.accept(KAKEGAWA, facility, sibling_family)
    key = "same-key-by-chance"

    mine = await book(harness.client, child, body(child, facility), key)
    theirs = await book(harness.client, sibling_family, body(sibling_family, facility), key)

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["child_id"] == str(sibling_family.child_id)


async def test_a_crash_between_the_commit_and_the_stored_answer_still_ends_well(
    harness: Harness,
) -> None:
    facility, child = await ready(harness)
    key = str(uuid.uuid4())
    first = await book(harness.client, child, body(child, facility), key)
    assert first.status_code == 201, first.text
    # What the database holds when the process died right after the booking's commit: the key
    # row (written in the booking's transaction) without its answer.
    await _forget_answer(harness, key, age_seconds=0)

    early = await book(harness.client, child, body(child, facility), key)
    assert early.status_code == 409  # the first attempt may still be answering
    assert early.json()["code"] == "idempotency_in_flight"
    assert early.headers["retry-after"] == "1"

    await _forget_answer(harness, key, age_seconds=60)
    retry = await book(harness.client, child, body(child, facility), key)

    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["held_minutes"] == first.json()["held_minutes"]
    again = await book(harness.client, child, body(child, facility), key)
    assert again.status_code == 201  # now stored
    assert again.json() == retry.json()
    assert await bookings_of(harness, child) == 1


async def test_simultaneous_duplicates_on_two_workers_make_one_booking(harness: Harness) -> None:
    facility, child = await ready(harness)
    key = str(uuid.uuid4())
    # Two workers of the service (two apps, two pools) on the one database.
    other = make_app(harness.url, harness.clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://booking.test"
        ) as second:
            answers = await asyncio.gather(
                *(
                    book(client, child, body(child, facility), key)
                    for client in [harness.client, second] * 3
                )
            )
    finally:
        await other.state.ctx.close()

    assert await bookings_of(harness, child) == 1
    booked = [a for a in answers if a.status_code == 201]
    assert booked, [a.text for a in answers]
    assert len({a.json()["id"] for a in booked}) == 1
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409, answer.text
            assert answer.json()["code"] == "idempotency_in_flight", answer.text
            assert answer.headers["retry-after"] == "1"
    # Once the first is done, every retry gets its answer.
    final = await book(harness.client, child, body(child, facility), key)
    assert final.status_code == 201
    assert final.json()["id"] == booked[0].json()["id"]


async def test_a_cancellation_retried_gets_its_first_answer(harness: Harness) -> None:
    facility, child = await ready(harness)
    booking = (await harness.book(child, facility, WEDNESDAY, time(10), time(11))).json()
    key = str(uuid.uuid4())
    headers = {**auth(child.principal), "Idempotency-Key": key}
    url = f"/v1/bookings/{booking['id']}/cancel"

    first = await harness.client.post(url, json={"reason": "発熱"}, headers=headers)
    retry = await harness.client.post(url, json={"reason": "発熱"}, headers=headers)

    assert first.status_code == 200, first.text
    assert retry.status_code == 200
    assert retry.json() == first.json()
    plain = await harness.client.post(url, json={"reason": "発熱"}, headers=auth(child.principal))
    assert plain.status_code == 409  # what the retry got before keys


async def test_a_refusal_is_not_remembered(harness: Harness) -> None:
    facility = await harness.register(KAKEGAWA, places_per_slot=3)
    child = await harness.certify(KAKEGAWA)
    key = str(uuid.uuid4())

    refused = await book(harness.client, child, body(child, facility), key)
    assert refused.status_code in (403, 404, 409, 422), refused.text
    await harness.accept(KAKEGAWA, facility, child)
    retried = await book(harness.client, child, body(child, facility), key)

    assert retried.status_code == 201, retried.text


async def _forget_answer(harness: Harness, key: str, *, age_seconds: int) -> None:
    async with harness.ctx.sessions() as session, session.begin():
        updated = await session.execute(
            sa.text(
                "UPDATE idempotency_keys SET status = NULL, body = NULL, content_type = NULL, "
                "created_at = now() - make_interval(secs => :age) WHERE key = :key"
            ),
            {"key": key, "age": age_seconds},
        )
        assert updated.rowcount == 1  # type: ignore[attr-defined]


async def test_the_purge_command_deletes_keys_older_than_a_day(harness: Harness) -> None:
    facility, child = await ready(harness)
    assert (await book(harness.client, child, body(child, facility), "old")).status_code == 201
    assert (
        await book(harness.client, child, body(child, facility, time(13), time(14)), "new")
    ).status_code == 201
    async with harness.ctx.sessions() as session, session.begin():
        await session.execute(
            sa.text(
                "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
                "WHERE key = 'old'"
            )
        )

    done = await run_command(
        "tsuen-booking", "purge-idempotency-keys", env={"TSUEN_DATABASE_URL": harness.url}
    )

    assert done.returncode == 0, done.stderr
    assert "1 deleted" in done.stdout
    assert await harness.scalar("SELECT string_agg(key, ',') FROM idempotency_keys") == "new"

"""The sent mark and its EmailDelivered outbox row are one statement, and the notice queue takes
a poll's events in one call: on a real PostgreSQL, the event exists exactly when the mail is
marked sent, and a run of events queued twice (a redelivered poll) queues each mail once."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.notification.conftest import KAKEGAWA, write_test_policies
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed, BookingKind
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.notification import EmailDelivered
from tsuen_common.events.registry import decode
from tsuen_common.messaging import Outbox
from tsuen_common.policy import load_policies
from tsuen_common.timeutil import at_jst, now_jst, today_jst
from tsuen_notification.adapters import mail_queue
from tsuen_notification.domain.notices import Notice, RecipientKind, Template
from tsuen_notification.service_layer.handlers import queue_notices
from tsuen_notification.service_layer.outcomes import delivered_announcement

OUTBOX = Outbox(producer="notification")


@pytest.fixture
async def engine(new_database: Any) -> Any:
    engine = make_engine(await new_database.migrated("notification"), pool_size=2)
    yield engine
    await engine.dispose()


async def _queued_and_claimed(engine: AsyncEngine, count: int, sender: str) -> list[Any]:
    envelope = EventEnvelope.wrap(
        BookingConfirmed(**_confirmed_fields(uuid.uuid4(), today_jst() + timedelta(days=9))),
        municipality=KAKEGAWA,
        producer="test",
    )
    notices = [
        Notice(Template.BOOKING_CONFIRMED, f"g{i}@example.jp", RecipientKind.GUARDIAN)
        for i in range(count)
    ]
    async with engine.begin() as conn:
        assert await mail_queue.enqueue(conn, envelope, notices) == count
        return await mail_queue.claim_due(conn, sender=sender, lease_seconds=60, limit=count)


def _announcement(mail: Any, sent_at: Any) -> tuple[EventEnvelope, dict[str, Any]]:
    return delivered_announcement(OUTBOX, mail, sent_at)


async def _state(engine: AsyncEngine) -> tuple[dict[uuid.UUID, str], dict[str, int]]:
    """Each mail's status, and how many EmailDelivered rows name each notice."""
    async with engine.connect() as conn:
        statuses = {
            r.notice_id: r.status
            for r in await conn.execute(sa.text("SELECT notice_id, status FROM mail_queue"))
        }
        events = {
            r.message_key: r.n
            for r in await conn.execute(
                sa.text(
                    "SELECT message_key, count(*) AS n FROM outbox"
                    " WHERE event_type = 'notification.EmailDelivered' GROUP BY message_key"
                )
            )
        }
    return statuses, events


def _sent_iff_announced(statuses: dict[uuid.UUID, str], events: dict[str, int]) -> None:
    sent = {str(n) for n, status in statuses.items() if status == "sent"}
    assert set(events) == sent
    assert set(events.values()) <= {1}


async def test_the_event_exists_exactly_when_the_mail_is_marked_sent(engine: AsyncEngine) -> None:
    first, lost, failing, rolled_back = await _queued_and_claimed(engine, 4, sender="s1")
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    sent_at = now_jst()

    async with autocommit.connect() as conn:
        envelope, params = _announcement(first, sent_at)
        assert await mail_queue.mark_sent(
            conn, first.id, sender="s1", sent_at=sent_at, announcement=params
        )
        # A redo (the first COMMIT's answer lost with the connection): nothing more is written.
        assert not await mail_queue.mark_sent(
            conn, first.id, sender="s1", sent_at=sent_at, announcement=params
        )
        # Another sender's claim: neither the mark nor the event.
        assert not await mail_queue.mark_sent(
            conn,
            lost.id,
            sender="s2",
            sent_at=sent_at,
            announcement=_announcement(lost, sent_at)[1],
        )
        # The event's INSERT fails (its id already taken): the mark goes with it.
        _, taken = _announcement(failing, sent_at)
        await conn.execute(
            sa.text(
                "INSERT INTO outbox (event_id, event_type, topic, message_key, value)"
                " VALUES (:outbox_event_id, 'other', 't', 'k', '\\x00')"
            ),
            {"outbox_event_id": taken["outbox_event_id"]},
        )
        with pytest.raises(IntegrityError):
            await mail_queue.mark_sent(
                conn, failing.id, sender="s1", sent_at=sent_at, announcement=taken
            )
    # A crash between the statement and its COMMIT: neither survives.
    async with engine.connect() as conn:
        await conn.begin()
        assert await mail_queue.mark_sent(
            conn,
            rolled_back.id,
            sender="s1",
            sent_at=sent_at,
            announcement=_announcement(rolled_back, sent_at)[1],
        )
        await conn.rollback()

    statuses, events = await _state(engine)
    _sent_iff_announced(statuses, events)
    assert events == {str(first.notice_id): 1}
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT m.sent_at, o.value FROM mail_queue m, outbox o"
                    " WHERE m.id = :id AND o.event_id = :event_id"
                ),
                {"id": first.id, "event_id": envelope.event_id},
            )
        ).one()
    # The event's delivered_at is the row's sent_at exactly (both from one reading).
    _, payload = decode(bytes(row.value))
    assert isinstance(payload, EmailDelivered)
    assert payload.delivered_at == row.sent_at


def _confirmed_fields(booking_id: uuid.UUID, use_date: date) -> dict[str, Any]:
    return {
        "booking_id": booking_id,
        "child_id": uuid.uuid4(),
        "guardian_id": uuid.uuid4(),
        "guardian_email": f"{booking_id.hex[:8]}@example.jp",
        "facility_id": uuid.uuid4(),
        "facility_name": "たんぽぽ保育園",
        "facility_email": "tanpopo@example.jp",
        "kind": BookingKind.FLEXIBLE,
        "use_date": use_date,
        "starts_at": at_jst(use_date, time(9)),
        "ends_at": at_jst(use_date, time(12)),
        "held_minutes": 180,
    }


def _cancelled(confirmed: BookingConfirmed) -> BookingCancelled:
    return BookingCancelled(
        booking_id=confirmed.booking_id,
        child_id=confirmed.child_id,
        guardian_email=confirmed.guardian_email,
        facility_id=confirmed.facility_id,
        facility_name=confirmed.facility_name,
        facility_email=confirmed.facility_email,
        use_date=confirmed.use_date,
        starts_at=confirmed.starts_at,
        reason="予定変更",
        cancelled_by="guardian",
        timely=True,
        consumed_minutes=0,
    )


async def test_a_run_queued_twice_queues_each_mail_once_in_event_order(
    engine: AsyncEngine, tmp_path: Any
) -> None:
    """The handler without the inbox (which skips a redelivered event before it): the queue's
    notice ids alone keep a second run of the same events from queueing anything; and within a
    run a cancellation withdraws the reminder its confirmation queued just before it, while a
    confirmation re-published after its cancellation queues no reminder."""
    handler = queue_notices(load_policies(write_test_policies(tmp_path)), now_jst)
    in_ten_days = today_jst() + timedelta(days=10)
    plain = [BookingConfirmed(**_confirmed_fields(uuid.uuid4(), in_ten_days)) for _ in range(5)]
    then_cancelled = BookingConfirmed(**_confirmed_fields(uuid.uuid4(), in_ten_days))
    republished = BookingConfirmed(**_confirmed_fields(uuid.uuid4(), in_ten_days))
    payloads = [
        *plain[:2],
        then_cancelled,
        _cancelled(republished),
        *plain[2:],
        _cancelled(then_cancelled),
        republished,  # after its cancellation (a relay re-publishing an old batch)
    ]
    run = [(EventEnvelope.wrap(p, municipality=KAKEGAWA, producer="test"), p) for p in payloads]
    sessions = make_sessions(engine)
    for _ in range(2):  # the same run again, as a redelivered poll would hand it over
        async with sessions() as session, session.begin():
            await handler.handle_many(session, run)

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text("SELECT notice_id, booking_id, template, status, event_id FROM mail_queue")
            )
        ).all()
    assert len({r.notice_id for r in rows}) == len(rows)
    by_event: dict[uuid.UUID, list[str]] = {}
    for r in rows:
        by_event.setdefault(r.event_id, []).append(r.template)
    for envelope, payload in run:
        if isinstance(payload, BookingConfirmed):
            # The guardian's confirmation, the facility's copy if any, the reminder if any:
            # each template once per event.
            templates = by_event[envelope.event_id]
            assert len(templates) == len(set(templates))
            assert str(Template.BOOKING_CONFIRMED) in templates
    reminders = {r.booking_id: r.status for r in rows if r.template == Template.BOOKING_REMINDER}
    assert {reminders[p.booking_id] for p in plain} == {"pending"}
    assert reminders[then_cancelled.booking_id] == "cancelled"
    assert republished.booking_id not in reminders

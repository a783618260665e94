"""What must hold after a fault, checked in SQL, through the APIs and at the SMTP server.

Per fault window: every booking answered 201 exists (and is cancelled if its cancellation was
answered 200, in use if its check-in was), no booking of the window has a second row, and each
has exactly one 予約完了 mail (one Message-ID; a copy with the same Message-ID is the documented
resend after a kill and is counted apart). Over the whole run: no booking row nobody was
answered for, no cell over its places or off its bookings, no month over its credit or off its
bookings, ``tsuen-booking reconcile`` finds 0 differences, outboxes and the due mail queue
drained, every consumer group at the end of its topics, dead-letter topics empty.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.booking_data import CHECKS
from bench.stack import BIN
from tests.chaos.load import Kid, Window
from tests.chaos.stack import Stack
from tsuen_common.auth import Role
from tsuen_common.events.topics import Topic, dlq_name, topic_name

BOOKED_MAIL = "予約完了のお知らせ"
SERVICES_WITH_OUTBOX = ("booking", "attendance")


class Mails:
    """The 予約完了 mails the SMTP server accepted, by notice id (from their Message-ID), parsed
    once each."""

    def __init__(self, stack: Stack) -> None:
        self.catcher = stack.sink.catcher
        self.seen = 0
        self.copies: Counter[str] = Counter()  # notice id → mails accepted with it

    def refresh(self) -> Counter[str]:
        mails = self.catcher.mails
        for mail in mails[self.seen :]:
            message = mail.message
            if str(message["Subject"]) == BOOKED_MAIL:
                notice = str(message["Message-ID"]).strip().strip("<>").split("@")[0]
                self.copies[notice] += 1
        self.seen = len(mails)
        return self.copies


async def fetch(stack: Stack, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn(service), timeout=10)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def scalar(stack: Stack, service: str, sql: str, *args: Any) -> int:
    return int((await fetch(stack, service, sql, *args))[0][0])


async def backlog(stack: Stack) -> dict[str, int]:
    """What is still on its way: unsent outbox rows, mails due and not yet sent."""
    out = {
        f"{s} outbox unsent": await scalar(
            stack, s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        )
        for s in SERVICES_WITH_OUTBOX
    }
    out["mails due, not sent"] = await scalar(
        stack,
        "notification",
        "SELECT count(*) FROM mail_queue WHERE status = 'pending' AND due_at <= now()",
    )
    return out


async def drained(stack: Stack, within: float = 120.0) -> dict[str, int]:
    """Waits (bounded) until nothing is on its way; returns what was left."""
    deadline = time.monotonic() + within
    while True:
        left = await backlog(stack)
        if not any(left.values()) or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.5)


async def booked_notices(stack: Stack) -> dict[str, list[str]]:
    """booking id → the notice ids of its 予約完了 mails in notification's queue, joined through
    the BookingConfirmed event (booking's outbox keeps the events it published)."""
    events = await fetch(
        stack,
        "booking",
        "SELECT event_id::text, convert_from(value, 'UTF8')::jsonb -> 'payload' ->> 'booking_id' "
        "FROM outbox WHERE event_type = 'booking.BookingConfirmed'",
    )
    booking_of = {r[0]: r[1] for r in events}
    rows = await fetch(
        stack,
        "notification",
        "SELECT event_id::text, notice_id::text FROM mail_queue "
        "WHERE template = 'booking_confirmed' AND recipient_kind = 'guardian'",
    )
    out: dict[str, list[str]] = {}
    for event_id, notice_id in rows:
        out.setdefault(booking_of.get(event_id, "?"), []).append(notice_id)
    return out


async def notices_of(stack: Stack, booking_id: str) -> list[str]:
    """The notice ids of one booking's 予約完了 mails (the probes' cheap form of the above)."""
    events = await fetch(
        stack,
        "booking",
        "SELECT event_id FROM outbox WHERE event_type = 'booking.BookingConfirmed' "
        "AND convert_from(value, 'UTF8')::jsonb -> 'payload' ->> 'booking_id' = $1",
        booking_id,
    )
    if not events:
        return []
    rows = await fetch(
        stack,
        "notification",
        "SELECT notice_id::text FROM mail_queue WHERE event_id = $1 "
        "AND template = 'booking_confirmed' AND recipient_kind = 'guardian'",
        events[0][0],
    )
    return [r[0] for r in rows]


async def window_findings(stack: Stack, window: Window, mails: Mails) -> dict[str, int]:
    """Lost and duplicated bookings and mails of one fault window (after draining)."""
    ids = list(window.booked)
    rows = {
        r["id"]: r
        for r in await fetch(
            stack,
            "booking",
            "SELECT id::text AS id, status, child_id::text AS child, use_date, start_time "
            "FROM bookings WHERE id::text = ANY($1::text[])",
            ids + list(window.cancelled) + list(window.checked_in),
        )
    }
    lost_bookings = sum(1 for i in ids if i not in rows)
    status = {i: r["status"] for i, r in rows.items()}
    lost_cancels = sum(1 for i in window.cancelled if status.get(i) != "cancelled")
    lost_check_ins = sum(1 for i in window.checked_in if status.get(i) not in ("in_use", "used"))
    visits = {
        r[0]
        for r in await fetch(
            stack,
            "attendance",
            "SELECT booking_id::text FROM visits WHERE checked_in_at IS NOT NULL "
            "AND booking_id::text = ANY($1::text[])",
            list(window.checked_in),
        )
    }
    lost_check_ins += len(window.checked_in - visits)
    # A second row for the same child, day and hour: a retry that booked twice.
    wanted = {(k.child_id, d, h) for k, d, h in window.booked.values()}
    same = await fetch(
        stack,
        "booking",
        "SELECT child_id::text, use_date, extract(hour FROM start_time)::int, count(*) "
        "FROM bookings GROUP BY 1, 2, 3 HAVING count(*) > 1",
    )
    duplicated = sum(int(r[3]) - 1 for r in same if (r[0], r[1], r[2]) in wanted)
    notices = await booked_notices(stack)
    copies = mails.refresh()
    missing = dup_mails = resent = 0
    for booking_id in ids:
        got = [copies[n] for n in notices.get(booking_id, []) if copies[n]]
        missing += not got
        dup_mails += max(0, len(got) - 1)  # two different Message-IDs for one booking
        resent += sum(c - 1 for c in got)  # the same Message-ID again (resend after a kill)
    return {
        "lost bookings": lost_bookings,
        "lost cancellations": lost_cancels,
        "lost check-ins": lost_check_ins,
        "duplicated bookings": duplicated,
        "bookings without 予約完了 mail": missing,
        "bookings with two 予約完了 mails": dup_mails,
        "予約完了 resent (same Message-ID)": resent,
    }


async def through_api(stack: Stack, windows: list[Window]) -> dict[str, int]:
    """Per window: bookings whose API answer (GET /v1/bookings/{id}, the family's token)
    differs from what the clients were told (booked, cancelled, checked in)."""
    cancelled = set().union(*(w.cancelled for w in windows))
    checked_in = set().union(*(w.checked_in for w in windows))
    wrong: Counter[str] = Counter()
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=stack.url("booking"), timeout=10) as client:

        async def one(window: str, booking_id: str, kid: Kid) -> None:
            async with gate:
                headers = stack.auth(Role.GUARDIAN, kid.municipality, guardian_id=kid.guardian_id)
                answer = await client.get(f"/v1/bookings/{booking_id}", headers=headers)
            status = answer.json().get("status") if answer.status_code == 200 else None
            expected = {"cancelled"} if booking_id in cancelled else {"confirmed"}
            if booking_id in checked_in:
                expected = {"in_use", "used"}
            wrong[window] += status not in expected

        await asyncio.gather(
            *(one(w.name, i, k) for w in windows for i, (k, _, _) in w.booked.items())
        )
    return {w.name: wrong[w.name] for w in windows}


async def global_findings(stack: Stack, windows: list[Window], seeded: set[str]) -> dict[str, int]:
    """The invariants over the whole run."""
    conn = await asyncpg.connect(stack.dsn("booking"))
    try:
        found = {name: int(await conn.fetchval(sql)) for name, sql in CHECKS.items()}
        stored = {r[0] for r in await conn.fetch("SELECT id::text FROM bookings")}
    finally:
        await conn.close()
    answered = set(seeded).union(*(w.booked for w in windows))
    found["booking rows nobody was answered for"] = len(stored - answered)
    found["201s without a booking row"] = len(answered - stored)
    reconcile = await asyncio.to_thread(
        subprocess.run,
        [str(BIN / "tsuen-booking"), "reconcile"],
        env=stack.envs["booking"],
        capture_output=True,
        text=True,
        check=False,
    )
    found["reconcile exit code"] = reconcile.returncode
    found |= await backlog(stack)
    found |= await kafka_findings(stack)
    return found


async def kafka_findings(stack: Stack) -> dict[str, int]:
    """Dead letters on every .dlq topic, and each consumer group's lag behind its topics."""
    bootstrap = stack.kafka.bootstrap_servers
    topics = [topic_name(t, stack.prefix) for t in Topic]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        existing = await consumer.topics()
        parts = [
            TopicPartition(t, p)
            for t in topics + [dlq_name(t) for t in topics]
            if t in existing
            for p in (consumer.partitions_for_topic(t) or ())
        ]
        ends = await consumer.end_offsets(parts)
        begins = await consumer.beginning_offsets(parts)
        dead = sum(ends[tp] - begins[tp] for tp in parts if tp.topic.endswith(".dlq"))
        lag = 0
        for group in await admin.list_consumer_groups():
            offsets = await admin.list_consumer_group_offsets(group[0])
            for tp, meta in offsets.items():
                if tp in ends and meta.offset >= 0 and not tp.topic.endswith(".dlq"):
                    lag += max(0, ends[tp] - meta.offset)
    finally:
        await consumer.stop()
        await admin.close()
    return {"dead letters": dead, "consumer lag (messages)": lag}

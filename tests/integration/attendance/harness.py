"""The attendance service assembled for integration tests, on the real Kafka and PostgreSQL.

Booking's side is played by publishing booking's real event envelopes on the booking topic,
exactly as booking's relay would; attendance's events are read back from its topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from tsuen_attendance.config import Settings
from tsuen_attendance.entrypoints.app import create
from tsuen_attendance.entrypoints.cli import MIGRATIONS
from tsuen_attendance.entrypoints.consumers import build_worker
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.db import make_engine
from tsuen_common.events import EventEnvelope, EventPayload, Topic, decode, topic_name
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed, BookingKind
from tsuen_common.messaging import ConsumerWorker, OutboxRelay, reliable_producer
from tsuen_common.migrations import upgrade
from tsuen_common.timeutil import JST, now_jst

JWT_SECRET = "attendance-integration-test-secret-0123456789abcdef"
CHIYODA = "131016"


class Clock:
    """The app's clock, moved by the test (check-out 10 minutes late without waiting)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at or now_jst()


@dataclass
class TopicReader:
    """Collects every attendance event published on the test's topic."""

    consumer: AIOKafkaConsumer
    events: list[tuple[EventEnvelope, EventPayload]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async for record in self.consumer:
            self.events.append(decode(record.value or b""))

    def of(self, kind: type[EventPayload], booking_id: uuid.UUID) -> list[EventPayload]:
        return [
            p
            for _, p in self.events
            if isinstance(p, kind) and getattr(p, "booking_id", None) == booking_id
        ]

    def envelopes(self, kind: type[EventPayload]) -> list[EventEnvelope]:
        return [e for e, p in self.events if isinstance(p, kind)]


@dataclass
class Stack:
    settings: Settings
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    reader: TopicReader
    issuer: TokenIssuer
    prefix: str
    bootstrap: str

    @property
    def service(self) -> AttendanceService:
        service: AttendanceService = self.app.state.attendance
        return service

    def guardian(self, guardian_id: uuid.UUID, municipality: str = CHIYODA) -> dict[str, str]:
        return self._auth(
            Principal(
                subject=str(guardian_id),
                role=Role.GUARDIAN,
                municipality=municipality,
                guardian_id=str(guardian_id),
            )
        )

    def staff(
        self, facility_id: uuid.UUID, subject: str = "staff-1", municipality: str = CHIYODA
    ) -> dict[str, str]:
        return self._auth(
            Principal(
                subject=subject,
                role=Role.FACILITY_STAFF,
                municipality=municipality,
                facility_id=str(facility_id),
            )
        )

    def token_for(self, principal: Principal) -> str:
        return self.issuer.mint(principal, ttl=timedelta(hours=2))

    def _auth(self, principal: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token_for(principal)}"}

    async def publish_booking_event(self, payload: EventPayload, municipality: str) -> None:
        """What booking's relay does with a committed BookingConfirmed/BookingCancelled."""
        await self.publish(
            EventEnvelope.wrap(payload, municipality=municipality, producer="booking")
        )

    async def publish(self, envelope: EventEnvelope) -> None:
        """What the producer's relay does with a committed event: onto its topic, keyed."""
        producer = reliable_producer(self.bootstrap, client_id=f"test-{envelope.producer}")
        await producer.start()
        try:
            await producer.send_and_wait(
                topic_name(envelope.topic, self.prefix),
                value=envelope.to_bytes(),
                key=envelope.aggregate_id.encode(),
            )
        finally:
            await producer.stop()

    async def code(self, facility_id: uuid.UUID) -> str:
        response = await self.client.get(
            f"/v1/facilities/{facility_id}/code", headers=self.staff(facility_id)
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    async def projected(self, booking_id: uuid.UUID, guardian_id: uuid.UUID) -> bool:
        response = await self.client.get("/v1/me/visits", headers=self.guardian(guardian_id))
        return any(v["booking_id"] == str(booking_id) for v in response.json())


@dataclass
class Booking:
    booking_id: uuid.UUID
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    facility_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime

    def confirmed(self) -> BookingConfirmed:
        return BookingConfirmed(
            booking_id=self.booking_id,
            child_id=self.child_id,
            guardian_id=self.guardian_id,
            guardian_email="hogosha@example.jp",
            child_name="神田 太郎",
            facility_id=self.facility_id,
            facility_name="かんだ保育園",
            kind=BookingKind.FLEXIBLE,
            use_date=self.starts_at.astimezone(JST).date(),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            held_minutes=int((self.ends_at - self.starts_at).total_seconds() // 60),
        )

    def cancelled(self) -> BookingCancelled:
        return BookingCancelled(
            booking_id=self.booking_id,
            child_id=self.child_id,
            guardian_email="hogosha@example.jp",
            facility_id=self.facility_id,
            facility_name="かんだ保育園",
            use_date=self.starts_at.astimezone(JST).date(),
            starts_at=self.starts_at,
            reason="体調不良",
            cancelled_by="guardian",
            timely=True,
            consumed_minutes=0,
        )


def new_booking(
    facility_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    guardian_id: uuid.UUID | None = None,
) -> Booking:
    return Booking(
        booking_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=guardian_id or uuid.uuid4(),
        facility_id=facility_id,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def jst(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=JST)


@contextlib.asynccontextmanager
async def attendance_stack(
    bootstrap: str,
    prefix: str,
    database_url: str,
    clock: Clock | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Migrated database, HTTP app (in process), outbox relay, booking consumer, topic reader."""
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        jwt_secret=JWT_SECRET,
        public_base_url="http://attendance.test",
        consumer_retry_backoff_ms=10,
        log_json=True,
        **overrides,
    )
    clock = clock or Clock()
    app = create(settings, now=clock)
    worker: ConsumerWorker = build_worker(settings)
    relay_engine = make_engine(database_url, pool_size=2)
    producer = reliable_producer(bootstrap, client_id="test-attendance-relay")
    relay = OutboxRelay(engine=relay_engine, producer=producer, poll_interval=0.05)
    reader = TopicReader(
        AIOKafkaConsumer(
            topic_name(Topic.ATTENDANCE, prefix),
            bootstrap_servers=bootstrap,
            group_id=f"reader-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
        )
    )
    await producer.start()
    await reader.consumer.start()
    reader.task = asyncio.create_task(reader._run())
    relay_task = asyncio.create_task(relay.run())
    await worker.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://attendance.test"
        ) as client:
            yield Stack(
                settings=settings,
                app=app,
                client=client,
                clock=clock,
                reader=reader,
                issuer=TokenIssuer(algorithm="HS256", key=JWT_SECRET),
                prefix=prefix,
                bootstrap=bootstrap,
            )
    finally:
        await worker.stop()
        relay.stop()
        await relay_task
        reader.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader.task
        await reader.consumer.stop()
        await producer.stop()
        await relay_engine.dispose()
        await app.state.engine.dispose()

"""The notification service against the real test bed: Kafka, PostgreSQL, and a real SMTP
server (aiosmtpd) on 127.0.0.1 that keeps what it is given.

``notification`` starts the whole service in-process on a fresh database and topic namespace:
the consumers and the sender loop (``NotificationWorker``), the operator API (httpx over ASGI),
and a Kafka producer that plays the other services.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration import testbed
from tests.integration.testbed import free_port
from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.db import make_engine
from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.topics import topic_name
from tsuen_common.messaging import reliable_producer
from tsuen_notification.adapters.mailcatcher import CaughtMail, MailCatcher
from tsuen_notification.adapters.orm import mail_queue
from tsuen_notification.config import Settings
from tsuen_notification.entrypoints.app import create
from tsuen_notification.entrypoints.consumers import NotificationWorker

CHIYODA = "131016"
KAKEGAWA = "222135"
JWT_SECRET = "notification-integration-tests-secret-0123456789"


class RejectingCatcher(MailCatcher):
    """The catcher, plus recipients it refuses the way a real server answers RCPT TO: for good
    with 550 (no such mailbox), or for now with 451 a given number of times (greylisting)."""

    def __init__(self) -> None:
        super().__init__()
        self.reject: set[str] = set()
        self.tempfail: dict[str, int] = {}
        # Run after a mail is kept and before the server answers 250 (in the server's loop):
        # what happens elsewhere while the client waits for the verdict.
        self.before_accepting: Callable[[], Awaitable[None]] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.before_accepting is not None:
            await self.before_accepting()
        return answer

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.tempfail.get(address, 0) > 0:
            self.tempfail[address] -= 1
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SmtpServer:
    """A real SMTP server that can be stopped (an outage) and started again on the same port."""

    def __init__(self) -> None:
        self.catcher = RejectingCatcher()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.catcher, hostname=testbed.HOST, port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mails_to(self, address: str) -> list[CaughtMail]:
        return [m for m in self.catcher.mails if address in m.rcpt_tos]


@dataclass
class NotificationStack:
    settings: Settings
    engine: AsyncEngine
    smtp: SmtpServer
    producer: AIOKafkaProducer
    api: httpx.AsyncClient
    issuer: TokenIssuer
    worker: NotificationWorker
    published: list[EventEnvelope] = field(default_factory=list)

    async def publish(
        self, payload: EventPayload, *, municipality: str = KAKEGAWA
    ) -> EventEnvelope:
        envelope = EventEnvelope.wrap(payload, municipality=municipality, producer="test")
        await self.publish_envelope(envelope)
        return envelope

    async def publish_envelope(self, envelope: EventEnvelope) -> None:
        await self.producer.send_and_wait(
            topic_name(envelope.topic, self.settings.kafka_topic_prefix),
            value=envelope.to_bytes(),
            key=envelope.aggregate_id.encode(),
            headers=[("event_id", str(envelope.event_id).encode())],
        )
        self.published.append(envelope)

    async def rows(self, **where: Any) -> list[sa.Row[Any]]:
        query = sa.select(mail_queue)
        for column, value in where.items():
            query = query.where(mail_queue.c[column] == value)
        async with self.engine.connect() as conn:
            return list((await conn.execute(query.order_by(mail_queue.c.id))).all())

    async def outbox_types(self) -> list[str]:
        async with self.engine.connect() as conn:
            result = await conn.execute(sa.text("SELECT event_type FROM outbox ORDER BY id"))
            return list(result.scalars())

    def token(self, role: Role, municipality: str | None = None) -> dict[str, str]:
        extra: dict[str, str] = {}
        if role is Role.GUARDIAN:
            extra["guardian_id"] = str(uuid.uuid4())
        principal = Principal(subject=f"test-{role}", role=role, municipality=municipality, **extra)
        return {"Authorization": f"Bearer {self.issuer.mint(principal)}"}


def write_test_policies(directory: Path) -> Path:
    """The packaged presets, except that Kakegawa reminds at 00:00: every booking for tomorrow
    is then "made after the reminder hour", whatever the wall clock says when the tests run."""
    presets = files("tsuen_common.policy") / "presets"
    for entry in presets.iterdir():
        if entry.name.endswith(".yaml"):
            text = entry.read_text(encoding="utf-8")
            if entry.name.startswith(KAKEGAWA):
                text = text.replace("reminder_hour: 18", "reminder_hour: 0")
            (directory / entry.name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
async def notification(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any, tmp_path: Path
) -> AsyncIterator[NotificationStack]:
    async with notification_stack(kafka, topic_prefix, new_database, tmp_path) as stack:
        yield stack


@asynccontextmanager
async def notification_stack(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any, tmp_path: Path
) -> AsyncIterator[NotificationStack]:
    """The whole service on a fresh database (what the ``notification`` fixture yields)."""
    # A copy of the session's template made once by what `tsuen-notification migrate` runs.
    url = await new_database.migrated("notification")
    smtp = SmtpServer()
    smtp.start()
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        policy_dir=write_test_policies(tmp_path),
        smtp_host=testbed.HOST,
        smtp_port=smtp.port,
        smtp_timeout_seconds=5,
        sender_poll_interval_ms=50,
        sender_lease_seconds=30,
        mail_retry_base_seconds=0.2,
        mail_retry_max_seconds=1.0,
        consumer_retry_backoff_ms=10,
        jwt_secret=JWT_SECRET,
        portal_url="https://tsuen.example.jp/",
        log_json=False,
    )
    engine = make_engine(url, pool_size=2)
    worker = NotificationWorker(settings)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-producers")
    app = create(settings)
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tsuen.test")
    await producer.start()
    await worker.start()
    try:
        yield NotificationStack(
            settings=settings,
            engine=engine,
            smtp=smtp,
            producer=producer,
            api=api,
            issuer=TokenIssuer(algorithm="HS256", key=JWT_SECRET),
            worker=worker,
        )
    finally:
        await worker.stop()
        await producer.stop()
        await api.aclose()
        await app.state.engine.dispose()
        await engine.dispose()
        smtp.stop()

"""The identity service assembled for integration tests, on the real Kafka and PostgreSQL.

Eligibility's side is played by publishing its real event envelopes on the eligibility topic,
exactly as its relay would; identity's events are read back from the identity topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pyotp
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from tests.integration.conftest import eventually
from tsuen_common.auth import TokenVerifier
from tsuen_common.db import make_engine
from tsuen_common.events import EventEnvelope, EventPayload, Topic, decode, topic_name
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.events.identity import AccountIssued
from tsuen_common.messaging import ConsumerWorker, OutboxRelay, reliable_producer
from tsuen_common.migrations import upgrade
from tsuen_common.timeutil import now_jst
from tsuen_identity.adapters.keys import generate_key_file
from tsuen_identity.config import Settings
from tsuen_identity.entrypoints.app import create
from tsuen_identity.entrypoints.cli import MIGRATIONS
from tsuen_identity.entrypoints.consumers import build_worker

CHIYODA = "131016"
PORTAL = "http://portal.test"
PASSWORD = "correct horse battery staple"


class Clock:
    """The rules' clock, moved by the test (past a link's expiry without waiting)."""

    def __init__(self) -> None:
        self.offset = None

    def __call__(self) -> datetime:
        return now_jst() + self.offset if self.offset else now_jst()


@dataclass
class TopicReader:
    consumer: AIOKafkaConsumer
    events: list[tuple[EventEnvelope, EventPayload]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async for record in self.consumer:
            self.events.append(decode(record.value or b""))

    def of(self, kind: type[EventPayload]) -> list[Any]:
        return [p for _, p in self.events if isinstance(p, kind)]

    def envelopes(self, kind: type[EventPayload]) -> list[EventEnvelope]:
        return [e for e, p in self.events if isinstance(p, kind)]


@dataclass
class Stack:
    settings: Settings
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    reader: TopicReader
    prefix: str
    bootstrap: str
    totp_secrets: dict[str, str] = field(default_factory=dict)

    async def publish(self, payload: EventPayload, municipality: str = CHIYODA) -> EventEnvelope:
        """What eligibility's relay does with a committed event: onto its topic, keyed."""
        envelope = EventEnvelope.wrap(payload, municipality=municipality, producer="eligibility")
        producer = reliable_producer(self.bootstrap, client_id="test-eligibility")
        await producer.start()
        try:
            await producer.send_and_wait(
                topic_name(envelope.topic, self.prefix),
                value=envelope.to_bytes(),
                key=envelope.aggregate_id.encode(),
            )
        finally:
            await producer.stop()
        return envelope

    async def issued(self, account_id: uuid.UUID, count: int = 1) -> list[AccountIssued]:
        def mine() -> list[AccountIssued]:
            return [e for e in self.reader.of(AccountIssued) if e.account_id == account_id]

        async def arrived() -> bool:
            return len(mine()) >= count

        await eventually(arrived, what=f"{count} AccountIssued for {account_id}")
        return mine()

    async def certify(
        self, guardian_id: uuid.UUID, email: str, child_id: uuid.UUID | None = None
    ) -> ChildCertified:
        event = ChildCertified(
            certification_id=uuid.uuid4(),
            child_id=child_id or uuid.uuid4(),
            guardian_id=guardian_id,
            guardian_email=email,
            certificate_number="13101-000123",
            valid_from=date(2026, 12, 1),
            valid_until=date(2027, 11, 30),
        )
        await self.publish(event)
        return event

    async def new_guardian(self, email: str) -> tuple[uuid.UUID, str]:
        """A certified guardian whose account mail has arrived: (account id, link token)."""
        guardian = uuid.uuid4()
        await self.certify(guardian, email)
        (mail,) = await self.issued(guardian)
        return guardian, token_of(mail.url)

    async def set_password(self, token: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/v1/password/set", json={"token": token, "password": password}
        )

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post("/v1/login", json={"email": email, "password": password})

    async def login_with_code(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """An officer's login to the end: password, then the authenticator app's code (the
        app enrolled at the first login, as test_second_factor.py shows)."""
        asked = await self.login(email, password)
        assert asked.status_code == 202, asked.text
        body = asked.json()
        if body["enrolment"]:
            self.totp_secrets[email] = body["enrolment"]["secret"]
        code = pyotp.TOTP(self.totp_secrets[email]).now()
        done = await self.client.post(
            "/v1/login/second-factor", json={"challenge": body["challenge"], "code": code}
        )
        assert done.status_code == 200, done.text
        result: dict[str, Any] = done.json()
        return result

    async def verifier(self) -> TokenVerifier:
        """A verifier built from the published JWKS, as another service would."""
        response = await self.client.get("/.well-known/jwks.json")
        assert response.status_code == 200
        (key,) = response.json()["keys"]
        return TokenVerifier(
            algorithm="ES256",
            key=jwt.PyJWK(key).key,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
        )


def token_of(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PORTAL
    assert parts.path == "/password/set"
    (token,) = parse_qs(parts.query)["token"]
    return token


@contextlib.asynccontextmanager
async def identity_stack(
    bootstrap: str, prefix: str, database_url: str, key_dir: Path, **overrides: Any
) -> AsyncIterator[Stack]:
    """Migrated database, HTTP app (in process), outbox relay, eligibility consumer, reader."""
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    key_file = key_dir / "identity-signing.pem"
    if not key_file.exists():
        generate_key_file(key_file)
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        identity_signing_key_file=key_file,
        portal_base_url=PORTAL,
        consumer_retry_backoff_ms=10,
        # Cheap hashes: the tests are about the rules, not argon2's cost.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        **overrides,
    )
    clock = Clock()
    app = create(settings, now=clock)
    worker: ConsumerWorker = build_worker(settings)
    relay_engine = make_engine(database_url, pool_size=2)
    producer = reliable_producer(bootstrap, client_id="test-identity-relay")
    relay = OutboxRelay(engine=relay_engine, producer=producer, poll_interval=0.05)
    reader = TopicReader(
        AIOKafkaConsumer(
            topic_name(Topic.IDENTITY, prefix),
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
            transport=httpx.ASGITransport(app=app), base_url="http://identity.test"
        ) as client:
            yield Stack(settings, app, client, clock, reader, prefix, bootstrap)
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

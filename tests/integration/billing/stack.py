"""Booking and billing assembled on the real Kafka and PostgreSQL, for billing's tests.

Booking runs in process (its API, its consumers, its relay) exactly as in booking's own tests;
eligibility's and attendance's sides are played by publishing their real event envelopes on
their topics, as their relays would. Billing consumes booking's and eligibility's topics through
its own worker and never reads booking's database: the reconciliation reads booking's API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml
from aiokafka import AIOKafkaProducer

from tests.integration.booking.support import (
    VERIFIER,
    Child,
    Clock,
    Harness,
    auth,
    make_app,
    migrated_database,
)
from tests.integration.conftest import eventually
from tsuen_billing.adapters.price_files import PRESETS
from tsuen_billing.config import Settings
from tsuen_billing.entrypoints.app import create
from tsuen_billing.entrypoints.cli import MIGRATIONS
from tsuen_billing.entrypoints.consumers import build_worker
from tsuen_billing.service_layer.context import Billing
from tsuen_booking.config import Settings as BookingSettings
from tsuen_booking.entrypoints.consumers import build_worker as build_booking_worker
from tsuen_common.auth import Principal, Role
from tsuen_common.events.eligibility import ChildCertified, SpecialNeeds
from tsuen_common.events.envelope import EventEnvelope, EventPayload
from tsuen_common.events.topics import topic_name
from tsuen_common.messaging import OutboxRelay, reliable_producer
from tsuen_common.migrations import upgrade

ADMIN = Principal(subject="billing-reconcile", role=Role.PLATFORM_ADMIN)


def price_dir(tmp: Path) -> Path:
    """The shipped FY2026 table and an FY2027 one like it (the test lives in June 2027)."""
    shipped = yaml.safe_load((PRESETS / "fy2026-default.yaml").read_text("utf-8"))
    (tmp / "fy2026-default.yaml").write_text(yaml.safe_dump(shipped), "utf-8")
    (tmp / "fy2027-default.yaml").write_text(
        yaml.safe_dump({**shipped, "fiscal_year": 2027}), "utf-8"
    )
    return tmp


@dataclass
class Stack:
    booking: Harness
    booking_app: Any
    billing_app: Any
    billing: httpx.AsyncClient
    billing_clock: Clock
    producer: AIOKafkaProducer
    booking_relay: OutboxRelay
    prefix: str

    @property
    def ctx(self) -> Billing:
        ctx: Billing = self.billing_app.state.billing
        return ctx

    async def publish(self, payload: EventPayload, municipality: str, producer: str) -> None:
        envelope = EventEnvelope.wrap(payload, municipality=municipality, producer=producer)
        await self.producer.send_and_wait(
            topic_name(payload.topic, self.prefix),
            envelope.to_bytes(),
            key=envelope.aggregate_id.encode(),
        )

    async def certify(
        self, child: Child, birth: date, *, needs_support: bool = False, medical_care: bool = False
    ) -> None:
        """ChildCertified over Kafka, as eligibility sends it; booking and billing both take it."""
        await self.publish(
            ChildCertified(
                certification_id=uuid.uuid4(),
                child_id=child.child_id,
                guardian_id=child.guardian_id,
                guardian_email="hogosha@example.jp",
                certificate_number="C-0001",
                valid_from=date(2027, 4, 1),
                valid_until=date(2028, 3, 31),
                needs_support=needs_support,
                birth_date=birth,
                considerations=SpecialNeeds(medical_care=True) if medical_care else None,
            ),
            child.municipality,
            "eligibility",
        )

        async def known_to_both() -> bool:
            in_booking = await self.booking.scalar(
                "SELECT count(*) FROM children WHERE child_id = :c", c=child.child_id
            )
            return bool(in_booking) and bool(
                await self.scalar(
                    "SELECT count(*) FROM certifications WHERE child_id = :c", c=child.child_id
                )
            )

        await eventually(known_to_both, what="the certified child in booking and billing")

    async def scalar(self, query: str, **params: Any) -> Any:
        async with self.ctx.sessions() as session:
            return await session.scalar(sa.text(query), params)

    async def lines_arrive(self, count: int) -> None:
        """Run booking's relay until billing holds ``count`` usage lines."""

        async def arrived() -> bool:
            await self.booking_relay.run_once()
            return int(await self.scalar("SELECT count(*) FROM usage_lines")) >= count

        await eventually(arrived, what=f"{count} usage lines in billing")

    async def caught_up(self) -> None:
        """Run booking's relay until billing has taken every booking event it handles."""
        handled = "'booking.BookingSettled', 'booking.BookingCancelled', 'booking.BookingConfirmed'"

        async def all_taken() -> bool:
            await self.booking_relay.run_once()
            sent = await self.booking.scalar(
                f"SELECT count(*) FROM outbox WHERE event_type IN ({handled})"
            )
            taken = await self.scalar(
                "SELECT count(*) FROM inbox WHERE consumer = 'billing-booking'"
            )
            return bool(sent == taken)

        await eventually(all_taken, what="billing caught up with booking's events")

    async def get(self, path: str, principal: Principal, **params: Any) -> httpx.Response:
        return await self.billing.get(path, headers=auth(principal), params=params)

    def booking_api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.booking_app),
            base_url="http://booking.test",
            headers=auth(ADMIN),
        )


@asynccontextmanager
async def running_stack(
    kafka: Any, topic_prefix: str, new_database: Any, tmp_path: Path
) -> AsyncIterator[Stack]:
    booking_url = await migrated_database(new_database)
    billing_url = await new_database("billing")
    await asyncio.to_thread(upgrade, MIGRATIONS, billing_url)
    clock = Clock()
    booking_app = make_app(booking_url, clock, topic_prefix)
    common = {
        "kafka_bootstrap_servers": kafka.bootstrap_servers,
        "kafka_topic_prefix": topic_prefix,
        "consumer_retry_backoff_ms": 10,
    }
    booking_worker = build_booking_worker(BookingSettings(database_url=booking_url, **common))
    settings = Settings(database_url=billing_url, billing_prices_dir=price_dir(tmp_path), **common)
    billing_clock = Clock(datetime(2027, 7, 1, 9, 0, tzinfo=clock.now.tzinfo))
    billing_app = create(settings, verifier=VERIFIER, clock=billing_clock)
    billing_worker = build_worker(settings)
    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-upstream")
    await producer.start()
    await booking_worker.start()
    await billing_worker.start()
    booking_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=booking_app), base_url="http://booking.test"
    )
    billing_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=billing_app), base_url="http://billing.test"
    )
    harness = Harness(
        client=booking_client, ctx=booking_app.state.ctx, clock=clock, url=booking_url
    )
    try:
        yield Stack(
            booking=harness,
            booking_app=booking_app,
            billing_app=billing_app,
            billing=billing_client,
            billing_clock=billing_clock,
            producer=producer,
            booking_relay=OutboxRelay(engine=harness.ctx.engine, producer=producer),  # type: ignore[arg-type]
            prefix=topic_prefix,
        )
    finally:
        await booking_client.aclose()
        await billing_client.aclose()
        await billing_worker.stop()
        await booking_worker.stop()
        await producer.stop()
        await booking_app.state.ctx.close()
        await billing_app.state.engine.dispose()

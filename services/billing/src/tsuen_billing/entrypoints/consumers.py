"""Billing's inputs: booking's settlements and cancellations, eligibility's certifications
(and 要支援家庭 spans), attendance's check-outs (the visit's times)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.config import Settings
from tsuen_billing.service_layer import usage
from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed, BookingSettled
from tsuen_common.events.eligibility import (
    CertificationChanged,
    ChildCertified,
    FamilySupportMarked,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings

# Kafka group ids and inbox keys: renaming one replays its topic.
BOOKING_CONSUMER = "billing-booking"
ELIGIBILITY_CONSUMER = "billing-eligibility"
ATTENDANCE_CONSUMER = "billing-attendance"


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    assert isinstance(settings, Settings)
    worker = ConsumerWorker(settings)

    async def on_settled(
        session: AsyncSession, envelope: EventEnvelope, payload: BookingSettled
    ) -> None:
        await usage.on_booking_settled(session, envelope, payload)

    async def on_cancelled(
        session: AsyncSession, envelope: EventEnvelope, payload: BookingCancelled
    ) -> None:
        await usage.on_booking_cancelled(session, envelope, payload)

    async def on_confirmed(
        session: AsyncSession, envelope: EventEnvelope, payload: BookingConfirmed
    ) -> None:
        await usage.on_booking_confirmed(session, envelope, payload)

    async def on_changed(
        session: AsyncSession, envelope: EventEnvelope, payload: CertificationChanged
    ) -> None:
        await usage.on_certification_changed(session, envelope, payload)

    async def on_certified(
        session: AsyncSession, envelope: EventEnvelope, payload: ChildCertified
    ) -> None:
        await usage.on_child_certified(session, envelope, payload)

    worker.add(
        BOOKING_CONSUMER,
        {
            BookingSettled: on_settled,
            BookingCancelled: on_cancelled,
            BookingConfirmed: on_confirmed,
        },
        Topic.BOOKING,
    )

    async def on_checked_out(
        session: AsyncSession, envelope: EventEnvelope, payload: CheckedOut
    ) -> None:
        await usage.on_checked_out(session, envelope, payload)

    async def on_family_support(
        session: AsyncSession, envelope: EventEnvelope, payload: FamilySupportMarked
    ) -> None:
        await usage.on_family_support_marked(session, envelope, payload)

    worker.add(
        ELIGIBILITY_CONSUMER,
        {
            ChildCertified: on_certified,
            CertificationChanged: on_changed,
            FamilySupportMarked: on_family_support,
        },
        Topic.ELIGIBILITY,
    )
    worker.add(ATTENDANCE_CONSUMER, {CheckedOut: on_checked_out}, Topic.ATTENDANCE)
    return worker

"""Booking's events build this service's projection of who is booked where and when."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters import repository as repo
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings

CONSUMER = "attendance-bookings"  # Kafka group id and inbox key: renaming it replays the topic


async def on_booking_confirmed(
    session: AsyncSession, envelope: EventEnvelope, payload: BookingConfirmed
) -> None:
    await repo.project_confirmed(session, payload, envelope.municipality)


async def on_booking_cancelled(
    session: AsyncSession, envelope: EventEnvelope, payload: BookingCancelled
) -> None:
    await repo.project_cancelled(session, payload)


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    worker = ConsumerWorker(settings)
    worker.add(
        CONSUMER,
        {BookingConfirmed: on_booking_confirmed, BookingCancelled: on_booking_cancelled},
        Topic.BOOKING,
    )
    return worker

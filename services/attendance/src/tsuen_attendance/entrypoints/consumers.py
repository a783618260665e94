"""Other services' events: booking's build this service's projection of who is booked where
and when; eligibility's keep the guardian's e-mail on those visits current."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters import repository as repo
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed
from tsuen_common.events.eligibility import CertificationChanged
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic
from tsuen_common.logging import get_logger
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings

log = get_logger(__name__)

# Kafka group ids and inbox keys: renaming one replays its topic.
CONSUMER = "attendance-bookings"
ELIGIBILITY_CONSUMER = "attendance-eligibility"


async def on_booking_confirmed(
    session: AsyncSession, envelope: EventEnvelope, payload: BookingConfirmed
) -> None:
    await repo.project_confirmed(session, payload, envelope.municipality)


async def on_booking_cancelled(
    session: AsyncSession, envelope: EventEnvelope, payload: BookingCancelled
) -> None:
    await repo.project_cancelled(session, payload)


async def on_certification_changed(
    session: AsyncSession, envelope: EventEnvelope, payload: CertificationChanged
) -> None:
    # A new guardian e-mail (変更申請): the late-pickup notice (CheckedOut) must not go to the
    # old address. The event always carries the current address, so applying it is repeatable.
    updated = await repo.project_guardian_email(
        session, payload.child_id, str(payload.guardian_email)
    )
    if updated:
        log.info("guardian e-mail updated", child_id=str(payload.child_id), visits=updated)


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    worker = ConsumerWorker(settings)
    worker.add(
        CONSUMER,
        {BookingConfirmed: on_booking_confirmed, BookingCancelled: on_booking_cancelled},
        Topic.BOOKING,
    )
    worker.add(
        ELIGIBILITY_CONSUMER,
        {CertificationChanged: on_certification_changed},
        Topic.ELIGIBILITY,
    )
    return worker

"""Other services' events: booking's build this service's projection of who is booked where
and when; eligibility's keep the guardian's e-mail on those visits current."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_attendance.adapters import children
from tsuen_attendance.adapters import repository as repo
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed
from tsuen_common.events.eligibility import (
    CertificationChanged,
    ChildCertified,
    ChildProfileUpdated,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic
from tsuen_common.logging import get_logger
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings

log = get_logger(__name__)

# Kafka group ids and inbox keys: renaming one replays its topic.
CONSUMER = "attendance-bookings"
ELIGIBILITY_CONSUMER = "attendance-eligibility"
# Its own group, so a new deployment reads eligibility's topic from the start and learns every
# child certified before it (the roster's reading, age and the guardian's record).
CHILDREN_CONSUMER = "attendance-children"


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


async def on_child_certified(
    session: AsyncSession, envelope: EventEnvelope, payload: ChildCertified
) -> None:
    await children.remember_certified(
        session,
        child_id=payload.child_id,
        municipality=envelope.municipality,
        child_kana=payload.child_kana,
        birth_date=payload.birth_date,
    )


async def on_child_profile_updated(
    session: AsyncSession, envelope: EventEnvelope, payload: ChildProfileUpdated
) -> None:
    stored = await children.remember_profile(
        session,
        child_id=payload.child_id,
        municipality=envelope.municipality,
        version=payload.profile_version,
        profile=payload.profile,
    )
    if not stored:  # an older record delivered after a newer one: the newer stays
        log.info("older child record ignored", child_id=str(payload.child_id))


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
    worker.add(
        CHILDREN_CONSUMER,
        {ChildCertified: on_child_certified, ChildProfileUpdated: on_child_profile_updated},
        Topic.ELIGIBILITY,
    )
    return worker

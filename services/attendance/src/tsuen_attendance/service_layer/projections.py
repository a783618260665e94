"""Other services' events applied to this service's tables, each in the consumer's transaction
(with the inbox row that makes a redelivery harmless): booking's build the projection of who is
booked where and when; eligibility's keep the guardian's e-mail on those visits current and
tell the roster each child's reading, birth date and the guardian's record. Every one can be
applied twice with the same result."""

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
from tsuen_common.logging import get_logger

log = get_logger(__name__)


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

"""Other services' events become billing's facts: certifications and usage lines.

Each handler runs inside the consumer's inbox transaction. Every write is "insert if absent", so
a redelivered event, a duplicate, or a booking's events in another order leave the same rows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_billing.adapters import extras
from tsuen_billing.adapters import repository as repo
from tsuen_billing.adapters.orm import facility_contacts, guardian_contacts
from tsuen_billing.domain.children import Certification
from tsuen_billing.domain.usage import lines_from_cancelled, lines_from_settled
from tsuen_common.events.attendance import CheckedOut
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed, BookingSettled
from tsuen_common.events.eligibility import (
    CertificationChanged,
    ChildCertified,
    FamilySupportMarked,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.logging import get_logger

log = get_logger(__name__)


async def on_child_certified(
    session: AsyncSession, envelope: EventEnvelope, event: ChildCertified
) -> None:
    await repo.save_certification(
        session,
        Certification(
            child_id=event.child_id,
            guardian_id=event.guardian_id,
            # The certifying municipality pays the 給付 wherever the child goes (広域利用).
            municipality=envelope.municipality,
            birth_date=event.birth_date,
            needs_support=event.needs_support,
            medical_care=bool(event.considerations and event.considerations.medical_care),
            valid_from=event.valid_from,
            valid_until=event.valid_until,
        ),
        event.certification_id,
        envelope.event_id,
    )
    await repo.save_contact(
        session, guardian_contacts, event.guardian_id, str(event.guardian_email)
    )


async def on_certification_changed(
    session: AsyncSession, envelope: EventEnvelope, event: CertificationChanged
) -> None:
    """A confirmed change of the guardian's address: statements go to the new one."""
    await repo.save_contact(
        session, guardian_contacts, event.guardian_id, str(event.guardian_email)
    )


async def on_family_support_marked(
    session: AsyncSession, envelope: EventEnvelope, event: FamilySupportMarked
) -> None:
    """要支援家庭 from an officer: the 加算 applies on use dates within the span, from the next
    close on (a closed month keeps what it billed)."""
    await extras.save_family_support(
        session,
        child_id=event.child_id,
        certification_id=event.certification_id,
        valid_from=event.valid_from,
        valid_until=event.valid_until,
        municipality=envelope.municipality,
        event_id=envelope.event_id,
    )


async def on_booking_confirmed(
    session: AsyncSession, envelope: EventEnvelope, event: BookingConfirmed
) -> None:
    """Only the facility's address, for the claim notice: a booking costs nothing until settled."""
    if event.facility_email is not None:
        await repo.save_contact(
            session, facility_contacts, event.facility_id, str(event.facility_email)
        )


async def on_booking_settled(
    session: AsyncSession, envelope: EventEnvelope, event: BookingSettled
) -> None:
    added = await repo.record_lines(
        session, lines_from_settled(envelope.event_id, event), envelope.municipality
    )
    log.info("settlement recorded", booking_id=str(event.booking_id), lines=added)


async def on_booking_cancelled(
    session: AsyncSession, envelope: EventEnvelope, event: BookingCancelled
) -> None:
    if event.facility_email is not None:
        await repo.save_contact(
            session, facility_contacts, event.facility_id, str(event.facility_email)
        )
    added = await repo.record_lines(
        session, lines_from_cancelled(envelope.event_id, event), envelope.municipality
    )
    if added:
        log.info("late cancellation recorded", booking_id=str(event.booking_id), lines=added)


async def on_checked_out(session: AsyncSession, envelope: EventEnvelope, event: CheckedOut) -> None:
    """The visit's times, for the statement; what it costs comes from booking's settlement."""
    await repo.record_visit(
        session,
        booking_id=event.booking_id,
        child_id=event.child_id,
        facility_id=event.facility_id,
        checked_in_at=event.checked_in_at,
        checked_out_at=event.checked_out_at,
        late_minutes=event.late_minutes,
        event_id=envelope.event_id,
    )

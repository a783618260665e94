"""Handlers for other services' events. Each runs inside the consumer's inbox transaction
(do not commit here); a redelivered event never reaches them twice."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters.orm import children
from tsuen_booking.domain.booking import BookingStatus
from tsuen_booking.domain.errors import NotFound
from tsuen_booking.service_layer import bookings as booking_cases
from tsuen_booking.service_layer.context import Context
from tsuen_common.events.attendance import CheckedIn, CheckedOut, NoShow
from tsuen_common.events.eligibility import (
    CertificationChanged,
    CertificationRevoked,
    ChildCertified,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.logging import get_logger
from tsuen_common.messaging import PermanentFailure

log = get_logger(__name__)


def _birth_date(envelope: EventEnvelope, event: ChildCertified) -> date | None:
    # ``birth_date`` came to ChildCertified after its first version: older events lack it, and
    # the raw payload is read too so a producer ahead of this schema copy still counts. Without
    # it the certification window alone guards the use date.
    typed = getattr(event, "birth_date", None)
    if isinstance(typed, date):
        return typed
    raw = envelope.payload.get("birth_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class EventHandlers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def child_certified(
        self, session: AsyncSession, envelope: EventEnvelope, event: ChildCertified
    ) -> None:
        values = {
            "child_id": event.child_id,
            "municipality": envelope.municipality,
            "certification_id": event.certification_id,
            "guardian_id": event.guardian_id,
            "guardian_email": str(event.guardian_email),
            "birth_date": _birth_date(envelope, event),
            "valid_from": event.valid_from,
            "valid_until": event.valid_until,
        }
        stmt = insert(children).values(**values, revoked_from=None)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["child_id"],
                set_={
                    **{k: stmt.excluded[k] for k in values if k != "child_id"},
                    # A new certification starts clean; the same one keeps its revocation.
                    "revoked_from": sa.case(
                        (
                            children.c.certification_id == stmt.excluded.certification_id,
                            children.c.revoked_from,
                        ),
                        else_=None,
                    ),
                    "updated_at": sa.func.now(),
                },
            )
        )

    async def certification_revoked(
        self, session: AsyncSession, envelope: EventEnvelope, event: CertificationRevoked
    ) -> None:
        updated = await session.execute(
            sa.update(children)
            .where(
                children.c.child_id == event.child_id,
                children.c.certification_id == event.certification_id,
            )
            .values(revoked_from=event.effective_date, updated_at=sa.func.now())
            .returning(children.c.child_id)
        )
        if updated.first() is None:
            log.warning(
                "revocation of an unknown certification ignored", child_id=str(event.child_id)
            )
            return
        cancelled = await booking_cases.cancel_from(
            self.ctx,
            session,
            child_id=event.child_id,
            from_day=event.effective_date,
            reason=f"certification ended ({event.reason.value})",
            caused_by=envelope,
        )
        log.info("certification revoked", child_id=str(event.child_id), cancelled=cancelled)

    async def certification_changed(
        self, session: AsyncSession, envelope: EventEnvelope, event: CertificationChanged
    ) -> None:
        # A change application (保護者の変更, new e-mail): later notices go to the new address.
        await session.execute(
            sa.update(children)
            .where(
                children.c.child_id == event.child_id,
                children.c.certification_id == event.certification_id,
            )
            .values(
                guardian_id=event.guardian_id,
                guardian_email=str(event.guardian_email),
                updated_at=sa.func.now(),
            )
        )

    async def checked_in(
        self, session: AsyncSession, envelope: EventEnvelope, event: CheckedIn
    ) -> None:
        await booking_cases.mark_checked_in(session, event.booking_id)

    async def checked_out(
        self, session: AsyncSession, envelope: EventEnvelope, event: CheckedOut
    ) -> None:
        await self._settle(
            session, envelope, event.booking_id, BookingStatus.USED, event.penalty_minutes
        )

    async def no_show(self, session: AsyncSession, envelope: EventEnvelope, event: NoShow) -> None:
        await self._settle(session, envelope, event.booking_id, BookingStatus.NO_SHOW, 0)

    async def _settle(
        self,
        session: AsyncSession,
        envelope: EventEnvelope,
        booking_id: uuid.UUID,
        status: BookingStatus,
        penalty: int,
    ) -> None:
        try:
            await booking_cases.settle(
                self.ctx,
                session,
                booking_id=booking_id,
                status=status,
                penalty_minutes=penalty,
                caused_by=envelope,
            )
        except NotFound as exc:
            raise PermanentFailure(str(exc)) from exc

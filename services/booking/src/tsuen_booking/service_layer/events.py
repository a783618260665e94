"""Handlers for other services' events. Each runs inside the consumer's inbox transaction
(do not commit here); a redelivered event never reaches them twice."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import children_store
from tsuen_booking.domain.booking import BookingStatus
from tsuen_booking.domain.errors import NotFound
from tsuen_booking.service_layer import moves, settlement
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
        home_before = await moves.previous_home(session, event.child_id)
        values = {
            "child_id": event.child_id,
            "municipality": envelope.municipality,
            "certification_id": event.certification_id,
            "guardian_id": event.guardian_id,
            "guardian_email": str(event.guardian_email),
            "birth_date": _birth_date(envelope, event),
            "valid_from": event.valid_from,
            "valid_until": event.valid_until,
            "name": event.child_name,
            "kana": event.child_kana,
            "decided_facility_id": event.decided_facility_id,
            "considerations": (
                event.considerations.model_dump(mode="json") if event.considerations else None
            ),
        }
        await children_store.certify(session, values)
        if home_before is not None and home_before != envelope.municipality:
            # 転入 (issue 17.3): the same child, a new home; the month's hours carry over. What
            # the old home booked from the new start is void first, whichever of the move's two
            # events comes first (its revocation then finds nothing left): the months then move
            # home with only what stands (bookings before months, the usual lock order).
            await self._void(
                session,
                envelope,
                child_id=event.child_id,
                municipality=home_before,
                from_day=event.valid_from,
                reason="certification ended (moved_out)",
            )
            await moves.rehome_months(
                self.ctx,
                session,
                child_id=event.child_id,
                municipality=envelope.municipality,
                starting=event.valid_from,
            )
        await self._apply_pending(session, envelope, event)

    async def _apply_pending(
        self, session: AsyncSession, envelope: EventEnvelope, event: ChildCertified
    ) -> None:
        """Apply (once) a change or revocation of this certification that arrived before it."""
        pending = await children_store.take_pending(session, event.child_id, event.certification_id)
        if pending is None:
            return
        if pending["guardian_email"] is not None:
            await children_store.apply_guardian(
                session,
                event.child_id,
                event.certification_id,
                guardian_id=pending["guardian_id"],
                guardian_email=pending["guardian_email"],
            )
        revoked_from = pending["revoked_from"]
        if revoked_from is not None:
            await children_store.revoke_no_later_than(
                session, event.child_id, event.certification_id, from_day=revoked_from
            )
            cancelled = await settlement.cancel_from(
                self.ctx,
                session,
                child_id=event.child_id,
                from_day=revoked_from,
                reason=f"certification ended ({pending['revocation_reason']})",
                caused_by=envelope,
            )
            log.info("early revocation applied", child_id=str(event.child_id), cancelled=cancelled)

    async def certification_revoked(
        self, session: AsyncSession, envelope: EventEnvelope, event: CertificationRevoked
    ) -> None:
        revoked = await children_store.revoke(
            session, event.child_id, event.certification_id, from_day=event.effective_date
        )
        if not revoked:
            # Not the certification on the child's row: kept until it arrives (a renewal, a
            # relay's reordering); harmless if it never does (superseded by a move). The
            # earliest end wins if several revocations arrive early.
            await children_store.remember(
                session,
                {
                    "certification_id": event.certification_id,
                    "child_id": event.child_id,
                    "revoked_from": event.effective_date,
                    "revocation_reason": event.reason.value,
                },
            )
            home = await moves.previous_home(session, event.child_id)
            if home is None or home == envelope.municipality:
                log.warning(
                    "revocation of an unknown certification kept for later",
                    child_id=str(event.child_id),
                )
                return
            # The child lives in another municipality already (a move whose events came in the
            # other order): what this certification booked from its end is void all the same.
        await self._void(
            session,
            envelope,
            child_id=event.child_id,
            municipality=envelope.municipality,
            from_day=event.effective_date,
            reason=f"certification ended ({event.reason.value})",
        )

    async def _void(
        self,
        session: AsyncSession,
        envelope: EventEnvelope,
        *,
        child_id: uuid.UUID,
        municipality: str,
        from_day: date,
        reason: str,
    ) -> None:
        """What a certification of ``municipality`` booked from ``from_day`` on: cancelled, no
        hours used; its plans stop the day before. Only what was made under that municipality's
        certification: after a move, the new home's bookings stand."""
        cancelled = await settlement.cancel_from(
            self.ctx,
            session,
            child_id=child_id,
            from_day=from_day,
            reason=reason,
            caused_by=envelope,
            child_municipality=municipality,
        )
        plans = await moves.end_plans(
            session, child_id=child_id, child_municipality=municipality, ended_on=from_day
        )
        log.info("certification ended", child_id=str(child_id), cancelled=cancelled, plans=plans)

    async def certification_changed(
        self, session: AsyncSession, envelope: EventEnvelope, event: CertificationChanged
    ) -> None:
        # A change application (保護者の変更, new e-mail): later notices go to the new address.
        changed = await children_store.change_guardian(
            session,
            event.child_id,
            event.certification_id,
            guardian_id=event.guardian_id,
            guardian_email=str(event.guardian_email),
        )
        if not changed:
            # Out of order (ChildCertified not here yet): applied when it arrives.
            await children_store.remember(
                session,
                {
                    "certification_id": event.certification_id,
                    "child_id": event.child_id,
                    "guardian_id": event.guardian_id,
                    "guardian_email": str(event.guardian_email),
                },
            )
            log.warning(
                "change of an unknown certification kept for later",
                child_id=str(event.child_id),
            )

    async def checked_in(
        self, session: AsyncSession, envelope: EventEnvelope, event: CheckedIn
    ) -> None:
        await settlement.mark_checked_in(session, event.booking_id)

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
            await settlement.settle(
                self.ctx,
                session,
                booking_id=booking_id,
                status=status,
                penalty_minutes=penalty,
                caused_by=envelope,
            )
        except NotFound as exc:
            raise PermanentFailure(str(exc)) from exc

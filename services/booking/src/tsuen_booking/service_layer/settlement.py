"""Settling bookings from other services' events (called by the consumers): attendance's
check-in and check-out turn a hold into use, no-show or a late-pickup penalty; eligibility's
withdrawals cancel a child's bookings ahead.

Each runs inside the consumer's transaction (state, ledger and outbox with the inbox row; lock
order: ``booking_rows.py``).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import booking_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.booking import ACTIVE_STATUSES, BookingStatus
from tsuen_booking.domain.errors import BOOKING_NOT_FOUND_JA, NotFound
from tsuen_booking.domain.ledger import MonthAccount
from tsuen_booking.domain.settlement import late_pickup_of_late_cancellation, over_cap_fee_yen
from tsuen_booking.service_layer.booking_rows import (
    facility_of,
    held_balances,
    held_minutes,
    lock_month_of,
    locked_booking,
)
from tsuen_booking.service_layer.cancellation import cancel_locked
from tsuen_booking.service_layer.context import Context
from tsuen_common.events.booking import (
    BookingKind,
    BookingSettled,
    QuotaOverCapCharged,
    SettlementStatus,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.logging import get_logger

log = get_logger(__name__)


async def cancel_from(
    ctx: Context,
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    from_day: date,
    reason: str,
    caused_by: EventEnvelope,
    child_municipality: str | None = None,
) -> int:
    """The system cancels a child's active bookings on or after ``from_day``; no hours used.
    ``child_municipality``: only those made under that municipality's certification."""
    rows = await booking_store.confirmed_of_child_from_for_update(
        session, child_id, from_day, child_municipality=child_municipality
    )
    for row in sorted(rows, key=lambda r: (r["use_date"], r["start_time"], r["id"])):
        await cancel_locked(
            ctx,
            session,
            row,
            reason=reason,
            cancelled_by="system",
            now=ctx.clock(),
            caused_by=caused_by,
        )
    return len(rows)


async def settle(
    ctx: Context,
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    status: BookingStatus,
    penalty_minutes: int,
    caused_by: EventEnvelope,
) -> bool:
    """Turn a booking's hold into consumption (use or no-show), plus a late-pickup penalty.

    Leaving early or arriving late never refunds: the booked time is consumed in full. A
    penalty that the month cannot absorb becomes an over-cap charge at the facility's rate.
    A booking cancelled late after the child had already arrived (the cancellation won the race
    with ``CheckedIn``) has its hours consumed already; its check-out still charges the late
    pickup (penalty and over-cap), once: the child was there and was picked up late.
    Returns False when the booking was no longer active (cancelled, or settled already).
    """
    row = await locked_booking(session, booking_id)
    if row is None:
        raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
    late_cancelled = late_pickup_of_late_cancellation(
        status=BookingStatus(row["status"]),
        outcome=status,
        penalty_minutes=penalty_minutes,
        consumed_minutes=row["consumed_minutes"],
        charged_penalty_minutes=row["penalty_minutes"],
        charged_over_cap_minutes=row["over_cap_minutes"],
    )
    if BookingStatus(row["status"]) not in ACTIVE_STATUSES and not late_cancelled:
        log.info("settlement skipped", booking_id=str(booking_id), status=row["status"])
        return False
    month, account = await lock_month_of(
        ctx, session, row["child_id"], row["child_municipality"], row["use_date"]
    )
    at_home = row["municipality"] == row["child_municipality"]
    entries = [] if late_cancelled else MonthAccount.plan_consume(held_balances(row), booking_id)
    after_consume = account.apply_all(entries)
    penalty = (
        after_consume.plan_penalty(penalty_minutes, at_home=at_home, booking_id=booking_id)
        if penalty_minutes > 0
        else []
    )
    await repo.record_entries(
        session,
        account=account,
        entries=entries + penalty,
        child_id=row["child_id"],
        month=month,
        municipality=row["child_municipality"],
    )
    over_cap = sum(e.minutes for e in penalty if e.kind == "over_cap")
    in_cap_penalty = sum(e.minutes for e in penalty if e.kind == "penalty")
    await booking_store.record_settlement(
        session,
        booking_id,
        # A late-cancelled booking stays cancelled; only its late pickup is added.
        status=row["status"] if late_cancelled else status.value,
        consumed_minutes=(row["consumed_minutes"] if late_cancelled else held_minutes(row))
        + in_cap_penalty,
        penalty_minutes=penalty_minutes,
        over_cap_minutes=over_cap,
    )
    facility_policy = ctx.policy(row["municipality"])
    facility, _ = await facility_of(session, row["facility_id"])
    charged = over_cap > 0 and facility_policy.attendance.overcap_fee_applies
    fee_yen = over_cap_fee_yen(over_cap, facility.extra_hour_fee_yen) if charged else 0
    if charged:
        child = await repo.get_child(session, row["child_id"])
        assert child is not None
        await ctx.outbox.add(
            session,
            QuotaOverCapCharged(
                child_id=row["child_id"],
                guardian_email=child.guardian_email,
                child_name=child.name,
                booking_id=booking_id,
                facility_id=facility.id,
                facility_name=facility.name,
                month=month,
                over_cap_minutes=over_cap,
                fee_yen=fee_yen,
            ),
            municipality=row["municipality"],
            caused_by=caused_by,
        )
    # The 利用実績 billing charges: what this settlement consumed, in the same transaction.
    await ctx.outbox.add(
        session,
        BookingSettled(
            booking_id=booking_id,
            child_id=row["child_id"],
            guardian_id=row["guardian_id"],
            facility_id=facility.id,
            facility_name=facility.name,
            kind=BookingKind(row["kind"]),
            use_date=row["use_date"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            status=SettlementStatus.CANCELLED if late_cancelled else SettlementStatus(status.value),
            booked_minutes_consumed=0 if late_cancelled else held_minutes(row),
            penalty_minutes=in_cap_penalty,
            over_cap_minutes=over_cap,
            over_cap_fee_yen=fee_yen,
            child_municipality=row["child_municipality"],
        ),
        municipality=row["municipality"],
        caused_by=caused_by,
    )
    return True


async def mark_checked_in(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """CheckedIn: the child is there (a booking no longer confirmed stays as it is)."""
    await booking_store.mark_in_use(session, booking_id)

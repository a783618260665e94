"""Cancelling a booking in two round trips (issue 20): one read, one call of ``cancel_use``.

The rules are the ones every cancellation follows (``bookings.decide_cancel``: in use, already
over, ended; timely or late by the municipality's deadline), decided in Python on the booking
as read; ``cancel_use`` (migration 0013) then does the atomic part in the one lock order (the
booking row → the child's month → cells ascending) after checking, under the row's lock, that
the booking is still the version the decision was made on. If it is not (a concurrent
cancellation won, the child checked in), the booking is read and decided again: of ten
simultaneous cancellations one succeeds and nine are told it is already cancelled.

一括キャンセル, the system's cancellations and a closure's stay in one transaction each
(``bookings.cancel_locked``): many bookings together, all or none.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tsuen_booking.adapters import hot_path_sql as sql
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.cancellation import CancellationCause, check_called_at
from tsuen_booking.domain.errors import BOOKING_NOT_FOUND_JA, Conflict, NotFound
from tsuen_booking.domain.facility import cells
from tsuen_booking.domain.ledger import month_of
from tsuen_booking.service_layer.access import can_see_booking
from tsuen_booking.service_layer.cancellation import (
    cancelled_event,
    canceller,
    check_cause,
    decide_cancel,
)
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.hot_path import engine_of
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Principal
from tsuen_common.logging import get_logger

log = get_logger(__name__)

_ATTEMPTS = 3


def _decide(
    ctx: Context,
    principal: Principal,
    found: sql.BookingSnapshot,
    *,
    reason: str,
    now: datetime,
    cause: CancellationCause | None,
    called_at: datetime | None,
) -> sql.CancelUse:
    row = found.row
    if called_at is not None:
        check_called_at(called_at, now=now, booked_at=row["created_at"])
    facility = repo.facility_from_row(found.facility)
    cancelled_by = canceller(principal)
    cause, outcome = decide_cancel(
        ctx, row, facility, cancelled_by=cancelled_by, now=now, cause=cause, called_at=called_at
    )
    event = cancelled_event(
        row,
        facility,
        guardian_email=found.guardian_email,
        child_name=found.child_name,
        reason=reason,
        cancelled_by=cancelled_by,
        cause=cause,
        outcome=outcome,
        bulk_id=None,
        called_at=called_at,
    )
    envelope = ctx.outbox.envelope(event, municipality=row["municipality"])
    return sql.CancelUse(
        booking_id=row["id"],
        version=found.version,
        month=month_of(row["use_date"]),
        timely=outcome.timely,
        consumed=outcome.consumed_minutes,
        cells=list(cells(row["use_date"], row["start_time"], row["end_time"], row["cell_minutes"])),
        cancelled_at=now,
        cancelled_by=cancelled_by,
        reason=reason,
        cause=cause.value,
        called_at=called_at,
        recorded_by=principal.subject,
        bulk_id=None,
        **sql.BookUse.outbox_columns(ctx.outbox.row(envelope, topic=event.topic)),
    )


async def cancel(
    ctx: Context,
    principal: Principal,
    booking_id: uuid.UUID,
    reason: str,
    *,
    cause: CancellationCause | None = None,
    called_at: datetime | None = None,
) -> dict[str, Any]:
    """``POST /v1/bookings/{id}/cancel``: the booking afterwards, or why not."""
    check_cause(principal, cause, called_at)
    now = ctx.clock()
    async with sql.connection(engine_of(ctx)) as conn:
        for attempt in range(1, _ATTEMPTS + 1):
            found = await sql.read_booking(conn, booking_id)
            if found is None or not can_see_booking(principal, found.row):
                raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
            call = _decide(
                ctx, principal, found, reason=reason, now=now, cause=cause, called_at=called_at
            )
            try:
                row = await sql.cancel_use(conn, call)
            except sql.Refused as refused:
                if refused.outcome != "stale":
                    raise AssertionError(f"cancel_use answered {refused}") from None
                continue  # changed since it was read: read it again
            except Exception as error:
                if not sql.retryable(error) or attempt == _ATTEMPTS:
                    raise
                continue
            break
        else:
            raise Conflict(
                "too many simultaneous changes; please try again",
                message_ja="同時に多くの変更があり、処理できませんでした。"
                "少し待ってから、もう一度お試しください。",
            )
    log.info("booking cancelled", booking_id=str(booking_id), timely=call.timely)
    return booking_out(row)


__all__ = ["cancel"]

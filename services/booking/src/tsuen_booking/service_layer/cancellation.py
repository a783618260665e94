"""Cancelling bookings: the locked cancellation every path shares (ledger, places, status,
event), whether it may happen and who caused it, and 一括キャンセル. A single cancellation from the
API is ``hot_cancel.py``; the system's cancellations are ``settlement.py``'s.

Every use case is one transaction: the state change, the ledger entries and the outbox event
commit together or not at all (lock order: ``booking_rows.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import booking_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.booking import ACTIVE_STATUSES, BookingStatus
from tsuen_booking.domain.cancellation import (
    CancellationCause,
    CancellationOutcome,
    decide_cancellation,
)
from tsuen_booking.domain.errors import Conflict, InvalidRequest, NotFound
from tsuen_booking.domain.facility import Facility, cells
from tsuen_booking.domain.ledger import MonthAccount
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.access import can_see_booking
from tsuen_booking.service_layer.booking_rows import (
    facility_of,
    held_balances,
    lock_month_of,
    reload_booking,
)
from tsuen_booking.service_layer.context import Context, retry_on_conflict
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Principal, Role
from tsuen_common.events.booking import BookingCancelled
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.timeutil import JST


async def cancel_locked(
    ctx: Context,
    session: AsyncSession,
    row: Mapping[Any, Any],
    *,
    reason: str,
    cancelled_by: str,
    now: datetime,
    bulk_id: uuid.UUID | None = None,
    caused_by: EventEnvelope | None = None,
    cause: CancellationCause | None = None,
    called_at: datetime | None = None,
    recorded_by: str | None = None,
) -> None:
    """Cancel a booking whose row the caller has locked: ledger, places, status, event.

    ``cause``: who caused it (domain/cancellation.py; default: the system for the system, the
    family otherwise); ``called_at``: when the family phoned, for a cancellation staff enter
    later — the deadline is judged then.
    """
    facility, _ = await facility_of(session, row["facility_id"])
    cause, outcome = decide_cancel(
        ctx, row, facility, cancelled_by=cancelled_by, now=now, cause=cause, called_at=called_at
    )
    month, account = await lock_month_of(
        ctx, session, row["child_id"], row["child_municipality"], row["use_date"]
    )
    held = held_balances(row)
    entries = (
        MonthAccount.plan_release(held, row["id"])
        if outcome.timely
        else MonthAccount.plan_consume(held, row["id"])
    )
    await repo.record_entries(
        session,
        account=account,
        entries=entries,
        child_id=row["child_id"],
        month=month,
        municipality=row["child_municipality"],
    )
    for cell in cells(row["use_date"], row["start_time"], row["end_time"], row["cell_minutes"]):
        await repo.free_cell(session, facility.id, row["use_date"], cell)
    await booking_store.record_cancellation(
        session,
        row["id"],
        status=BookingStatus.CANCELLED.value,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
        cancel_cause=cause.value,
        called_at=called_at,
        cancel_recorded_by=recorded_by,
        bulk_id=bulk_id,
        consumed_minutes=outcome.consumed_minutes,
    )
    child = await repo.get_child(session, row["child_id"])
    assert child is not None  # a booking is only ever made for a projected child
    await ctx.outbox.add(
        session,
        cancelled_event(
            row,
            facility,
            guardian_email=child.guardian_email,
            child_name=child.name,
            reason=reason,
            cancelled_by=cancelled_by,
            cause=cause,
            outcome=outcome,
            bulk_id=bulk_id,
            called_at=called_at,
        ),
        municipality=row["municipality"],
        caused_by=caused_by,
    )


def decide_cancel(
    ctx: Context,
    row: Mapping[Any, Any],
    facility: Facility,
    *,
    cancelled_by: str,
    now: datetime,
    cause: CancellationCause | None,
    called_at: datetime | None,
) -> tuple[CancellationCause, CancellationOutcome]:
    """Whether the booking may be cancelled now (raises :class:`Conflict` if not), who caused
    it, and whether it is timely. Pure: the caller has read the booking and its facility."""
    by_system = cancelled_by == "system"
    if cause is None:
        cause = CancellationCause.SYSTEM if by_system else CancellationCause.GUARDIAN
    judged_at = called_at or now
    status = BookingStatus(row["status"])
    if status is BookingStatus.IN_USE:
        raise Conflict(
            f"booking {row['id']} is in use (checked in); the check-out settles it",
            message_ja="この予約はすでに利用が始まっているため、キャンセルできません。利用終了の登録で精算されます。",
        )
    if status not in ACTIVE_STATUSES:
        raise Conflict(
            f"booking {row['id']} is already {status.value}",
            message_ja="この予約はすでにキャンセルされたか、利用が終わっています。予約一覧をご確認ください。",
        )
    if not by_system and judged_at >= row["ends_at"]:
        raise Conflict(
            f"booking {row['id']} ended at {row['ends_at'].astimezone(JST):%Y-%m-%d %H:%M}; "
            "it can no longer be cancelled",
            message_ja="この予約の利用時間はすでに終わっているため、キャンセルできません。",
        )
    outcome = decide_cancellation(
        rule=ctx.policy(row["municipality"]).cancellation,
        facility=facility,
        use_date=row["use_date"],
        held_minutes=row["held_national"] + row["held_topup"],
        cancelled_at=judged_at,
        by_system=by_system,
        cause=cause,
    )
    return cause, outcome


def cancelled_event(
    row: Mapping[Any, Any],
    facility: Facility,
    *,
    guardian_email: str,
    child_name: str | None,
    reason: str,
    cancelled_by: str,
    cause: CancellationCause,
    outcome: CancellationOutcome,
    bulk_id: uuid.UUID | None,
    called_at: datetime | None,
) -> BookingCancelled:
    return BookingCancelled(
        booking_id=row["id"],
        child_id=row["child_id"],
        guardian_email=guardian_email,
        child_name=child_name,
        facility_id=facility.id,
        facility_name=facility.name,
        facility_email=facility.email,
        use_date=row["use_date"],
        starts_at=row["starts_at"],
        reason=reason,
        cancelled_by=cancelled_by,
        timely=outcome.timely,
        consumed_minutes=outcome.consumed_minutes,
        bulk_id=bulk_id,
        cause=cause.value,
        called_at=called_at,
    )


def canceller(principal: Principal) -> str:
    return {
        Role.GUARDIAN: "guardian",
        Role.FACILITY_STAFF: "facility",
        Role.MUNICIPALITY_OFFICER: "municipality",
        Role.PLATFORM_ADMIN: "municipality",
    }[principal.role]


def check_cause(
    principal: Principal, cause: CancellationCause | None, called_at: datetime | None
) -> None:
    """Only staff and officers say who caused a cancellation or when the family phoned."""
    if principal.role is Role.GUARDIAN and (
        called_at is not None or cause not in (None, CancellationCause.GUARDIAN)
    ):
        raise InvalidRequest(
            "a guardian's cancellation is the guardian's; cause and called_at are for staff",
            message_ja="キャンセルの理由区分と電話の時刻は、施設・市区町村の職員のみが入力できます。",
        )
    if cause is CancellationCause.SYSTEM:
        raise InvalidRequest(
            "the system's cancellations are not entered by hand",
            message_ja="システムによるキャンセルは手入力できません。キャンセルの理由区分を選び直してください。",
        )
    if called_at is not None and cause not in (None, CancellationCause.GUARDIAN):
        raise InvalidRequest(
            "called_at is the time of the guardian's call: only for the guardian's cancellation",
            message_ja="電話の時刻は、保護者からのキャンセルの場合にのみ入力できます。",
        )


@retry_on_conflict
async def cancel_bulk(
    ctx: Context,
    principal: Principal,
    booking_ids: list[uuid.UUID],
    reason: str,
    *,
    cause: CancellationCause | None = None,
) -> dict[str, Any]:
    """一括キャンセル: all of them or none; one bulk id ties the notices together."""
    check_cause(principal, cause, None)
    now = ctx.clock()
    ids = sorted(set(booking_ids))
    bulk_id = uuid.uuid4()
    async with ctx.transaction() as session:
        rows = await booking_store.bookings_for_update(session, ids)
        found = {r["id"]: r for r in rows if can_see_booking(principal, r)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(
                f"bookings not found: {', '.join(missing)}",
                message_ja="指定された予約の一部が見つかりませんでした。予約一覧を更新して、もう一度お選びください。",
            )
        ordered = sorted(
            found.values(), key=lambda r: (r["child_id"], r["use_date"], r["start_time"], r["id"])
        )
        for row in ordered:
            await cancel_locked(
                ctx,
                session,
                row,
                reason=reason,
                cancelled_by=canceller(principal),
                now=now,
                bulk_id=bulk_id,
                cause=cause,
                recorded_by=principal.subject,
            )
        for facility_id in sorted({r["facility_id"] for r in ordered}):
            here = [r for r in ordered if r["facility_id"] == facility_id]
            await audit.record(
                session,
                principal,
                StaffAction.BOOKINGS_CANCELLED,
                municipality=here[0]["municipality"],
                facility_id=facility_id,
                at=now,
                subject_id=bulk_id,
                detail={"reason": reason, "bookings_cancelled": len(here)},
            )
        result = [booking_out(await reload_booking(session, i)) for i in ids]
    return {"bulk_id": bulk_id, "bookings": result}

"""Booking use cases: list, cancel (single and 一括), deadlines, interviews' outcome
(acceptance), and settling a booking from attendance. Booking itself (柔軟利用, 代理予約 and
定期利用's occurrences) is ``hot_path.py``: one round trip.

Every use case is one transaction: the state change, the ledger entries and the outbox event
commit together or not at all. Lock order, everywhere: facility row (shared, when booking) or
booking rows (by id) → the child's month row → slot cells (ascending). One order means concurrent
transactions queue instead of deadlocking.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.orm import (
    acceptances,
    bookings,
    children,
    interviews,
)
from tsuen_booking.domain.acceptance import check_may_accept, check_medical_care_consulted
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.booking import (
    ACTIVE_STATUSES,
    BookingStatus,
)
from tsuen_booking.domain.cancellation import (
    CancellationCause,
    CancellationOutcome,
    cancellation_deadline,
    decide_cancellation,
)
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.errors import (
    BOOKING_NOT_FOUND_JA,
    CHILD_NOT_FOUND_JA,
    FACILITY_NOT_FOUND_JA,
    Conflict,
    InvalidRequest,
    NotFound,
)
from tsuen_booking.domain.facility import Facility, cells
from tsuen_booking.domain.ledger import Balance, MonthAccount, month_of
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.context import Context, claim_uuid, retry_on_conflict
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import (
    BookingCancelled,
    BookingKind,
    BookingSettled,
    FacilityAcceptanceRecorded,
    QuotaOverCapCharged,
    SettlementStatus,
)
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.logging import get_logger
from tsuen_common.timeutil import JST

log = get_logger(__name__)


# -- who may see what ---------------------------------------------------------------------------


def can_see_booking(principal: Principal, row: Mapping[Any, Any]) -> bool:
    match principal.role:
        case Role.PLATFORM_ADMIN:
            return True
        case Role.MUNICIPALITY_OFFICER:
            return principal.municipality in (row["municipality"], row["child_municipality"])
        case Role.FACILITY_STAFF:
            return principal.can_access_facility(row["municipality"], str(row["facility_id"]))
        case Role.GUARDIAN:
            return principal.can_access_guardian(row["child_municipality"], str(row["guardian_id"]))


def tenant_filter(principal: Principal, table: sa.Table) -> sa.ColumnElement[bool]:
    """The caller's tenant as a WHERE clause, for any table with the booking tenancy columns
    (``municipality``, ``child_municipality``, ``facility_id``, ``guardian_id``)."""
    c = table.c
    match principal.role:
        case Role.PLATFORM_ADMIN:
            return sa.true()
        case Role.MUNICIPALITY_OFFICER:
            return sa.or_(
                c.municipality == principal.municipality,
                c.child_municipality == principal.municipality,
            )
        case Role.FACILITY_STAFF:
            return sa.and_(
                c.municipality == principal.municipality,
                c.facility_id == claim_uuid(principal.facility_id),
            )
        case Role.GUARDIAN:
            return sa.and_(
                c.child_municipality == principal.municipality,
                c.guardian_id == claim_uuid(principal.guardian_id),
            )


def can_see_child(principal: Principal, child: CertifiedChild) -> bool:
    if principal.role is Role.FACILITY_STAFF:
        return False
    return principal.can_access_guardian(child.municipality, str(child.guardian_id))


def booking_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "child_id": row["child_id"],
        "municipality": row["municipality"],
        "kind": row["kind"],
        "status": row["status"],
        "use_date": row["use_date"],
        "start": row["start_time"].strftime("%H:%M"),
        "end": row["end_time"].strftime("%H:%M"),
        "starts_at": row["starts_at"].astimezone(JST),
        "ends_at": row["ends_at"].astimezone(JST),
        "held_minutes": row["held_national"] + row["held_topup"],
        "consumed_minutes": row["consumed_minutes"],
        "penalty_minutes": row["penalty_minutes"],
        "over_cap_minutes": row["over_cap_minutes"],
        "by_proxy": row["by_proxy"],
        "cancelled_at": row["cancelled_at"].astimezone(JST) if row["cancelled_at"] else None,
        "cancelled_by": row["cancelled_by"],
        "cancel_reason": row["cancel_reason"],
        "cancel_cause": row.get("cancel_cause"),
        "called_at": row["called_at"].astimezone(JST) if row.get("called_at") else None,
        "bulk_id": row["bulk_id"],
        # Staff lists and the guardian's own list name the child (issue 13); None when the
        # certification came before names were sent, or the row was read without it.
        "child_name": row.get("child_name"),
    }


def _held(row: Mapping[Any, Any]) -> dict[Balance, int]:
    return {Balance.NATIONAL: row["held_national"], Balance.TOPUP: row["held_topup"]}


def _held_minutes(row: Mapping[Any, Any]) -> int:
    return int(row["held_national"] + row["held_topup"])


async def _lock_month_of(
    ctx: Context, session: AsyncSession, child_id: uuid.UUID, child_municipality: str, day: date
) -> tuple[str, MonthAccount]:
    home = ctx.policy(child_municipality).quota
    month = month_of(day)
    account = await repo.lock_month(
        session,
        child_id=child_id,
        month=month,
        municipality=child_municipality,
        cap_minutes=home.monthly_cap_minutes,
        topup_minutes=home.topup_minutes,
    )
    return month, account


async def _locked_booking(session: AsyncSession, booking_id: uuid.UUID) -> Mapping[Any, Any] | None:
    return (
        (
            await session.execute(
                sa.select(bookings).where(bookings.c.id == booking_id).with_for_update()
            )
        )
        .mappings()
        .first()
    )


async def _reload(session: AsyncSession, booking_id: uuid.UUID) -> Mapping[Any, Any]:
    return (
        (await session.execute(sa.select(bookings).where(bookings.c.id == booking_id)))
        .mappings()
        .one()
    )


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingFilter:
    kind: BookingKind | None = None
    status: BookingStatus | None = None
    facility_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    upcoming: bool = False


def interview_as_booking(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An interview in the booking list (予約一覧 shows 初回面談 beside the uses)."""
    starts_at = row["starts_at"].astimezone(JST) if row["starts_at"] else None
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "child_id": row["child_id"],
        "municipality": row["municipality"],
        "kind": BookingKind.INTERVIEW.value,
        "status": row["status"],
        "use_date": starts_at.date() if starts_at else None,
        "start": starts_at.strftime("%H:%M") if starts_at else None,
        "starts_at": starts_at,
        "held_minutes": 0,
        "consumed_minutes": 0,
    }


async def _list_interviews(
    ctx: Context, principal: Principal, flt: BookingFilter
) -> list[dict[str, Any]]:
    stmt = sa.select(interviews).where(tenant_filter(principal, interviews))
    if flt.facility_id is not None:
        stmt = stmt.where(interviews.c.facility_id == flt.facility_id)
    if flt.child_id is not None:
        stmt = stmt.where(interviews.c.child_id == flt.child_id)
    day = sa.func.date(sa.func.timezone("Asia/Tokyo", interviews.c.starts_at))
    if flt.date_from is not None:
        stmt = stmt.where(day >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(day <= flt.date_to)
    if flt.status is BookingStatus.CANCELLED:
        stmt = stmt.where(interviews.c.status == "cancelled")
    elif flt.upcoming:  # what is still ahead: not the called-off ones
        stmt = stmt.where(interviews.c.status != "cancelled")
    if flt.upcoming:
        stmt = stmt.where(
            sa.or_(interviews.c.starts_at.is_(None), interviews.c.starts_at > ctx.clock())
        )
    stmt = stmt.order_by(interviews.c.starts_at.nulls_last(), interviews.c.id).limit(1000)
    async with ctx.sessions() as session:
        return [interview_as_booking(r) for r in (await session.execute(stmt)).mappings()]


async def list_bookings(
    ctx: Context, principal: Principal, flt: BookingFilter
) -> list[dict[str, Any]]:
    """予約一覧: uses (柔軟利用, 定期利用) and, with ``kind=interview``, first interviews."""
    if flt.kind is BookingKind.INTERVIEW:
        if flt.status is not None:
            raise InvalidRequest(
                "interviews have no booking status; leave out status",
                message_ja="初回面談には予約の状態がありません。状態の指定を外して検索してください。",
            )
        return await _list_interviews(ctx, principal, flt)
    stmt = (
        sa.select(bookings, children.c.name.label("child_name"))
        .outerjoin(children, children.c.child_id == bookings.c.child_id)
        .where(tenant_filter(principal, bookings))
    )
    if flt.kind is not None:
        stmt = stmt.where(bookings.c.kind == flt.kind.value)
    if flt.status is not None:
        stmt = stmt.where(bookings.c.status == flt.status.value)
    if flt.facility_id is not None:
        stmt = stmt.where(bookings.c.facility_id == flt.facility_id)
    if flt.child_id is not None:
        stmt = stmt.where(bookings.c.child_id == flt.child_id)
    if flt.date_from is not None:
        stmt = stmt.where(bookings.c.use_date >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(bookings.c.use_date <= flt.date_to)
    if flt.upcoming:
        stmt = stmt.where(
            bookings.c.ends_at > ctx.clock(),
            bookings.c.status.in_([s.value for s in ACTIVE_STATUSES]),
        )
    stmt = stmt.order_by(bookings.c.starts_at, bookings.c.id).limit(1000)
    async with ctx.sessions() as session:
        return [booking_out(r) for r in (await session.execute(stmt)).mappings()]


async def get_booking(ctx: Context, principal: Principal, booking_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = (
            (await session.execute(sa.select(bookings).where(bookings.c.id == booking_id)))
            .mappings()
            .first()
        )
    if row is None or not can_see_booking(principal, row):
        raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
    return booking_out(row)


# -- cancellation -------------------------------------------------------------------------------


async def _facility(
    session: AsyncSession, facility_id: uuid.UUID
) -> tuple[Facility, Mapping[Any, Any]]:
    row = await repo.facility_row(session, facility_id)
    if row is None:
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
    return repo.facility_from_row(row), row


async def booking_deadline(ctx: Context, principal: Principal, booking_id: uuid.UUID) -> datetime:
    async with ctx.sessions() as session:
        row = (
            (await session.execute(sa.select(bookings).where(bookings.c.id == booking_id)))
            .mappings()
            .first()
        )
        if row is None or not can_see_booking(principal, row):
            raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
        facility, _ = await _facility(session, row["facility_id"])
    rule = ctx.policy(row["municipality"]).cancellation
    return cancellation_deadline(rule, facility, row["use_date"]).astimezone(JST)


async def preview_deadline(
    ctx: Context, principal: Principal, municipality: str, facility_id: uuid.UUID, start: datetime
) -> datetime:
    rule = ctx.policy(municipality).cancellation
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
    if (
        row is None
        or row["municipality"] != municipality
        or not can_see_facility(ctx, principal, row)
    ):
        raise NotFound(
            f"facility {facility_id} not found in municipality {municipality}",
            message_ja=FACILITY_NOT_FOUND_JA,
        )
    local = start.replace(tzinfo=JST) if start.tzinfo is None else start.astimezone(JST)
    return cancellation_deadline(rule, repo.facility_from_row(row), local.date()).astimezone(JST)


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
    facility, _ = await _facility(session, row["facility_id"])
    cause, outcome = decide_cancel(
        ctx, row, facility, cancelled_by=cancelled_by, now=now, cause=cause, called_at=called_at
    )
    month, account = await _lock_month_of(
        ctx, session, row["child_id"], row["child_municipality"], row["use_date"]
    )
    held = _held(row)
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
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == row["id"])
        .values(
            status=BookingStatus.CANCELLED.value,
            cancelled_at=now,
            cancelled_by=cancelled_by,
            cancel_reason=reason,
            cancel_cause=cause.value,
            called_at=called_at,
            cancel_recorded_by=recorded_by,
            bulk_id=bulk_id,
            consumed_minutes=outcome.consumed_minutes,
            updated_at=sa.func.now(),
        )
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
    async with ctx.sessions() as session, session.begin():
        rows = (
            (
                await session.execute(
                    sa.select(bookings)
                    .where(bookings.c.id.in_(ids))
                    .order_by(bookings.c.id)
                    .with_for_update()
                )
            )
            .mappings()
            .all()
        )
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
        result = [booking_out(await _reload(session, i)) for i in ids]
    return {"bulk_id": bulk_id, "bookings": result}


# -- acceptance after the first interview -------------------------------------------------------


async def record_acceptance(
    ctx: Context,
    principal: Principal,
    facility_id: uuid.UUID,
    child_id: uuid.UUID,
    accepted: bool,
    override_reason: str | None = None,
    medical_care_consulted: bool = False,
) -> dict[str, Any]:
    """After 初回面談 and the health check the facility accepts (or declines) the child.

    Accepting needs the interview recorded as held there, or an officer's reason
    (domain/acceptance.py); who recorded it, and any reason, stay with the acceptance.
    """
    async with ctx.sessions() as session, session.begin():
        frow = await repo.facility_row(session, facility_id)
        if frow is None or not principal.can_access_facility(
            frow["municipality"], str(facility_id)
        ):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("only the facility records its acceptance")
        child = await repo.get_child(session, child_id)
        if child is None:
            raise NotFound(f"child {child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        check_may_accept(
            accepted=accepted,
            interview_status=await repo.interview_status(
                session, facility_id=facility_id, child_id=child_id
            ),
            role=principal.role,
            override_reason=override_reason,
        )
        check_medical_care_consulted(
            accepted=accepted,
            needs_medical_care=child.needs_medical_care,
            consultation_required=ctx.policy(
                child.municipality
            ).eligibility.medical_care_consultation_required,
            consulted=medical_care_consulted,
        )
        decision = {
            "accepted": accepted,
            "recorded_by": principal.subject,
            "override_reason": override_reason,
            "medical_care_consulted": medical_care_consulted,
        }
        await session.execute(
            insert(acceptances)
            .values(
                facility_id=facility_id,
                child_id=child_id,
                municipality=frow["municipality"],
                **decision,
            )
            .on_conflict_do_update(
                index_elements=["facility_id", "child_id"],
                set_={**decision, "recorded_at": sa.func.now()},
            )
        )
        await ctx.outbox.add(
            session,
            FacilityAcceptanceRecorded(
                child_id=child_id,
                guardian_email=child.guardian_email,
                child_name=child.name,
                facility_id=facility_id,
                facility_name=frow["name"],
                accepted=accepted,
            ),
            municipality=frow["municipality"],
        )
        await audit.record(
            session,
            principal,
            StaffAction.CHILD_ACCEPTED if accepted else StaffAction.CHILD_DECLINED,
            municipality=frow["municipality"],
            facility_id=facility_id,
            at=ctx.clock(),
            subject_id=child_id,
            detail={
                "override_reason": override_reason,
                "medical_care_consulted": medical_care_consulted,
            },
        )
    return {
        "facility_id": facility_id,
        "child_id": child_id,
        "accepted": accepted,
        "override_reason": override_reason,
        "medical_care_consulted": medical_care_consulted,
    }


# -- settling from attendance and eligibility (called by the consumers) -------------------------


async def cancel_from(
    ctx: Context,
    session: AsyncSession,
    *,
    child_id: uuid.UUID,
    from_day: date,
    reason: str,
    caused_by: EventEnvelope,
) -> int:
    """The system cancels a child's active bookings on or after ``from_day``; no hours used."""
    rows = (
        (
            await session.execute(
                sa.select(bookings)
                .where(
                    bookings.c.child_id == child_id,
                    bookings.c.use_date >= from_day,
                    bookings.c.status == BookingStatus.CONFIRMED.value,
                )
                .order_by(bookings.c.id)
                .with_for_update()
            )
        )
        .mappings()
        .all()
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
    row = await _locked_booking(session, booking_id)
    if row is None:
        raise NotFound(f"booking {booking_id} not found", message_ja=BOOKING_NOT_FOUND_JA)
    late_cancelled = (
        BookingStatus(row["status"]) is BookingStatus.CANCELLED
        and status is BookingStatus.USED
        and penalty_minutes > 0
        and row["consumed_minutes"] > 0  # a late cancellation: the booked time is consumed
        and row["penalty_minutes"] == 0  # its late pickup not charged yet
        and row["over_cap_minutes"] == 0
    )
    if BookingStatus(row["status"]) not in ACTIVE_STATUSES and not late_cancelled:
        log.info("settlement skipped", booking_id=str(booking_id), status=row["status"])
        return False
    month, account = await _lock_month_of(
        ctx, session, row["child_id"], row["child_municipality"], row["use_date"]
    )
    at_home = row["municipality"] == row["child_municipality"]
    entries = [] if late_cancelled else MonthAccount.plan_consume(_held(row), booking_id)
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
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id)
        .values(
            # A late-cancelled booking stays cancelled; only its late pickup is added.
            status=row["status"] if late_cancelled else status.value,
            consumed_minutes=(row["consumed_minutes"] if late_cancelled else _held_minutes(row))
            + in_cap_penalty,
            penalty_minutes=penalty_minutes,
            over_cap_minutes=over_cap,
            updated_at=sa.func.now(),
        )
    )
    facility_policy = ctx.policy(row["municipality"])
    facility, _ = await _facility(session, row["facility_id"])
    charged = over_cap > 0 and facility_policy.attendance.overcap_fee_applies
    # "1時間ごとに追加料金": every started hour beyond the cap, at the facility's rate.
    fee_yen = math.ceil(over_cap / 60) * facility.extra_hour_fee_yen if charged else 0
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
            booked_minutes_consumed=0 if late_cancelled else _held_minutes(row),
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
    await session.execute(
        sa.update(bookings)
        .where(bookings.c.id == booking_id, bookings.c.status == BookingStatus.CONFIRMED.value)
        .values(status=BookingStatus.IN_USE.value, updated_at=sa.func.now())
    )


__all__ = [
    "BookingFilter",
    "booking_deadline",
    "cancel_bulk",
    "cancel_from",
    "get_booking",
    "list_bookings",
    "mark_checked_in",
    "preview_deadline",
    "record_acceptance",
    "settle",
    "tenant_filter",
]

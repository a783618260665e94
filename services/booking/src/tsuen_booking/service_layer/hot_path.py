"""Booking a use in one round trip (issue 20): 柔軟利用, 代理予約 and 定期利用's occurrences.

What is pure is decided here first, in Python (the domain's rules: who may book where, the
acceptance, the age window, opening hours, steps, cells, minutes, places per cell); what must
be atomic runs in one call of the ``book_use`` function (migration 0011): the clash check, the
hold on the right month balance, the booking row, the ledger entries, the outbox event and the
places, in the one lock order (facility shared → the child's month → cells ascending). The
call answers held minutes or a refusal, which becomes the same error as ever.

An HTTP booking keeps, per process, the facility and child rows it last booked with
(:class:`Snapshots`) and hands their row versions to the call, which refuses as ``stale`` if
either changed: then the rows are read again and the request decided again. So a request costs
one round trip when nothing changed, two otherwise. A refusal by the pure rules on remembered
rows is decided again on fresh ones before it is answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tsuen_booking.adapters import hot_path_sql as sql
from tsuen_booking.adapters import interview_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.group_commit import GROUP_COMMIT, GroupCommit
from tsuen_booking.domain.booking import (
    BookingPlan,
    BookingStatus,
    overlapping_booking,
    plan_booking,
    span_text,
)
from tsuen_booking.domain.cancellation import cancellation_deadline
from tsuen_booking.domain.child import CertifiedChild
from tsuen_booking.domain.errors import (
    CHILD_NOT_FOUND_JA,
    FACILITY_NOT_FOUND_JA,
    BookingError,
    Conflict,
    InvalidRequest,
    NotFound,
)
from tsuen_booking.domain.facility import Facility
from tsuen_booking.domain.ledger import QuotaExceeded, month_of
from tsuen_booking.service_layer.access import can_see_child
from tsuen_booking.service_layer.commands import BookingRequest
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import BookingConfirmed, BookingKind
from tsuen_common.logging import get_logger

log = get_logger(__name__)

_ATTEMPTS = 3


class Snapshots:
    """The rows an HTTP booking last succeeded with, per (facility, child): bounded, per
    process. Never trusted alone: ``book_use`` checks their versions in the same call."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._rows: dict[tuple[uuid.UUID, uuid.UUID], sql.Snapshot] = {}

    def get(self, key: tuple[uuid.UUID, uuid.UUID]) -> sql.Snapshot | None:
        return self._rows.get(key)

    def keep(self, key: tuple[uuid.UUID, uuid.UUID], snapshot: sql.Snapshot) -> None:
        if key not in self._rows and len(self._rows) >= self.limit:
            del self._rows[next(iter(self._rows))]  # the oldest
        self._rows[key] = snapshot

    def forget(self, key: tuple[uuid.UUID, uuid.UUID]) -> None:
        self._rows.pop(key, None)


def _snapshots(ctx: Context) -> Snapshots:
    found = ctx.remembered.setdefault("booking snapshots", Snapshots())
    assert isinstance(found, Snapshots)
    return found


def engine_of(ctx: Context) -> AsyncEngine:
    """The engine whose pool the raw asyncpg connections are borrowed from."""
    engine = ctx.engine or ctx.sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    return engine


NOT_ACCEPTED = (
    "the facility has not accepted this child yet: book a first interview (初回面談) "
    "and wait for the facility's acceptance"
)
NOT_ACCEPTED_JA = (
    "この施設では、まだお子さまの受け入れが決まっていません。初回面談を申し込み、"
    "施設からの受け入れのお知らせをお待ちください。"
)


def decide(
    ctx: Context,
    *,
    facility: Facility,
    child: CertifiedChild,
    accepted: bool,
    use_date: date,
    start: time,
    end: time,
    kind: BookingKind,
    by_proxy: bool,
    now: datetime,
    plan_id: uuid.UUID | None = None,
    versions: tuple[int, int | None] | None = None,
) -> tuple[BookingPlan, sql.BookUse]:
    """The pure rules, in today's order; raises the first refusal. Returns the plan and the
    arguments of the call that does the rest (``versions``: the facility's and the child's
    row versions the decision was made on; None when the caller holds the facility's lock)."""
    at_home = facility.municipality == child.municipality
    home = ctx.policy(child.municipality)
    if not at_home and not home.eligibility.cross_municipality_use_allowed:
        raise InvalidRequest(
            "the child's municipality does not allow use of facilities elsewhere (広域利用)",
            message_ja="お住まいの市区町村では、ほかの市区町村の施設はご利用いただけません"
            "（広域利用の対象外です）。",
        )
    child.check_decided_facility(
        facility.id, use_date, home.eligibility.decided_facility_only_through
    )
    if not accepted:
        raise InvalidRequest(NOT_ACCEPTED, message_ja=NOT_ACCEPTED_JA)
    here = ctx.policy(facility.municipality)
    plan = plan_booking(
        facility=facility,
        quota=here.quota,
        child=child,
        use_date=use_date,
        start=start,
        end=end,
        now=now,
        kind=kind,
    )
    envelope = ctx.outbox.envelope(
        BookingConfirmed(
            booking_id=plan.booking_id,
            child_id=child.child_id,
            guardian_id=child.guardian_id,
            guardian_email=child.guardian_email,
            child_name=child.name,
            facility_id=facility.id,
            facility_name=facility.name,
            facility_email=facility.email,
            kind=kind,
            use_date=plan.use_date,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            held_minutes=plan.minutes,
            by_proxy=by_proxy,
            cancellation_deadline=cancellation_deadline(here.cancellation, facility, plan.use_date),
            facility_phone=facility.phone,
            plan_id=plan_id,
        ),
        municipality=facility.municipality,
    )
    outbox_row = ctx.outbox.row(envelope, topic=BookingConfirmed.topic)
    facility_version, child_version = versions or (None, None)
    call = sql.BookUse(
        facility_id=facility.id,
        facility_version=facility_version,
        child_id=child.child_id,
        child_version=child_version,
        booking_id=plan.booking_id,
        municipality=facility.municipality,
        child_municipality=child.municipality,
        guardian_id=child.guardian_id,
        kind=kind.value,
        plan_id=plan_id,
        use_date=plan.use_date,
        start=plan.start,
        end=plan.end,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        cell_minutes=plan.cell_minutes,
        minutes=plan.minutes,
        at_home=at_home,
        by_proxy=by_proxy,
        month=month_of(plan.use_date),
        cap_minutes=home.quota.monthly_cap_minutes,
        topup_minutes=home.quota.topup_minutes,
        cells=list(plan.cells),
        places=[facility.places_at(plan.use_date, cell.hour) for cell in plan.cells],
        **sql.BookUse.outbox_columns(outbox_row),
    )
    return plan, call


def refusal(refused: sql.Refused, plan: BookingPlan) -> BookingError:
    """The error a refusal of ``book_use`` answers (as the SQLAlchemy path said it)."""
    match refused.outcome:
        case "not_accepted":
            return InvalidRequest(NOT_ACCEPTED, message_ja=NOT_ACCEPTED_JA)
        case "clash":
            return overlapping_booking(plan.use_date, plan.start, plan.end)
        case "quota":
            return QuotaExceeded(int(refused.detail))
        case "full":
            cell = time.fromisoformat(refused.detail)
            cell_end = datetime.combine(plan.use_date, cell) + timedelta(minutes=plan.cell_minutes)
            span = span_text(cell, cell_end.time())
            return Conflict(
                f"no free place {span}",
                message_ja=f"{span}は空きがありません。別の時間帯か、ほかの施設をお選びください。",
            )
    raise AssertionError(f"book_use answered {refused}")


def booked_row(plan: BookingPlan, call: sql.BookUse, held: tuple[int, int]) -> dict[str, Any]:
    """The booking row as ``book_use`` wrote it (what reading it back would give)."""
    return {
        "id": plan.booking_id,
        "facility_id": call.facility_id,
        "child_id": call.child_id,
        "municipality": call.municipality,
        "child_municipality": call.child_municipality,
        "guardian_id": call.guardian_id,
        "kind": call.kind,
        "plan_id": call.plan_id,
        "status": BookingStatus.CONFIRMED.value,
        "use_date": plan.use_date,
        "start_time": plan.start,
        "end_time": plan.end,
        "starts_at": plan.starts_at,
        "ends_at": plan.ends_at,
        "cell_minutes": plan.cell_minutes,
        "held_national": held[0],
        "held_topup": held[1],
        "by_proxy": call.by_proxy,
        "consumed_minutes": 0,
        "penalty_minutes": 0,
        "over_cap_minutes": 0,
        "cancelled_at": None,
        "cancelled_by": None,
        "cancel_reason": None,
        "cancel_cause": None,
        "called_at": None,
        "bulk_id": None,
    }


# -- the HTTP booking: 柔軟利用 and 代理予約 ----------------------------------------------------


def _decide_request(
    ctx: Context,
    principal: Principal,
    snapshot: sql.Snapshot,
    request: BookingRequest,
    now: datetime,
) -> tuple[BookingPlan, sql.BookUse]:
    frow, child = snapshot.facility, snapshot.child
    if frow is None or not can_see_facility(ctx, principal, frow):
        raise NotFound(
            f"facility {request.facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA
        )
    if child is None or not (
        principal.role is Role.FACILITY_STAFF or can_see_child(principal, child)
    ):
        raise NotFound(f"child {request.child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
    return decide(
        ctx,
        facility=repo.facility_from_row(frow),
        child=child,
        accepted=snapshot.accepted,
        use_date=request.use_date,
        start=request.start,
        end=request.end,
        kind=request.kind,
        by_proxy=principal.role is Role.FACILITY_STAFF,
        now=now,
        versions=(snapshot.facility_version, snapshot.child_version),
    )


Read = Callable[[uuid.UUID, uuid.UUID], Awaitable[sql.Snapshot]]
Call = Callable[[sql.BookUse], Awaitable[tuple[int, int]]]


async def book(ctx: Context, principal: Principal, request: BookingRequest) -> dict[str, Any]:
    """``POST /v1/bookings``: one round trip with remembered rows, two without. With group
    commit on, the call goes in this process's next ``book_uses`` batch, and a connection is
    held only for a read (never while waiting for the batch, which needs one itself)."""
    if principal.role not in (Role.GUARDIAN, Role.FACILITY_STAFF):
        raise Forbidden("only a guardian, or facility staff on the guardian's behalf, can book")
    grouped = ctx.remembered.get(GROUP_COMMIT)
    if isinstance(grouped, GroupCommit):
        engine = engine_of(ctx)

        async def read_alone(facility_id: uuid.UUID, child_id: uuid.UUID) -> sql.Snapshot:
            async with sql.connection(engine) as conn:
                return await sql.read(conn, facility_id, child_id)

        plan, call, held = await _book(ctx, principal, request, read_alone, grouped.book_use)
    else:
        async with sql.connection(engine_of(ctx)) as conn:
            plan, call, held = await _book(
                ctx, principal, request, partial(sql.read, conn), partial(sql.book_use, conn)
            )
    log.info(
        "booking confirmed",
        booking_id=str(plan.booking_id),
        facility_id=str(call.facility_id),
        minutes=held[0] + held[1],
    )
    return booking_out(booked_row(plan, call, held))


async def _book(
    ctx: Context, principal: Principal, request: BookingRequest, read: Read, book_use: Call
) -> tuple[BookingPlan, sql.BookUse, tuple[int, int]]:
    now = ctx.clock()
    key = (request.facility_id, request.child_id)
    snapshots = _snapshots(ctx)
    for attempt in range(1, _ATTEMPTS + 1):
        snapshot = snapshots.get(key)
        remembered = snapshot is not None
        if snapshot is None:
            snapshot = await read(request.facility_id, request.child_id)
        try:
            plan, call = _decide_request(ctx, principal, snapshot, request, now)
        except (BookingError, Forbidden):
            if not remembered:
                raise
            snapshots.forget(key)  # refused on remembered rows: decide on fresh ones
            continue
        try:
            held = await book_use(call)
        except sql.Refused as refused:
            if refused.outcome != "stale":
                raise refusal(refused, plan) from None
            snapshots.forget(key)
            continue
        except Exception as error:
            if not sql.retryable(error) or attempt == _ATTEMPTS:
                raise
            continue
        snapshots.keep(key, snapshot)
        return plan, call, held
    raise Conflict(
        "too many simultaneous changes; please try again",
        message_ja="同時に多くの変更があり、処理できませんでした。"
        "少し待ってから、もう一度お試しください。",
    )


# -- inside a caller's transaction: 定期利用's occurrences ------------------------------------


async def place_booking(
    ctx: Context,
    session: AsyncSession,
    *,
    frow: Mapping[Any, Any],
    child: CertifiedChild,
    use_date: date,
    start: time,
    end: time,
    kind: BookingKind,
    by_proxy: bool,
    now: datetime,
    plan_id: uuid.UUID | None = None,
    accepted: bool | None = None,
) -> Mapping[Any, Any]:
    """Check and take places and hours for one use inside the caller's transaction (the
    facility row share-locked by the caller): the same decision and the same ``book_use`` call
    as an HTTP booking. Raises a :class:`BookingError` saying why not (the transaction is then
    aborted: the caller rolls it back)."""
    facility = repo.facility_from_row(frow)
    if accepted is None:
        accepted = await interview_store.accepted(session, facility.id, child.child_id)
    plan, call = decide(
        ctx,
        facility=facility,
        child=child,
        accepted=bool(accepted),
        use_date=use_date,
        start=start,
        end=end,
        kind=kind,
        by_proxy=by_proxy,
        now=now,
        plan_id=plan_id,
    )
    try:
        held = await sql.book_use_in(session, call)
    except sql.Refused as refused:
        raise refusal(refused, plan) from None
    return booked_row(plan, call, held)


__all__ = ["Snapshots", "book", "decide", "place_booking", "refusal"]

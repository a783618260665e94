"""空き待ち (issue 17): join a full span's wait list, offers of freed places held for a time,
accept (a normal booking), decline or leave; and the sweep that expires holds and offers.

A held place is a taken place: the offer adds one to ``taken`` of each cell of the span (as a
booking would), so no one else can book it, and the accept gives it back in the same
transaction that books it through ``book_use`` with every booking rule (quota, deadlines,
overlap). A refused accept rolls back and the hold stays until it expires.

Places free up in many ways (a guardian's or the facility's cancellation, a revoked
certification, more places in a new week); rather than hooking each, one day's list is looked
at again (:func:`sweep_day`) right after a cancellation through the API and by the worker's
periodic :func:`sweep` for everything else, which also expires unanswered holds. A closure does
not free anything: its days are closed, so the sweep ends their entries instead of offering.

Lock order, as bookings: facility row (shared) → the day's entries → cells ascending; one
sweep per facility and day at a time (an advisory lock), so two never offer the same place.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters import waitlist_places as places
from tsuen_booking.adapters import waitlist_store as store
from tsuen_booking.adapters.orm import waitlist_entries as entries
from tsuen_booking.domain.booking import ACTIVE_STATUSES, overlapping_booking
from tsuen_booking.domain.errors import (
    CHILD_NOT_FOUND_JA,
    FACILITY_NOT_FOUND_JA,
    Conflict,
    NotFound,
    ja_date,
)
from tsuen_booking.domain.waitlist import (
    ACTIVE,
    EntryStatus,
    is_expired,
    span_fits,
    spans_overlap,
)
from tsuen_booking.service_layer import waitlist_offers as offers
from tsuen_booking.service_layer.access import can_see_child
from tsuen_booking.service_layer.commands import BookingRequest
from tsuen_booking.service_layer.context import Context, claim_uuid, retry_on_conflict
from tsuen_booking.service_layer.facilities import can_see_facility
from tsuen_booking.service_layer.hot_path import decide, place_booking
from tsuen_booking.service_layer.views import booking_out
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import (
    BookingKind,
    WaitlistJoined,
    WaitlistOfferExpired,
)
from tsuen_common.logging import get_logger
from tsuen_common.timeutil import JST

log = get_logger(__name__)

ENTRY_NOT_FOUND_JA = "空き待ちの登録が見つかりませんでした。空き待ちの一覧をご確認ください。"
_ACTIVE = [s.value for s in ACTIVE]


# -- reading ------------------------------------------------------------------------------------


def _tenant(principal: Principal) -> sa.ColumnElement[bool]:
    match principal.role:
        case Role.PLATFORM_ADMIN:
            return sa.true()
        case Role.MUNICIPALITY_OFFICER:
            return entries.c.municipality == principal.municipality
        case Role.FACILITY_STAFF:
            return entries.c.facility_id == claim_uuid(principal.facility_id)
        case _:
            return entries.c.guardian_id == claim_uuid(principal.guardian_id)


def entry_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    waiting = row["status"] == EntryStatus.WAITING.value
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "facility_name": row["facility_name"],
        "child_id": row["child_id"],
        "child_name": row["child_name"],
        "use_date": row["use_date"],
        "start": row["start_time"].strftime("%H:%M"),
        "end": row["end_time"].strftime("%H:%M"),
        "status": row["status"],
        "joined_at": row["joined_at"].astimezone(JST),
        "hold_until": row["hold_until"].astimezone(JST)
        if row["status"] == EntryStatus.OFFERED.value and row["hold_until"]
        else None,
        "position": row["position"] if waiting else None,
        "booking_id": row["booking_id"],
    }


async def _listed(session: AsyncSession, entry_id: uuid.UUID) -> dict[str, Any]:
    row = await store.listed_entry(session, entry_id)
    assert row is not None  # written in this transaction
    return entry_out(row)


async def list_entries(
    ctx: Context, principal: Principal, *, since: date | None = None
) -> list[dict[str, Any]]:
    """The caller's entries (a guardian's own; staff: their facility's; an officer: their
    municipality's), from ``since`` (default: today), by day and time."""
    since = since or ctx.clock().astimezone(JST).date()
    async with ctx.sessions() as session:
        rows = await store.listed_entries(session, _tenant(principal), since=since, limit=500)
    return [entry_out(r) for r in rows]


async def get_entry(ctx: Context, principal: Principal, entry_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await store.listed_entry(session, entry_id, tenant=_tenant(principal))
    if row is None:
        raise NotFound(f"wait-list entry {entry_id} not found", message_ja=ENTRY_NOT_FOUND_JA)
    return entry_out(row)


# -- joining ------------------------------------------------------------------------------------


@retry_on_conflict
async def join(ctx: Context, principal: Principal, request: BookingRequest) -> dict[str, Any]:
    """``POST /v1/waitlist``: only for a span that is full now, under every other booking rule
    (a span that could never be booked is refused as a booking would be)."""
    if principal.role is not Role.GUARDIAN:
        raise Forbidden("only a guardian can join a wait list")
    now = ctx.clock()
    async with ctx.transaction() as session:
        frow, child, accepted = await repo.facility_child_acceptance(
            session, request.facility_id, request.child_id
        )
        if frow is None or not can_see_facility(ctx, principal, frow):
            raise NotFound(
                f"facility {request.facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA
            )
        if child is None or not can_see_child(principal, child):
            raise NotFound(f"child {request.child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        facility = repo.facility_from_row(frow)
        plan, _ = decide(
            ctx,
            facility=facility,
            child=child,
            accepted=bool(accepted),
            use_date=request.use_date,
            start=request.start,
            end=request.end,
            kind=BookingKind.FLEXIBLE,
            by_proxy=False,
            now=now,
        )
        span = (plan.start, plan.end)
        if span_fits(
            plan.cells, await places.free_places(session, facility, plan.use_date, plan.cells)
        ):
            raise Conflict(
                "there is a free place: book it instead of waiting",
                message_ja="この時間にはまだ空きがあります。空き待ちではなく、そのままご予約ください。",
            )
        await _refuse_overlaps(session, child.child_id, facility.id, plan.use_date, span)
        entry_id = uuid.uuid4()
        await store.add_entry(
            session,
            id=entry_id,
            facility_id=facility.id,
            child_id=child.child_id,
            guardian_id=child.guardian_id,
            municipality=facility.municipality,
            use_date=plan.use_date,
            start_time=plan.start,
            end_time=plan.end,
            status=EntryStatus.WAITING.value,
            joined_at=now,
        )
        await ctx.outbox.add(
            session,
            WaitlistJoined(
                entry_id=entry_id,
                child_id=child.child_id,
                facility_id=facility.id,
                use_date=plan.use_date,
                start=f"{plan.start:%H:%M}",
                end=f"{plan.end:%H:%M}",
            ),
            municipality=facility.municipality,
        )
        joined = await _listed(session, entry_id)
    log.info("wait list joined", entry_id=str(entry_id), facility_id=str(facility.id))
    return joined


async def _refuse_overlaps(
    session: AsyncSession,
    child_id: uuid.UUID,
    facility_id: uuid.UUID,
    day: date,
    span: tuple[time, time],
) -> None:
    waiting = await store.waiting_spans(
        session, child_id=child_id, facility_id=facility_id, day=day, statuses=_ACTIVE
    )
    if any(spans_overlap(span, other) for other in waiting):
        raise Conflict(
            "the child is already on this wait list for an overlapping time",
            message_ja=f"お子さまは、{ja_date(day)}の重なる時間の空き待ちにすでに登録されています。"
            "空き待ちの一覧をご確認ください。",
        )
    booked = await store.booked_spans(
        session, child_id=child_id, day=day, statuses=[s.value for s in ACTIVE_STATUSES]
    )
    if any(spans_overlap(span, other) for other in booked):
        raise overlapping_booking(day, *span)


# -- answering an offer, leaving ----------------------------------------------------------------


async def _locked(
    session: AsyncSession, principal: Principal, entry_id: uuid.UUID
) -> Mapping[Any, Any]:
    row = await store.entry_for_update(session, entry_id, _tenant(principal))
    if row is None or principal.role is not Role.GUARDIAN:
        raise NotFound(f"wait-list entry {entry_id} not found", message_ja=ENTRY_NOT_FOUND_JA)
    return row


_NOT_OFFERED_JA = (
    "この空き待ちには、いまお知らせしている空きがありません。空き待ちの一覧をご確認ください。"
)
_EXPIRED_JA = (
    "お知らせした空きの確保期限を過ぎたため、次の方にお知らせしました。"
    "引き続き空き待ちをご希望の場合は、もう一度ご登録ください。"
)


@retry_on_conflict
async def accept(ctx: Context, principal: Principal, entry_id: uuid.UUID) -> dict[str, Any]:
    """Book the held place: the hold is given back and ``book_use`` takes it again under every
    booking rule, in one transaction. A refusal leaves the hold as it was."""
    now = ctx.clock()
    expired: Mapping[Any, Any] | None = None
    async with ctx.transaction() as session:
        row = await _locked(session, principal, entry_id)
        if row["status"] != EntryStatus.OFFERED.value:
            raise Conflict(f"entry {entry_id} has no offer", message_ja=_NOT_OFFERED_JA)
        if is_expired(row["hold_until"], now):
            expired = row  # passed on by the sweep below, after this transaction
        else:
            frow = await repo.facility_row(session, row["facility_id"], share=True)
            child = await repo.get_child(session, row["child_id"])
            if frow is None or child is None:
                raise NotFound(f"child {row['child_id']} not found", message_ja=CHILD_NOT_FOUND_JA)
            await places.release(session, row)
            made = await place_booking(
                ctx,
                session,
                frow=frow,
                child=child,
                use_date=row["use_date"],
                start=row["start_time"],
                end=row["end_time"],
                kind=BookingKind.FLEXIBLE,
                by_proxy=False,
                now=now,
            )
            await places.end_entry(
                session, entry_id, EntryStatus.BOOKED, now, booking_id=made["id"]
            )
    if expired is not None:
        await offers.sweep_day(ctx, expired["facility_id"], expired["use_date"])
        raise Conflict(f"the offer of entry {entry_id} has expired", message_ja=_EXPIRED_JA)
    log.info("wait-list offer accepted", entry_id=str(entry_id), booking_id=str(made["id"]))
    return booking_out(made)


@retry_on_conflict
async def leave(ctx: Context, principal: Principal, entry_id: uuid.UUID) -> dict[str, Any]:
    """Leave the list at any time; with an offer, that declines it and the place passes on."""
    now = ctx.clock()
    async with ctx.transaction() as session:
        row = await _locked(session, principal, entry_id)
        if row["status"] not in _ACTIVE:
            raise Conflict(
                f"entry {entry_id} is no longer on the list",
                message_ja="この空き待ちは、すでに終わっています。空き待ちの一覧をご確認ください。",
            )
        offered = row["status"] == EntryStatus.OFFERED.value
        if offered:
            await places.release(session, row)
            await ctx.outbox.add(
                session,
                WaitlistOfferExpired(
                    entry_id=entry_id,
                    child_id=row["child_id"],
                    facility_id=row["facility_id"],
                    use_date=row["use_date"],
                    declined=True,
                ),
                municipality=row["municipality"],
            )
        await places.end_entry(
            session, entry_id, EntryStatus.DECLINED if offered else EntryStatus.LEFT, now
        )
        left = await _listed(session, entry_id)
    if offered:
        await offers.sweep_day(ctx, row["facility_id"], row["use_date"])
    return left


__all__ = ["accept", "entry_out", "get_entry", "join", "leave", "list_entries"]

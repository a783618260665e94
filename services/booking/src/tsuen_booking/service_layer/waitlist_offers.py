"""空き待ち's offers (issue 17): a day's list looked at again — unanswered holds expire, what
can no longer be offered ends, and free places are held for the first waiting children whose
spans fit (``domain/waitlist.py`` decides). Run right after a cancellation through the API
(:func:`after_cancellation`), after a declined or expired offer, and by the booking worker's
periodic :func:`sweep` for every other way a place frees (a revoked certification, a new week
with more places) and for holds nobody answered. A closure frees nothing: its days are closed,
so their entries end instead.

One sweep per facility and day at a time (an advisory lock), so two never offer one place; lock
order as bookings: facility row (shared) → the day's entries → cells ascending.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters import waitlist_places as places
from tsuen_booking.adapters import waitlist_store as store
from tsuen_booking.domain.booking import ACTIVE_STATUSES
from tsuen_booking.domain.facility import Facility, cell_minutes
from tsuen_booking.domain.waitlist import (
    ACTIVE,
    EntryStatus,
    Waiting,
    choose_offers,
    hold_until,
    is_expired,
    span_cells,
    spans_overlap,
    too_late_to_offer,
)
from tsuen_booking.service_layer.context import Context, retry_on_conflict
from tsuen_common.events.booking import WaitlistOfferExpired, WaitlistPlaceOffered
from tsuen_common.logging import get_logger

log = get_logger(__name__)

_ACTIVE = [s.value for s in ACTIVE]


async def release_holds_from(session: AsyncSession, facility_id: uuid.UUID, since: date) -> None:
    """Before a facility's places change from ``since``: held places go back (their entries
    wait again, first in line as before), so the new places never count a hold as a booking.
    The sweep offers again what the new week still has free."""
    for row in await store.offered_from_for_update(session, facility_id, since):
        await places.release(session, row)
        await store.mark_waiting_again(session, row["id"])


# -- the sweep ----------------------------------------------------------------------------------


@retry_on_conflict
async def sweep_day(ctx: Context, facility_id: uuid.UUID, day: date) -> int:
    """Expire the day's unanswered holds, end what can no longer be offered, and offer the free
    places to the first waiting children whose spans fit. Returns how many were offered."""
    now = ctx.clock()
    async with ctx.transaction() as session:
        await store.lock_day(session, facility_id, day)
        frow = await repo.facility_row(session, facility_id, share=True)
        if frow is None:
            return 0
        facility = repo.facility_from_row(frow)
        rows = await store.day_entries_for_update(session, facility_id, day, _ACTIVE)
        closed = facility.hours_on(day) is None
        waiting: list[Waiting] = []
        offered_children: set[uuid.UUID] = set()
        for row in rows:
            gone = closed or too_late_to_offer(now, day, row["start_time"])
            if row["status"] == EntryStatus.OFFERED.value:
                if gone or is_expired(row["hold_until"], now):
                    await places.release(session, row)
                    await places.end_entry(
                        session, row["id"], EntryStatus.LAPSED if gone else EntryStatus.EXPIRED, now
                    )
                    await expired_event(ctx, session, row)
                else:
                    offered_children.add(row["child_id"])
            elif gone:
                await places.end_entry(session, row["id"], EntryStatus.LAPSED, now)
            elif await _booked_otherwise(session, row):
                await places.end_entry(session, row["id"], EntryStatus.BOOKED, now)
            elif row["child_id"] not in offered_children:
                waiting.append(
                    Waiting(
                        row["id"],
                        row["child_id"],
                        row["start_time"],
                        row["end_time"],
                        row["joined_at"],
                    )
                )
        if not waiting:
            return 0
        policy = ctx.policy(facility.municipality)
        step = cell_minutes(policy.quota.unit_minutes)
        needed = sorted({c for w in waiting for c in span_cells(day, w.start, w.end, step)})
        chosen = choose_offers(
            waiting,
            await places.free_places(session, facility, day, needed),
            day=day,
            cell_minutes=step,
        )
        offered = 0
        for entry in chosen:
            cells = span_cells(day, entry.start, entry.end, step)
            try:
                async with session.begin_nested():
                    await places.hold(session, facility, day, cells)
            except places.Taken:
                continue  # a booking took it meanwhile: nothing was held
            until = hold_until(now, policy.booking.waitlist_hold_minutes, day, entry.start)
            await store.mark_offered(
                session, entry.entry_id, at=now, hold_until=until, held_cells=cells
            )
            await _offered_event(ctx, session, facility, entry, day, until)
            offered += 1
    if offered:
        log.info("wait-list places offered", facility_id=str(facility_id), offered=offered)
    return offered


async def _booked_otherwise(session: AsyncSession, row: Mapping[Any, Any]) -> bool:
    """The child got a booking overlapping the span some other way: they leave the list."""
    booked = await store.booked_spans(
        session,
        child_id=row["child_id"],
        day=row["use_date"],
        statuses=[s.value for s in ACTIVE_STATUSES],
    )
    span = (row["start_time"], row["end_time"])
    return any(spans_overlap(span, other) for other in booked)


async def expired_event(ctx: Context, session: AsyncSession, row: Mapping[Any, Any]) -> None:
    await ctx.outbox.add(
        session,
        WaitlistOfferExpired(
            entry_id=row["id"],
            child_id=row["child_id"],
            facility_id=row["facility_id"],
            use_date=row["use_date"],
        ),
        municipality=row["municipality"],
    )


async def _offered_event(
    ctx: Context,
    session: AsyncSession,
    facility: Facility,
    entry: Waiting,
    day: date,
    until: datetime,
) -> None:
    child = await repo.get_child(session, entry.child_id)
    assert child is not None  # an entry is only made for a known child
    await ctx.outbox.add(
        session,
        WaitlistPlaceOffered(
            entry_id=entry.entry_id,
            child_id=entry.child_id,
            child_name=child.name,
            guardian_email=child.guardian_email,
            facility_id=facility.id,
            facility_name=facility.name,
            use_date=day,
            start=f"{entry.start:%H:%M}",
            end=f"{entry.end:%H:%M}",
            hold_until=until,
        ),
        municipality=facility.municipality,
    )


async def sweep(ctx: Context) -> int:
    """Every day with a list: the worker's periodic pass. One day's failure is logged and the
    others go on (the next pass tries it again)."""
    async with ctx.sessions() as session:
        days = await store.days_with_lists(session, _ACTIVE)
    offered = 0
    for facility_id, day in days:
        try:
            offered += await sweep_day(ctx, facility_id, day)
        except Exception:
            log.exception("wait-list sweep failed", facility_id=str(facility_id), day=str(day))
    return offered


async def after_cancellation(ctx: Context, booking: Mapping[Any, Any]) -> None:
    """A cancellation freed places: offer them now rather than at the next sweep. Never fails
    the cancellation, which has committed (the sweep is the safety net)."""
    try:
        await sweep_day(ctx, booking["facility_id"], booking["use_date"])
    except Exception:
        log.exception("wait-list offer after a cancellation failed")


__all__ = ["after_cancellation", "expired_event", "release_holds_from", "sweep", "sweep_day"]

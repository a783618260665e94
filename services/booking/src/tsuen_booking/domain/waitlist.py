"""空き待ち (cancellation wait list, issue 17): who is offered a freed place, and until when.

Pure: the caller hands in the waiting entries of one facility and day (in the order they
joined), the free places per cell and the clock. The database holds the places; these rules
only decide. Nobody is ever booked here: an offer holds the place for the guardian, who accepts
(a normal booking, under every booking rule) or declines; an offer not answered in time passes
to the next child.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from tsuen_booking.domain.facility import cells
from tsuen_common.timeutil import at_jst

__all__ = [
    "ACTIVE",
    "EntryStatus",
    "Waiting",
    "choose_offers",
    "hold_until",
    "is_expired",
    "span_cells",
    "span_fits",
    "spans_overlap",
]


class EntryStatus(StrEnum):
    WAITING = "waiting"  # on the list, no place yet
    OFFERED = "offered"  # a place is held until hold_until
    BOOKED = "booked"  # accepted: a booking was made (or the child got the span otherwise)
    LEFT = "left"  # the guardian left the list
    DECLINED = "declined"  # the guardian declined an offer
    EXPIRED = "expired"  # an offer was not answered in time
    LAPSED = "lapsed"  # the day began, or the facility closed it, before a place came


ACTIVE = (EntryStatus.WAITING, EntryStatus.OFFERED)
"""Entries still on the list: a child may have only one of these per overlapping span."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """An entry waiting for a place: its span and when it joined (the list's order)."""

    entry_id: uuid.UUID
    child_id: uuid.UUID
    start: time
    end: time
    joined_at: datetime


def span_cells(day: date, start: time, end: time, cell_minutes: int) -> tuple[time, ...]:
    """The grid cells a span takes (the same cells a booking of it would take), ascending."""
    return tuple(cells(day, start, end, cell_minutes))


def span_fits(needed: Iterable[time], free: Mapping[time, int]) -> bool:
    """Whether every cell of the span has a free place (a cell not in ``free`` has none)."""
    return all(free.get(cell, 0) > 0 for cell in needed)


def spans_overlap(a: tuple[time, time], b: tuple[time, time]) -> bool:
    """Half-open spans: 10:00–11:00 and 11:00–12:00 do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def choose_offers(
    waiting: Sequence[Waiting],
    free: Mapping[time, int],
    *,
    day: date,
    cell_minutes: int,
) -> list[Waiting]:
    """Whom to offer the free places, in the list's order (joined first, ties by id).

    The first waiting child whose whole span fits gets the place; what it takes is no longer
    free for the next. A child whose span does not fit is passed over, not dropped: a later
    cancellation may fit it. A child appears at most once (one offer per child at a time).
    """
    left = dict(free)
    chosen: list[Waiting] = []
    children: set[uuid.UUID] = set()
    for entry in sorted(waiting, key=lambda w: (w.joined_at, w.entry_id)):
        if entry.child_id in children:
            continue
        needed = span_cells(day, entry.start, entry.end, cell_minutes)
        if not span_fits(needed, left):
            continue
        for cell in needed:
            left[cell] -= 1
        chosen.append(entry)
        children.add(entry.child_id)
    return chosen


def hold_until(offered_at: datetime, hold_minutes: int, day: date, start: time) -> datetime:
    """Until when an offer holds the place: ``hold_minutes`` after the offer, but never past
    the start of the use (a use cannot be booked once it has begun)."""
    if offered_at.tzinfo is None:
        raise ValueError("offered_at must be timezone-aware")
    return min(offered_at + timedelta(minutes=hold_minutes), at_jst(day, start))


def is_expired(until: datetime, now: datetime) -> bool:
    """The hold's last instant is still inside it (like the cancellation deadline): accepting
    at ``until`` itself books; one microsecond later the place has passed on."""
    return now > until


def too_late_to_offer(now: datetime, day: date, start: time) -> bool:
    """A span that has begun can no longer be booked, so it is not offered any more."""
    return now >= at_jst(day, start)

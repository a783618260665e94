"""A facility (施設) as the booking rules see it: when it is open and how many places it offers.

Places for scheme children are set per weekday and hour (the facility's own children and its
staffing decide them), with date overrides for a day that differs (an event, a staff shortage).
A day is open on the facility's :class:`~tsuen_common.calendar.BusinessCalendar`: weekdays
without opening hours, national holidays, 年末年始 and the facility's own closed days are closed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tsuen_common.calendar import BusinessCalendar

__all__ = ["Facility", "OpeningHours", "WeeklySchedule", "cell_minutes", "cells"]


@dataclass(frozen=True, slots=True)
class OpeningHours:
    open: time
    close: time

    def __post_init__(self) -> None:
        if self.open >= self.close:
            raise ValueError(
                f"opening time {self.open:%H:%M} must be before closing time {self.close:%H:%M}"
            )

    def contains(self, start: time, end: time) -> bool:
        return self.open <= start and end <= self.close


def _empty_overrides() -> dict[date, dict[int, int]]:
    return {}


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """A facility's week from ``effective_from`` on: opening hours and places (see Facility).

    A facility changes its week from a date (domain/capacity.py decides who no longer fits);
    the days before keep the week they were booked under.
    """

    effective_from: date
    opening_hours: Mapping[int, OpeningHours]
    places_per_slot: int
    places_by_weekday: Mapping[int, Mapping[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _ScheduledCalendar(BusinessCalendar):
    """A calendar whose closed weekdays change from a date on (a later WeeklySchedule).

    The inherited rules (holidays, 年末年始, closed and opened days) see no closed weekdays;
    the weekday is judged here, by the week in force on the day.
    """

    weeks: tuple[tuple[date, frozenset[int]], ...] = ()
    first_week: frozenset[int] = frozenset()

    def is_open_day(self, d: date) -> bool:
        closed = self.first_week
        for since, weekdays in self.weeks:
            if since <= d:
                closed = weekdays
        if d not in self.extra_open_days and d.weekday() in closed:
            return False
        return BusinessCalendar.is_open_day(self, d)


@dataclass(frozen=True, slots=True)
class Facility:
    id: uuid.UUID
    municipality: str
    name: str
    opening_hours: Mapping[int, OpeningHours]
    """Weekday (Monday 0) → hours. A weekday that is absent is a closed weekday."""
    places_per_slot: int
    """Places for scheme children in any slot without a more specific figure."""
    places_by_weekday: Mapping[int, Mapping[int, int]] = field(default_factory=dict)
    """Weekday → hour (0–23) → places, overriding ``places_per_slot``."""
    place_overrides: Mapping[date, Mapping[int, int]] = field(default_factory=_empty_overrides)
    """Date → hour → places, overriding everything else on that date (0 closes the hour)."""
    closed_days: frozenset[date] = frozenset()
    extra_hour_fee_yen: int = 0
    email: str | None = None
    phone: str | None = None
    schedules: tuple[WeeklySchedule, ...] = ()
    """Later weeks, by ``effective_from`` ascending: each replaces the hours and places above
    (but not ``place_overrides``) from its date on."""
    # Built once in __post_init__ from opening_hours and closed_days (the facility is frozen).
    _calendar: BusinessCalendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.opening_hours:
            raise ValueError("a facility needs opening hours on at least one weekday")
        bad = sorted(d for d in self.opening_hours if d not in range(7))
        if bad:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday): {bad}")
        if self.places_per_slot < 0:
            raise ValueError("places_per_slot cannot be negative")
        weekly = [self.places_by_weekday, *(s.places_by_weekday for s in self.schedules)]
        for hours in [*(h for w in weekly for h in w.values()), *self.place_overrides.values()]:
            for hour, places in hours.items():
                if hour not in range(24) or places < 0:
                    raise ValueError(f"places need an hour 0–23 and a count ≥ 0: {hour}={places}")
        for week in self.schedules:
            if not week.opening_hours or week.places_per_slot < 0:
                raise ValueError("a week needs opening hours and places ≥ 0")
        closed = frozenset(range(7)) - frozenset(self.opening_hours)
        calendar = (
            _ScheduledCalendar(
                closed_weekdays=frozenset(),
                extra_closed_days=self.closed_days,
                first_week=closed,
                weeks=tuple(
                    (w.effective_from, frozenset(range(7)) - frozenset(w.opening_hours))
                    for w in self.schedules
                ),
            )
            if self.schedules
            else BusinessCalendar(closed_weekdays=closed, extra_closed_days=self.closed_days)
        )
        object.__setattr__(self, "_calendar", calendar)

    @property
    def calendar(self) -> BusinessCalendar:
        return self._calendar

    def is_open_on(self, day: date) -> bool:
        return self.calendar.is_open_day(day)

    def hours_on(self, day: date) -> OpeningHours | None:
        """Opening hours on ``day``, or None when the facility is closed that day."""
        if not self.is_open_on(day):
            return None
        week = self.week_on(day)
        hours = self.opening_hours if week is None else week.opening_hours
        return hours.get(day.weekday())

    def week_on(self, day: date) -> WeeklySchedule | None:
        """The later week in force on ``day``; None while the facility's first week is."""
        found = None
        for week in self.schedules:
            if week.effective_from <= day:
                found = week
        return found

    def weekday_hours(self, since: date, weekday: int) -> OpeningHours | None:
        """Hours on ``weekday`` in the week in force on ``since``, holidays aside: what a weekly
        plan starting then is checked against (each occurrence is checked again as a booking)."""
        week = self.week_on(since)
        return (self.opening_hours if week is None else week.opening_hours).get(weekday)

    def places_at(self, day: date, hour: int) -> int:
        override = self.place_overrides.get(day, {})
        if hour in override:
            return override[hour]
        week = self.week_on(day)
        by_weekday, default = (
            (self.places_by_weekday, self.places_per_slot)
            if week is None
            else (week.places_by_weekday, week.places_per_slot)
        )
        return by_weekday.get(day.weekday(), {}).get(hour, default)


def cell_minutes(unit_minutes: int) -> int:
    """The grid's cell length: the booking unit, cut so that cells never straddle an hour.

    Places are given per hour, so a cell must lie inside one hour; 60- and 30-minute units give
    60- and 30-minute cells.
    """
    return math.gcd(unit_minutes, 60)


def grid_cells(day: date, opens: time, closes: time, step_minutes: int) -> list[time]:
    """The cells of the 空き枠 grid: exactly the cells bookings take.

    Bookings start on multiples of the step from the hour, so the grid does too: a facility
    opening at 08:30 with 60-minute cells shows 09:00–10:00 first, not 08:30–09:30 (which no
    booking could ever take, issue 13), and a cell that would run past closing is left out.
    """
    minute_of_day = opens.hour * 60 + opens.minute
    first = -(-minute_of_day // step_minutes) * step_minutes  # rounded up to the step
    start = datetime.combine(day, time()) + timedelta(minutes=first)
    stop = datetime.combine(day, closes)
    out = []
    while start + timedelta(minutes=step_minutes) <= stop:
        out.append(start.time())
        start += timedelta(minutes=step_minutes)
    return out


def cells(day: date, start: time, end: time, step_minutes: int) -> Iterator[time]:
    """Start times of the cells covering ``start``–``end`` (end excluded), in ascending order.

    Ascending order matters: every transaction takes its cells in the same order, so two
    bookings racing for overlapping cells queue up instead of deadlocking.
    """
    at = datetime.combine(day, start)
    stop = datetime.combine(day, end)
    step = timedelta(minutes=step_minutes)
    while at < stop:
        yield at.time()
        at += step

"""空き待ち: who is offered a freed place, whether a span fits, and the hold's edge minutes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest

from tsuen_booking.domain.waitlist import (
    Waiting,
    choose_offers,
    hold_until,
    is_expired,
    span_cells,
    span_fits,
    spans_overlap,
    too_late_to_offer,
)
from tsuen_common.policy import load_policies
from tsuen_common.timeutil import JST

DAY = date(2027, 6, 9)
T0 = datetime(2027, 6, 1, 9, 0, tzinfo=JST)


def waiting(start: int, end: int, minutes_after: int, child: uuid.UUID | None = None) -> Waiting:
    return Waiting(
        entry_id=uuid.uuid4(),
        child_id=child or uuid.uuid4(),
        start=time(start),
        end=time(end),
        joined_at=T0 + timedelta(minutes=minutes_after),
    )


def test_span_cells_are_the_cells_a_booking_takes() -> None:
    assert span_cells(DAY, time(10), time(12), 60) == (time(10), time(11))
    assert span_cells(DAY, time(10), time(11, 30), 30) == (time(10), time(10, 30), time(11))


def test_a_span_fits_only_when_every_cell_has_a_free_place() -> None:
    assert span_fits([time(10), time(11)], {time(10): 1, time(11): 2})
    assert not span_fits([time(10), time(11)], {time(10): 1, time(11): 0})
    assert not span_fits([time(10), time(11)], {time(10): 1})  # an unknown cell is not free


def test_spans_overlap_half_open() -> None:
    assert spans_overlap((time(10), time(12)), (time(11), time(13)))
    assert not spans_overlap((time(10), time(11)), (time(11), time(12)))


def test_the_first_to_join_is_offered_first() -> None:
    first, second = waiting(10, 11, 0), waiting(10, 11, 5)
    chosen = choose_offers([second, first], {time(10): 1}, day=DAY, cell_minutes=60)
    assert chosen == [first]


def test_a_span_that_does_not_fit_is_passed_over_for_the_next_that_does() -> None:
    long = waiting(10, 12, 0)  # needs 11:00 too, which is still full
    short = waiting(10, 11, 1)
    chosen = choose_offers([long, short], {time(10): 1, time(11): 0}, day=DAY, cell_minutes=60)
    assert chosen == [short]


def test_two_free_places_go_to_the_first_two_and_no_more() -> None:
    a, b, c = waiting(10, 11, 0), waiting(10, 11, 1), waiting(10, 11, 2)
    assert choose_offers([a, b, c], {time(10): 2}, day=DAY, cell_minutes=60) == [a, b]


def test_what_an_offer_takes_is_not_free_for_the_next() -> None:
    wide = waiting(10, 12, 0)
    later = waiting(11, 12, 1)
    chosen = choose_offers([wide, later], {time(10): 1, time(11): 1}, day=DAY, cell_minutes=60)
    assert chosen == [wide]


def test_one_child_gets_one_offer_at_a_time() -> None:
    child = uuid.uuid4()
    morning, noon = waiting(9, 10, 0, child), waiting(11, 12, 1, child)
    free = {time(9): 1, time(11): 1}
    assert choose_offers([morning, noon], free, day=DAY, cell_minutes=60) == [morning]


def test_nothing_free_offers_nothing() -> None:
    assert choose_offers([waiting(10, 11, 0)], {}, day=DAY, cell_minutes=60) == []


def test_the_hold_lasts_the_municipalitys_minutes() -> None:
    offered = datetime(2027, 6, 7, 9, 15, tzinfo=JST)
    assert hold_until(offered, 60, DAY, time(10)) == datetime(2027, 6, 7, 10, 15, tzinfo=JST)
    assert hold_until(offered, 120, DAY, time(10)) == datetime(2027, 6, 7, 11, 15, tzinfo=JST)


def test_the_hold_never_runs_past_the_start_of_the_use() -> None:
    offered = datetime(2027, 6, 9, 9, 30, tzinfo=JST)  # the same morning
    assert hold_until(offered, 60, DAY, time(10)) == datetime(2027, 6, 9, 10, 0, tzinfo=JST)


def test_the_holds_last_instant_is_inside_it_and_the_next_is_not() -> None:
    until = datetime(2027, 6, 7, 10, 15, tzinfo=JST)
    assert not is_expired(until, until)
    assert not is_expired(until, until - timedelta(minutes=1))
    assert is_expired(until, until + timedelta(microseconds=1))
    assert is_expired(until, until + timedelta(minutes=1))


def test_a_naive_offer_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        hold_until(datetime(2027, 6, 7, 9, 0), 60, DAY, time(10))


def test_a_span_that_has_begun_is_not_offered() -> None:
    assert too_late_to_offer(datetime(2027, 6, 9, 10, 0, tzinfo=JST), DAY, time(10))
    assert not too_late_to_offer(datetime(2027, 6, 9, 9, 59, tzinfo=JST), DAY, time(10))


def test_the_presets_hold_times() -> None:
    policies = load_policies()
    assert policies.get("131016").booking.waitlist_hold_minutes == 60
    assert policies.get("222135").booking.waitlist_hold_minutes == 120

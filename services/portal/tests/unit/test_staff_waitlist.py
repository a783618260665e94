"""The staff's 空き待ち page groups booking's list per slot (day and time) with the next child
to be offered a place at the top of each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tsuen_common.timeutil import JST
from tsuen_portal.service_layer.staff.waitlist import Waiting, by_slot, waiting_from

DAY = date(2027, 6, 9)
NINE = datetime(2027, 6, 1, 9, 0, tzinfo=JST)


def entry(name: str, status: str, joined: int, *, start: str = "10:00", day: date = DAY) -> Waiting:
    return Waiting(
        id=name,
        child_name=name,
        child_kana="",
        use_date=day,
        start=start,
        end="11:00" if start == "10:00" else "12:00",
        status=status,
        joined_at=NINE + timedelta(minutes=joined),
        hold_until=None,
        position=None,
    )


def test_each_day_and_time_is_one_slot_in_time_order():
    later_day = entry("c", "waiting", 0, day=DAY + timedelta(days=1))
    eleven = entry("b", "waiting", 1, start="11:00")
    ten = entry("a", "waiting", 2)
    slots = by_slot([later_day, eleven, ten])
    assert [(s.use_date, s.start, [e.id for e in s.entries]) for s in slots] == [
        (DAY, "10:00", ["a"]),
        (DAY, "11:00", ["b"]),
        (DAY + timedelta(days=1), "10:00", ["c"]),
    ]


def test_the_held_place_then_the_waiting_in_joining_order_then_the_ended():
    slot = by_slot(
        [
            entry("expired", "expired", 0),
            entry("second", "waiting", 3),
            entry("held", "offered", 1),
            entry("first", "waiting", 2),
            entry("booked", "booked", 4),
        ]
    )[0]
    assert [e.id for e in slot.entries] == ["held", "first", "second", "expired", "booked"]
    assert slot.on_the_list == 3


def test_booking_answer_read_in_japan_time():
    read = waiting_from(
        {
            "id": "e1",
            "child_name": "掛川 ミオ",
            "child_kana": "カケガワ ミオ",
            "use_date": "2027-06-09",
            "start": "10:00",
            "end": "11:00",
            "status": "offered",
            "joined_at": "2027-06-01T00:00:00+00:00",
            "hold_until": "2027-06-08T03:30:00+00:00",
            "position": None,
        }
    )
    assert read.hold_until == datetime(2027, 6, 8, 12, 30, tzinfo=JST)
    assert read.hold_until is not None
    assert read.hold_until.utcoffset() == timedelta(hours=9)
    assert (read.child_kana, read.position) == ("カケガワ ミオ", None)

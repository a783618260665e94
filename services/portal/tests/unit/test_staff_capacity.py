"""The staff's capacity form becomes exactly the week booking is asked for."""

from datetime import date, time

from tsuen_portal.service_layer.staff.capacity import Day, week_body

FIRST = date(2027, 1, 7)


def test_the_same_places_every_day_is_just_the_default():
    body = week_body(FIRST, {d: (time(8), time(18), 3) for d in range(5)})
    assert body == {
        "effective_from": "2027-01-07",
        "opening_hours": {str(d): {"open": "08:00", "close": "18:00"} for d in range(5)},
        "places_per_slot": 3,
        "places_by_weekday": {},
    }


def test_a_day_with_more_places_carries_them_for_each_of_its_hours():
    body = week_body(FIRST, {0: (time(8, 30), time(12, 30), 5), 1: (time(9), time(17), 2)})
    assert body["places_per_slot"] == 2
    # 08:30–12:30 touches the hours 8 to 12: each has the Monday's five places.
    assert body["places_by_weekday"] == {"0": {str(h): 5 for h in range(8, 13)}}
    assert "6" not in body["opening_hours"]  # a weekday left out is closed


def test_places_read_as_one_number_or_a_range():
    assert Day(0, "08:00", "18:00", 3, 3).places == "3"
    assert Day(0, "08:00", "18:00", 1, 3).places == "1–3"
    assert Day(6, None, None, None, None).places == ""

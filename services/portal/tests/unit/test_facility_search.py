"""施設をさがす's own rules: distance (haversine), nearest first with unlocated facilities
after, the coordinates a browser sent, the history's order, the area's answer."""

from datetime import date

import pytest

from tsuen_portal.domain.facility_search import (
    Contact,
    Point,
    area_answer,
    current_location,
    distance_km,
    latest_contacts,
    most_recent_first,
    nearest_first,
    search_mode,
)

TOKYO_STATION = Point(35.6812, 139.7671)
KAKEGAWA_STATION = Point(34.7692, 138.0146)
OSAKA_STATION = Point(34.7025, 135.4959)


def test_distance_to_the_same_point_is_zero():
    assert distance_km(TOKYO_STATION, TOKYO_STATION) == 0.0


def test_distance_between_tokyo_and_kakegawa_stations_is_about_188_km():
    # Straight line between the two stations (a map's ruler gives about 188 km).
    assert distance_km(TOKYO_STATION, KAKEGAWA_STATION) == pytest.approx(188.6, abs=1.5)


def test_distance_is_the_same_both_ways():
    there = distance_km(TOKYO_STATION, OSAKA_STATION)
    assert distance_km(OSAKA_STATION, TOKYO_STATION) == pytest.approx(there)
    assert there == pytest.approx(403, abs=3)


def test_one_degree_of_latitude_is_about_111_km():
    assert distance_km(Point(35.0, 138.0), Point(36.0, 138.0)) == pytest.approx(111.2, abs=0.1)


def test_antipodes_are_half_the_earth_around():
    assert distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(20015, abs=1)


def test_nearest_first_orders_by_distance_and_lists_unlocated_facilities_after():
    near = ("near", Point(34.770, 138.015))
    far = ("far", Point(34.800, 138.100))
    nowhere_a = ("nowhere-a", None)
    nowhere_b = ("nowhere-b", None)
    ordered = nearest_first([nowhere_a, far, nowhere_b, near], KAKEGAWA_STATION)
    assert [name for name, _ in ordered] == ["near", "far", "nowhere-a", "nowhere-b"]
    assert ordered[0][1] == pytest.approx(0.1, abs=0.1)
    assert ordered[1][1] is not None
    assert ordered[1][1] > 5
    assert ordered[2][1] is None
    assert ordered[3][1] is None


def test_nearest_first_of_nothing_is_nothing():
    assert nearest_first([], TOKYO_STATION) == []


@pytest.mark.parametrize(
    ("lat", "lng", "expected"),
    [
        ("34.769", "138.015", Point(34.769, 138.015)),
        ("-33.9", "151.2", Point(-33.9, 151.2)),
        ("", "", None),
        ("34.7", "", None),
        ("north", "east", None),
        ("91", "0", None),
        ("0", "-181", None),
        ("nan", "1", None),
        ("inf", "1", None),
    ],
)
def test_current_location_takes_only_coordinates_on_the_globe(lat, lng, expected):
    assert current_location(lat, lng) == expected


def test_an_unknown_search_mode_is_the_keyword_search():
    assert search_mode("near") == "near"
    assert search_mode("history") == "history"
    assert search_mode("") == "keyword"
    assert search_mode("<script>") == "keyword"


def test_latest_contacts_keep_the_most_recent_day_per_facility():
    uses = [("F1", date(2026, 11, 2)), ("F1", date(2026, 12, 1)), ("F2", date(2026, 10, 5))]
    interviews = [("F2", date(2026, 11, 20)), ("F3", None), ("F1", date(2026, 9, 1))]
    latest = latest_contacts(uses, interviews)
    assert latest["F1"] == Contact("F1", date(2026, 12, 1), "use")
    assert latest["F2"] == Contact("F2", date(2026, 11, 20), "interview")
    assert latest["F3"] == Contact("F3", None, "interview")


def test_a_dated_contact_wins_over_an_interview_without_a_date():
    latest = latest_contacts([("F1", date(2026, 1, 5))], [("F1", None)])
    assert latest["F1"] == Contact("F1", date(2026, 1, 5), "use")


def test_history_is_most_recent_first_then_interviews_waiting_for_a_date():
    contacts = [
        Contact("old", date(2026, 1, 1), "use"),
        Contact("waiting", None, "interview"),
        Contact("new", date(2026, 12, 1), "interview"),
        Contact("middle", date(2026, 6, 1), "use"),
    ]
    assert [c.facility_id for c in most_recent_first(contacts)] == [
        "new",
        "middle",
        "old",
        "waiting",
    ]


def test_area_answer_lists_what_booking_gave():
    assert area_answer("222135", "131016", 2, others_visible=True) == "list"


def test_area_answer_explains_another_municipality_the_guardian_may_not_use():
    assert area_answer("131016", "222135", 0, others_visible=False) == "not_allowed"


def test_area_answer_is_none_for_an_empty_municipality_the_guardian_may_use():
    assert area_answer("222135", "222135", 0, others_visible=False) == "none"
    assert area_answer("222135", "131016", 0, others_visible=True) == "none"

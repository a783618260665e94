from tsuen_portal.domain.dashboard import (
    BAR_ROW,
    CSV_COLUMNS,
    bars,
    dashboard_csv,
    facility_month,
    share_percent,
    totals,
)

LINES = [
    {"bookings": 2, "booked_minutes": 180, "attended": 1, "no_shows": 1, "late_pickups": 0},
    {"bookings": 1, "booked_minutes": 60, "attended": 1, "no_shows": 0, "late_pickups": 1},
]


def test_a_facilitys_month_is_the_sum_of_its_childrens_lines():
    m = facility_month("f1", "ひまわり", LINES)
    assert (m.children, m.bookings, m.booked_minutes) == (2, 3, 240)
    assert (m.attended, m.no_shows, m.late_pickups) == (2, 1, 1)


def test_the_total_adds_every_facility():
    both = totals([facility_month("a", "A", LINES), facility_month("b", "B", LINES[:1])])
    assert (both.bookings, both.booked_minutes, both.no_shows) == (5, 420, 2)


def test_shares_round_half_up_and_say_nothing_without_hours():
    assert share_percent(1, 3) == 33
    assert share_percent(1, 200) == 1  # 0.5 % rounds up
    assert share_percent(0, 600) == 0
    assert share_percent(5, 0) is None


def test_bars_scale_to_the_largest_value():
    drawn = bars([("A", 120), ("B", 60), ("C", 0)], width=300)
    assert [b.length for b in drawn] == [300, 150, 0]
    assert [b.y for b in drawn] == [0, BAR_ROW, 2 * BAR_ROW]
    assert bars([("A", 0)])[0].length == 0  # nothing to scale by: no bar, no error


def test_the_csv_has_one_row_per_facility_and_a_total():
    text = dashboard_csv("2026-12", [facility_month("f1", "ひまわり", LINES)])
    assert text.startswith("\ufeff")
    rows = text.lstrip("\ufeff").split("\r\n")
    assert rows[0] == ",".join(CSV_COLUMNS)
    assert rows[1] == "2026-12,f1,ひまわり,2,3,240,2,1,1"
    assert rows[2] == "2026-12,total,,2,3,240,2,1,1"

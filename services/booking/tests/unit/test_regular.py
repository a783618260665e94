"""定期利用 occurrences: the plan's weekday inside its validity, month by month."""

from __future__ import annotations

from datetime import date

from tsuen_booking.domain.regular import occurrences


def test_every_wednesday_of_the_month() -> None:
    days = occurrences(weekday=2, valid_from=date(2027, 1, 1), valid_until=None, month="2027-06")
    assert days == [date(2027, 6, d) for d in (2, 9, 16, 23, 30)]


def test_only_inside_the_plans_validity() -> None:
    days = occurrences(
        weekday=0, valid_from=date(2027, 6, 8), valid_until=date(2027, 6, 21), month="2027-06"
    )
    assert days == [date(2027, 6, 14), date(2027, 6, 21)]


def test_a_month_outside_the_validity_has_none() -> None:
    assert (
        occurrences(weekday=4, valid_from=date(2027, 7, 1), valid_until=None, month="2027-06") == []
    )


def test_february_of_a_leap_year() -> None:
    days = occurrences(weekday=1, valid_from=date(2028, 1, 1), valid_until=None, month="2028-02")
    assert days[-1] == date(2028, 2, 29)


def test_approval_books_up_to_the_month_the_monthly_run_has_reached() -> None:
    from tsuen_booking.service_layer.regular_occurrences import horizon_months

    # Before the 20th only this month; from the 20th (the monthly run) next month too.
    assert horizon_months(date(2026, 12, 5), date(2026, 12, 7)) == ["2026-12"]
    assert horizon_months(date(2026, 12, 20), date(2026, 12, 7)) == ["2026-12", "2027-01"]
    # A plan starting later than the horizon is booked by the monthly run, not now.
    assert horizon_months(date(2026, 12, 5), date(2027, 1, 12)) == []
    assert horizon_months(date(2026, 12, 21), date(2027, 1, 12)) == ["2027-01"]

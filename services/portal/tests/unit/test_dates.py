from datetime import date

import pytest

from tsuen_portal.domain.dates import clock_time, parse_day


def test_what_a_date_input_sends():
    assert parse_day("2027-01-07") == date(2027, 1, 7)
    assert parse_day("") is None
    assert parse_day("  ") is None


@pytest.mark.parametrize("text", ["2027-02-30", "07/01/2027", "1900-01-01", "9999-12-31", "x"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match=r".+"):
        parse_day(text)


def test_an_instant_shows_as_the_clock_in_japan():
    # 00:05 UTC is 09:05 in Tokyo; an instant already in +09:00 stays as it is.
    assert clock_time("2027-01-07T00:05:00+00:00") == "09:05"
    assert clock_time("2027-01-07T23:59:00+09:00") == "23:59"
    assert clock_time(None) is None
    assert clock_time("") is None

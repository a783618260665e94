from datetime import date

import pytest

from tsuen_portal.domain.dates import parse_day


def test_what_a_date_input_sends():
    assert parse_day("2027-01-07") == date(2027, 1, 7)
    assert parse_day("") is None
    assert parse_day("  ") is None


@pytest.mark.parametrize("text", ["2027-02-30", "07/01/2027", "1900-01-01", "9999-12-31", "x"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match=r".+"):
        parse_day(text)

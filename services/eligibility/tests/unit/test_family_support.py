"""要支援家庭 spans: within the certification's validity, the end on or after the start."""

from __future__ import annotations

from datetime import date

from tsuen_eligibility.domain.family_support import family_support_refusal

VALID = (date(2027, 4, 1), date(2028, 3, 31))


def test_a_span_within_the_certification_is_accepted_to_its_last_day() -> None:
    assert family_support_refusal(date(2027, 6, 16), date(2028, 3, 31), *VALID) is None
    assert family_support_refusal(date(2027, 6, 16), date(2027, 6, 16), *VALID) is None


def test_an_end_before_the_start_is_refused_in_japanese() -> None:
    refusal = family_support_refusal(date(2027, 6, 16), date(2027, 6, 15), *VALID)
    assert refusal is not None
    assert "開始日" in refusal


def test_a_span_beyond_the_certification_is_refused_naming_its_validity() -> None:
    for start, end in (
        (date(2027, 3, 31), date(2027, 6, 1)),
        (date(2027, 6, 1), date(2028, 4, 1)),
    ):
        refusal = family_support_refusal(start, end, *VALID)
        assert refusal is not None
        assert "2027-04-01〜2028-03-31" in refusal

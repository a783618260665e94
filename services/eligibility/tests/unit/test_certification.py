"""The certification's validity window, its number and when it ends."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tsuen_common.events.eligibility import RevocationReason
from tsuen_eligibility.domain.certification import (
    CertificationError,
    certificate_number,
    is_aged_out,
    revocation_effective_date,
    validity_window,
)


def test_validity_starts_on_the_day_of_certification_kakegawa_example() -> None:
    # Born 2024-04-10, certified 2026-03-02: not "from 2024-10-09", but from the day it is issued.
    assert validity_window(date(2024, 4, 10), date(2026, 3, 2)) == (
        date(2026, 3, 2),
        date(2027, 4, 8),
    )


def test_validity_of_a_baby_certified_early_starts_on_its_first_usable_day() -> None:
    # Born 2024-04-10, certified at 3 months: usable from the day it reaches 0y6m.
    assert validity_window(date(2024, 4, 10), date(2024, 7, 10)) == (
        date(2024, 10, 9),
        date(2027, 4, 8),
    )


def test_leap_day_birth_validity_ends_on_27_february() -> None:
    assert validity_window(date(2024, 2, 29), date(2026, 3, 2))[1] == date(2027, 2, 27)


def test_month_end_birth_validity_starts_on_the_last_day_of_february() -> None:
    assert validity_window(date(2024, 8, 31), date(2024, 9, 30))[0] == date(2025, 2, 28)


def test_certifying_on_the_first_usable_day_starts_that_day() -> None:
    assert validity_window(date(2024, 8, 31), date(2025, 2, 28))[0] == date(2025, 2, 28)


def test_certifying_on_the_last_usable_day_is_allowed_but_not_the_day_after() -> None:
    assert validity_window(date(2024, 4, 10), date(2027, 4, 8))[1] == date(2027, 4, 8)
    with pytest.raises(CertificationError, match="2027-04-08"):
        validity_window(date(2024, 4, 10), date(2027, 4, 9))


def test_certificate_number_uses_the_fiscal_year() -> None:
    cid = uuid.UUID("0123456789abcdef0123456789abcdef")
    assert certificate_number("222135", date(2026, 3, 31), cid) == "222135-2025-0123456789"
    assert certificate_number("222135", date(2026, 4, 1), cid) == "222135-2026-0123456789"


def test_aged_out_only_after_the_last_usable_day() -> None:
    assert not is_aged_out(date(2027, 4, 8), date(2027, 4, 8))
    assert is_aged_out(date(2027, 4, 8), date(2027, 4, 9))


def test_revocation_dates() -> None:
    until = date(2027, 4, 8)
    assert revocation_effective_date(RevocationReason.AGED_OUT, date(2027, 5, 1), until) == date(
        2027, 4, 9
    )
    assert revocation_effective_date(RevocationReason.MOVED_OUT, date(2026, 6, 1), until) == date(
        2026, 6, 1
    )
    # An enrollment after the certification ended anyway cannot move the end later.
    assert revocation_effective_date(RevocationReason.ENROLLED, date(2027, 6, 1), until) == date(
        2027, 4, 9
    )


def test_the_facility_receives_the_considerations_the_guardian_answered():
    from tsuen_eligibility.domain.certification import special_needs

    assert special_needs({}) is None
    assert special_needs({"special_considerations": {"present": False}}) is None
    needs = special_needs(
        {
            "special_considerations": {
                "present": True,
                "content": "卵アレルギー",
                "diagnosis": None,
                "required_care": "除去食",
                "medical_care": False,
            }
        }
    )
    assert needs is not None
    assert (needs.content, needs.diagnosis, needs.required_care) == (
        "卵アレルギー",
        "",
        "除去食",
    )
    assert not needs.medical_care


def test_medical_care_alone_is_enough_to_tell_the_facility():
    from tsuen_eligibility.domain.certification import special_needs

    needs = special_needs({"special_considerations": {"present": False, "medical_care": True}})
    assert needs is not None
    assert needs.medical_care

"""Automatic checks: age (shared rule) on the day before/of each boundary, residency, enrollment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tsuen_common.policy import EnrollmentType, load_policies
from tsuen_eligibility.domain.checks import (
    AgeStatus,
    EnrollmentFacts,
    EnrollmentStatus,
    ResidencyStatus,
    ResidentFacts,
    age_status,
    enrollment_status,
    residency_status,
    run_checks,
)

POLICIES = load_policies()
CHIYODA = POLICIES.get("131016").eligibility
KAKEGAWA = POLICIES.get("222135").eligibility
ONE_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        # Kakegawa's example: born 2024-04-10, usable 2024-10-09 .. 2027-04-08.
        (date(2024, 4, 10), date(2024, 10, 8), AgeStatus.TOO_YOUNG),
        (date(2024, 4, 10), date(2024, 10, 9), AgeStatus.ELIGIBLE),
        (date(2024, 4, 10), date(2027, 4, 8), AgeStatus.ELIGIBLE),
        (date(2024, 4, 10), date(2027, 4, 9), AgeStatus.AGED_OUT),
        # Month-end birth: born 08-31 reaches 6 months on 02-28 (no 02-31).
        (date(2024, 8, 31), date(2025, 2, 27), AgeStatus.TOO_YOUNG),
        (date(2024, 8, 31), date(2025, 2, 28), AgeStatus.ELIGIBLE),
        # Leap-day birth: reaches 3 on 2027-02-28, last usable day 2027-02-27.
        (date(2024, 2, 29), date(2027, 2, 27), AgeStatus.ELIGIBLE),
        (date(2024, 2, 29), date(2027, 2, 28), AgeStatus.AGED_OUT),
    ],
)
def test_age_status_on_each_boundary(birth: date, on: date, expected: AgeStatus) -> None:
    assert age_status(birth, on) is expected


def test_resident_from_the_day_of_moving_in() -> None:
    facts = [ResidentFacts(moved_in_on=date(2026, 4, 1), moved_out_on=None)]
    assert residency_status(facts, date(2026, 3, 31)) is ResidencyStatus.NOT_FOUND
    assert residency_status(facts, date(2026, 4, 1)) is ResidencyStatus.RESIDENT


def test_not_resident_from_the_day_of_moving_out() -> None:
    facts = [ResidentFacts(moved_in_on=None, moved_out_on=date(2026, 5, 1))]
    assert residency_status(facts, date(2026, 4, 30)) is ResidencyStatus.RESIDENT
    assert residency_status(facts, date(2026, 5, 1)) is ResidencyStatus.MOVED_OUT


def test_no_resident_record_means_not_found() -> None:
    assert residency_status([], date(2026, 4, 1)) is ResidencyStatus.NOT_FOUND


def test_tokyo_certified_nursery_excludes_in_chiyoda_only() -> None:
    facts = [EnrollmentFacts(EnrollmentType.TOKYO_CERTIFIED, date(2026, 4, 1), None)]
    assert enrollment_status(facts, date(2026, 4, 1), CHIYODA)[0] is EnrollmentStatus.EXCLUDED
    assert enrollment_status(facts, date(2026, 4, 1), KAKEGAWA)[0] is EnrollmentStatus.ALLOWED


def test_unlicensed_daycare_is_allowed_in_kakegawa() -> None:
    facts = [EnrollmentFacts(EnrollmentType.UNLICENSED, date(2026, 4, 1), None)]
    status, types = enrollment_status(facts, date(2026, 6, 1), KAKEGAWA)
    assert status is EnrollmentStatus.ALLOWED
    assert types == ("unlicensed",)


def test_enrollment_that_ended_no_longer_counts() -> None:
    facts = [EnrollmentFacts(EnrollmentType.LICENSED_NURSERY, date(2025, 4, 1), date(2026, 3, 31))]
    assert enrollment_status(facts, date(2026, 3, 31), KAKEGAWA)[0] is EnrollmentStatus.EXCLUDED
    assert enrollment_status(facts, date(2026, 4, 1), KAKEGAWA)[0] is EnrollmentStatus.NOT_ENROLLED


def test_run_checks_passes_only_when_all_pass() -> None:
    resident = [ResidentFacts(moved_in_on=date(2024, 4, 10), moved_out_on=None)]
    ok = run_checks(
        birth_date=date(2024, 4, 10),
        on=date(2026, 1, 5),
        residents=resident,
        enrollments=[],
        policy=KAKEGAWA,
    )
    assert ok.passed
    assert ok.failures() == []
    assert ok.to_json()["last_usable_day"] == "2027-04-08"
    not_resident = run_checks(
        birth_date=date(2024, 4, 10),
        on=date(2026, 1, 5),
        residents=[],
        enrollments=[],
        policy=KAKEGAWA,
    )
    assert not not_resident.passed
    assert not_resident.failures() == ["residency check: not_found"]

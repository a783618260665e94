"""Automatic checks stored with an application for the officer's review (認定審査).

They are advice, computed at submission and again at approval: age from the shared rule,
residency from the resident records, enrollment from the enrollment registry and the
municipality's list of excluded facility types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from tsuen_common.age import age_window
from tsuen_common.policy import EligibilityPolicy, EnrollmentType


class AgeStatus(StrEnum):
    ELIGIBLE = "eligible"
    TOO_YOUNG = "too_young"  # certifiable now; usable from first_usable_day
    AGED_OUT = "aged_out"  # past 満3歳の前々日: nothing left to certify


class ResidencyStatus(StrEnum):
    RESIDENT = "resident"
    NOT_FOUND = "not_found"
    MOVED_OUT = "moved_out"


class EnrollmentStatus(StrEnum):
    NOT_ENROLLED = "not_enrolled"
    ALLOWED = "allowed"  # enrolled, but in a type the municipality allows (e.g. 認可外 in Kakegawa)
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class ResidentFacts:
    moved_in_on: date | None
    moved_out_on: date | None


@dataclass(frozen=True, slots=True)
class EnrollmentFacts:
    facility_type: EnrollmentType
    enrolled_from: date
    enrolled_until: date | None


@dataclass(frozen=True, slots=True)
class CheckResults:
    checked_on: date
    first_usable_day: date
    last_usable_day: date
    age: AgeStatus
    residency: ResidencyStatus
    enrollment: EnrollmentStatus
    enrollment_types: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return (
            self.age is not AgeStatus.AGED_OUT
            and self.residency is ResidencyStatus.RESIDENT
            and self.enrollment is not EnrollmentStatus.EXCLUDED
        )

    def failures(self) -> list[str]:
        problems = []
        if self.age is AgeStatus.AGED_OUT:
            problems.append(f"the child's last usable day was {self.last_usable_day}")
        if self.residency is not ResidencyStatus.RESIDENT:
            problems.append(f"residency check: {self.residency}")
        if self.enrollment is EnrollmentStatus.EXCLUDED:
            problems.append(f"enrolled in an excluded facility type: {self.enrollment_types}")
        return problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("checked_on", "first_usable_day", "last_usable_day"):
            data[key] = data[key].isoformat()
        data["enrollment_types"] = list(self.enrollment_types)
        data["passed"] = self.passed
        return data


def age_status(birth_date: date, on: date) -> AgeStatus:
    window = age_window(birth_date)
    if on > window.last_usable_day:
        return AgeStatus.AGED_OUT
    if on < window.first_usable_day:
        return AgeStatus.TOO_YOUNG
    return AgeStatus.ELIGIBLE


def residency_status(facts: Iterable[ResidentFacts], on: date) -> ResidencyStatus:
    """Resident on ``on``: moved in on or before it, and not moved out by then.

    The day of 転出 is already outside: from that day the child lives elsewhere.
    """
    records = list(facts)
    if not records:
        return ResidencyStatus.NOT_FOUND
    for record in records:
        moved_in_ok = record.moved_in_on is None or record.moved_in_on <= on
        if moved_in_ok and (record.moved_out_on is None or on < record.moved_out_on):
            return ResidencyStatus.RESIDENT
    if any(r.moved_out_on is not None and r.moved_out_on <= on for r in records):
        return ResidencyStatus.MOVED_OUT
    return ResidencyStatus.NOT_FOUND


def enrollment_active(facts: EnrollmentFacts, on: date) -> bool:
    """Enrolled on ``on``; an enrollment that starts later still counts (it is already decided)."""
    return facts.enrolled_until is None or on <= facts.enrolled_until


def enrollment_status(
    facts: Iterable[EnrollmentFacts], on: date, policy: EligibilityPolicy
) -> tuple[EnrollmentStatus, tuple[str, ...]]:
    active = [f for f in facts if enrollment_active(f, on)]
    if not active:
        return EnrollmentStatus.NOT_ENROLLED, ()
    types = tuple(sorted({str(f.facility_type) for f in active}))
    if any(policy.excludes(f.facility_type) for f in active):
        return EnrollmentStatus.EXCLUDED, types
    return EnrollmentStatus.ALLOWED, types


def run_checks(
    *,
    birth_date: date,
    on: date,
    residents: Iterable[ResidentFacts],
    enrollments: Iterable[EnrollmentFacts],
    policy: EligibilityPolicy,
) -> CheckResults:
    window = age_window(birth_date)
    enrollment, types = enrollment_status(enrollments, on, policy)
    return CheckResults(
        checked_on=on,
        first_usable_day=window.first_usable_day,
        last_usable_day=window.last_usable_day,
        age=age_status(birth_date, on),
        residency=residency_status(residents, on),
        enrollment=enrollment,
        enrollment_types=types,
    )

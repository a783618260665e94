"""受入 after the first interview: who may accept whom, and when."""

from __future__ import annotations

import pytest

from tsuen_booking.domain.acceptance import (
    check_may_accept,
    check_may_record_held,
    check_medical_care_consulted,
)
from tsuen_booking.domain.errors import Conflict, InvalidRequest
from tsuen_common.auth import Role

STAFF, OFFICER = Role.FACILITY_STAFF, Role.MUNICIPALITY_OFFICER


@pytest.mark.parametrize("status", [None, "requested", "scheduled", "cancelled"])
def test_acceptance_needs_a_held_interview(status: str | None) -> None:
    with pytest.raises(Conflict, match=r"first interview \(初回面談\)"):
        check_may_accept(accepted=True, interview_status=status, role=STAFF, override_reason=None)


def test_a_held_interview_lets_staff_accept() -> None:
    check_may_accept(accepted=True, interview_status="held", role=STAFF, override_reason=None)


@pytest.mark.parametrize("status", [None, "requested", "held"])
def test_declining_needs_nothing(status: str | None) -> None:
    check_may_accept(accepted=False, interview_status=status, role=STAFF, override_reason=None)


def test_only_an_officer_may_accept_without_an_interview() -> None:
    with pytest.raises(InvalidRequest):
        check_may_accept(accepted=True, interview_status=None, role=STAFF, override_reason="x")
    check_may_accept(accepted=True, interview_status=None, role=OFFICER, override_reason="x")


def test_only_a_scheduled_interview_can_be_recorded_held() -> None:
    check_may_record_held("scheduled")
    for status in ("requested", "held", "cancelled"):
        with pytest.raises(Conflict):
            check_may_record_held(status)


def test_a_child_needing_medical_care_is_accepted_only_after_the_consultation() -> None:
    with pytest.raises(Conflict, match="medical care"):
        check_medical_care_consulted(
            accepted=True, needs_medical_care=True, consultation_required=True, consulted=False
        )
    check_medical_care_consulted(
        accepted=True, needs_medical_care=True, consultation_required=True, consulted=True
    )


@pytest.mark.parametrize(
    ("accepted", "needs", "required"),
    [(False, True, True), (True, False, True), (True, True, False)],
)
def test_no_consultation_is_asked_when_declining_without_medical_care_or_by_policy(
    accepted: bool, needs: bool, required: bool
) -> None:
    check_medical_care_consulted(
        accepted=accepted, needs_medical_care=needs, consultation_required=required, consulted=False
    )

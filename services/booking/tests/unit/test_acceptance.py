"""受入 after the first interview: who may accept whom, and when."""

from __future__ import annotations

import pytest

from tsuen_booking.domain.acceptance import check_may_accept, check_may_record_held
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

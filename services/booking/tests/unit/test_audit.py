"""Who leaves a line in the staff audit trail (domain/audit.py)."""

from tsuen_booking.domain.audit import is_audited
from tsuen_common.auth import Principal, Role


def test_staff_and_officers_are_audited_but_not_a_guardians_own_actions() -> None:
    staff = Principal(subject="s", role=Role.FACILITY_STAFF, municipality="222135", facility_id="f")
    officer = Principal(subject="o", role=Role.MUNICIPALITY_OFFICER, municipality="222135")
    guardian = Principal(subject="g", role=Role.GUARDIAN, municipality="222135", guardian_id="g")
    assert is_audited(staff)
    assert is_audited(officer)
    assert not is_audited(guardian)

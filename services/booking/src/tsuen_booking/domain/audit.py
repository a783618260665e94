"""The staff audit trail: which facility worker or officer changed what, and when (issue 16:
"every officer and staff action that changes data is in an audit log the officers can read").

A guardian's own actions are not audited here (they are the family's record, in their bookings);
what staff and officers do to a facility or on a family's behalf is. Entries carry ids and the
facts of the action, never a child's name or a guardian's contact: the officer opens the record
for those, with its own tenant checks.
"""

from __future__ import annotations

from enum import StrEnum

from tsuen_common.auth import Principal, Role


class StaffAction(StrEnum):
    FACILITY_UPDATED = "facility.updated"
    FACILITY_CLOSED = "facility.closed"
    CAPACITY_CHANGED = "capacity.changed"
    BOOKINGS_CANCELLED = "bookings.cancelled"  # a slot or span cancelled by the facility
    INTERVIEW_SCHEDULED = "interview.scheduled"
    INTERVIEW_HELD = "interview.held"
    CHILD_ACCEPTED = "child.accepted"
    CHILD_DECLINED = "child.declined"
    PLAN_APPROVED = "plan.approved"
    PLAN_DECLINED = "plan.declined"
    # Read off the bookings themselves (their rows say who and when), not written twice:
    BOOKED_FOR_GUARDIAN = "booking.booked_for_guardian"
    CANCELLED_FOR_GUARDIAN = "booking.cancelled_for_guardian"


def is_audited(principal: Principal) -> bool:
    """Staff, officers and platform admins leave a trail; a guardian's own actions do not."""
    return principal.role is not Role.GUARDIAN

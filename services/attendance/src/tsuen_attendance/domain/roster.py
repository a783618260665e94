"""Today's roster for the facility's staff: who is expected, here, gone, and late."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tsuen_attendance.domain.visits import Visit, VisitStatus
from tsuen_common.policy import AttendancePolicy


@dataclass(frozen=True)
class RosterLine:
    visit: Visit
    status: VisitStatus
    late_pickup: bool


@dataclass(frozen=True)
class Roster:
    lines: tuple[RosterLine, ...]

    def count(self, status: VisitStatus) -> int:
        return sum(1 for line in self.lines if line.status is status)

    @property
    def late(self) -> int:
        return sum(1 for line in self.lines if line.late_pickup)


def build_roster(visits: Iterable[tuple[Visit, AttendancePolicy]], now: datetime) -> Roster:
    """Cancelled bookings are left out: nobody is expected for them."""
    lines = [
        RosterLine(visit=v, status=v.status(now), late_pickup=v.is_late_pickup(now, policy))
        for v, policy in visits
        if not v.cancelled
    ]
    lines.sort(key=lambda line: (line.visit.starts_at, str(line.visit.booking_id)))
    return Roster(lines=tuple(lines))


def shows_child_record(status: VisitStatus, use_date: date, today: date, days_ahead: int) -> bool:
    """Whether the roster shows the guardian's record (allergies, contacts, pickup) for a line.

    The facility sees a child's record for the visits it is about to care for: today's and
    the next ``days_ahead`` days', while the child is expected or in its care. Once the visit
    is over (left, no-show) or for past days the roster keeps the attendance facts only.
    """
    if status not in (VisitStatus.EXPECTED, VisitStatus.IN_USE):
        return False
    return today <= use_date <= today + timedelta(days=days_ahead)

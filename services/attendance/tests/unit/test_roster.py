from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

import pytest

from tsuen_attendance.domain.roster import build_roster, shows_child_record
from tsuen_attendance.domain.visits import Visit, VisitStatus
from tsuen_common.policy import AttendancePolicy
from tsuen_common.timeutil import JST

POLICY = AttendancePolicy()


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=JST)


def visit(start: datetime, end: datetime) -> Visit:
    return Visit(
        booking_id=uuid.uuid4(),
        municipality="131016",
        facility_id=uuid.uuid4(),
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        use_date=start.date(),
        starts_at=start,
        ends_at=end,
    )


def test_the_roster_counts_expected_arrived_left_and_late() -> None:
    expected = visit(at(13), at(15))
    arrived = replace(visit(at(9), at(15)), checked_in_at=at(9))
    left = replace(
        visit(at(9), at(11)), checked_in_at=at(9), checked_out_at=at(11, 20), penalty_minutes=60
    )
    still_here_late = replace(visit(at(9), at(12)), checked_in_at=at(9))
    missing = visit(at(8), at(10))
    cancelled = replace(visit(at(9), at(10)), cancelled=True)
    roster = build_roster(
        [(v, POLICY) for v in (expected, arrived, left, still_here_late, missing, cancelled)],
        at(12, 30),
    )
    assert roster.count(VisitStatus.EXPECTED) == 1
    assert roster.count(VisitStatus.IN_USE) == 2
    assert roster.count(VisitStatus.LEFT) == 1
    assert roster.count(VisitStatus.NO_SHOW) == 1
    assert roster.late == 2  # picked up late, and still here 30 minutes after the end
    assert len(roster.lines) == 5  # nobody is expected for a cancelled booking
    assert [line.visit.starts_at for line in roster.lines] == sorted(
        line.visit.starts_at for line in roster.lines
    )


# --- the guardian's record on the roster: only for the care about to be given ---------------

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("status", "use_date", "shown"),
    [
        (VisitStatus.EXPECTED, TODAY, True),
        (VisitStatus.IN_USE, TODAY, True),
        (VisitStatus.LEFT, TODAY, False),  # the visit is over
        (VisitStatus.NO_SHOW, TODAY, False),
        (VisitStatus.EXPECTED, date(2026, 11, 27), True),  # the next few days
        (VisitStatus.EXPECTED, date(2026, 11, 28), False),  # beyond them
        (VisitStatus.EXPECTED, date(2026, 11, 23), False),  # a past day
    ],
)
def test_the_record_shows_for_todays_and_the_next_days_care_only(
    status: VisitStatus, use_date: date, shown: bool
) -> None:
    assert shows_child_record(status, use_date, TODAY, days_ahead=3) is shown

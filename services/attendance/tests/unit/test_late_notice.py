"""遅れる連絡: when a guardian's notice can still help, and what they are told otherwise."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tsuen_attendance.domain.late_notice import LateKind, LateNoticeRefused, check_late_notice
from tsuen_attendance.domain.visits import Visit
from tsuen_common.timeutil import JST


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=JST)


VISIT = Visit(
    booking_id=uuid.uuid4(),
    municipality="222135",
    facility_id=uuid.uuid4(),
    child_id=uuid.uuid4(),
    guardian_id=uuid.uuid4(),
    use_date=at(9).date(),
    starts_at=at(9),
    ends_at=at(12),
)


@pytest.mark.parametrize("kind", list(LateKind))
def test_a_notice_for_todays_visit_before_it_happens_is_taken(kind: LateKind) -> None:
    check_late_notice(VISIT, kind, at(8, 30))


def test_a_pickup_notice_while_the_child_is_here_is_taken() -> None:
    check_late_notice(replace(VISIT, checked_in_at=at(9, 5)), LateKind.PICKUP, at(11, 50))


@pytest.mark.parametrize(
    ("visit", "kind", "now", "words"),
    [
        (replace(VISIT, cancelled=True), LateKind.PICKUP, at(8), "キャンセル"),
        (VISIT, LateKind.ARRIVAL, at(8, day=23), "当日"),  # the day before
        (replace(VISIT, checked_in_at=at(9)), LateKind.ARRIVAL, at(10), "すでに登園"),
        (
            replace(VISIT, checked_in_at=at(9), checked_out_at=at(11)),
            LateKind.PICKUP,
            at(11, 30),
            "降園",
        ),
        (VISIT, LateKind.ARRIVAL, at(12), "お電話"),  # the booked time is over
    ],
)
def test_a_notice_that_cannot_help_says_what_to_do_instead(
    visit: Visit, kind: LateKind, now: datetime, words: str
) -> None:
    with pytest.raises(LateNoticeRefused) as refused:
        check_late_notice(visit, kind, now)
    assert words in refused.value.message_ja
    assert refused.value.status == 409


def test_a_pickup_notice_after_the_booked_end_is_still_taken() -> None:
    # The parent is already late: telling the facility is exactly what is wanted.
    here = replace(VISIT, checked_in_at=at(9))
    check_late_notice(here, LateKind.PICKUP, VISIT.ends_at + timedelta(minutes=15))

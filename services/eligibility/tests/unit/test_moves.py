"""One child across municipalities (issue 17.3): when approving is a move, and when the
officer must say."""

from __future__ import annotations

import uuid
from datetime import date

from tsuen_eligibility.domain.moves import (
    CertifiedElsewhere,
    DecisionNeeded,
    Move,
    NewChild,
    OfficerDecision,
    UnknownCertification,
    decide_move,
    guardian_login_moves,
    last_day_before,
)

CHIYODA, SETAGAYA = "131016", "131121"
STARTS = date(2027, 1, 14)


def elsewhere(
    municipality: str = CHIYODA, *, same_guardian: bool = True, ended_on: date | None = None
) -> CertifiedElsewhere:
    return CertifiedElsewhere(
        certification_id=uuid.uuid4(),
        municipality=municipality,
        child_id=uuid.uuid4(),
        guardian_id=uuid.uuid4(),
        same_guardian=same_guardian,
        ended_on=ended_on,
    )


def test_a_child_certified_nowhere_else_is_a_new_child() -> None:
    assert decide_move([], OfficerDecision(), STARTS) == NewChild()


def test_the_same_guardian_with_the_same_child_elsewhere_is_a_move_without_asking() -> None:
    previous = elsewhere()
    outcome = decide_move([previous], OfficerDecision(), STARTS)
    assert outcome == Move(previous, date(2027, 1, 13))


def test_the_old_certification_ends_the_day_before_the_new_one_starts() -> None:
    assert last_day_before(date(2027, 1, 1)) == date(2026, 12, 31)  # across the year
    assert last_day_before(date(2027, 3, 1)) == date(2027, 2, 28)  # across February
    assert last_day_before(date(2028, 3, 1)) == date(2028, 2, 29)  # leap year


def test_another_guardian_needs_the_officers_decision() -> None:
    previous = elsewhere(same_guardian=False)
    assert decide_move([previous], OfficerDecision(), STARTS) == DecisionNeeded((previous,))


def test_two_certifications_elsewhere_need_the_officers_decision_even_with_the_guardian() -> None:
    one, two = elsewhere(CHIYODA), elsewhere(SETAGAYA)
    assert decide_move([one, two], OfficerDecision(), STARTS) == DecisionNeeded((one, two))


def test_the_officer_names_the_certification_the_child_moves_from() -> None:
    one, two = elsewhere(CHIYODA, same_guardian=False), elsewhere(SETAGAYA)
    outcome = decide_move([one, two], OfficerDecision(moved_from=one.certification_id), STARTS)
    assert outcome == Move(one, date(2027, 1, 13))


def test_the_officer_says_it_is_another_child() -> None:
    assert decide_move([elsewhere()], OfficerDecision(another_child=True), STARTS) == NewChild()


def test_a_named_certification_that_is_not_a_candidate_is_refused() -> None:
    decision = OfficerDecision(moved_from=uuid.uuid4())
    assert decide_move([elsewhere()], decision, STARTS) == UnknownCertification()
    assert decide_move([], decision, STARTS) == UnknownCertification()


def test_the_login_moves_only_with_the_same_guardian_and_the_same_address() -> None:
    who = "ツウエン ハナコ|1990-05-01"
    assert guardian_login_moves("a@example.jp", who, email="a@example.jp", identity=who)
    assert not guardian_login_moves("a@example.jp", who, email="b@example.jp", identity=who)
    assert not guardian_login_moves(
        "a@example.jp", who, email="a@example.jp", identity="ツウエン タロウ|1988-02-02"
    )
    assert not guardian_login_moves("a@example.jp", None, email="a@example.jp", identity=who)


def test_a_certification_the_old_home_ended_for_the_move_out_is_the_same_child() -> None:
    # 転出 imported on 10 March (ends from then), 転入 approved on the 14th: the child keeps its
    # id, nothing more ends, and the days between belong to neither.
    moved_out = elsewhere(ended_on=date(2027, 1, 10))
    outcome = decide_move([moved_out], OfficerDecision(), STARTS)
    assert outcome == Move(moved_out, date(2027, 1, 9), end_it=False)
    # Ended exactly where the new one starts: still nothing to end.
    on_the_day = elsewhere(ended_on=STARTS)
    assert decide_move([on_the_day], OfficerDecision(), STARTS) == Move(
        on_the_day, date(2027, 1, 13), end_it=False
    )


def test_a_move_out_dated_after_the_new_start_is_brought_forward() -> None:
    # The old home recorded 転出 on the 20th; the new home certifies from the 14th: no overlap.
    late = elsewhere(ended_on=date(2027, 1, 20))
    outcome = decide_move([late], OfficerDecision(), STARTS)
    assert outcome == Move(late, date(2027, 1, 13), end_it=True)

"""The draw is a pure function of (seed, applicant list, tiers, siblings flag)."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest

from tsuen_eligibility.domain.lottery import (
    Applicant,
    LotteryError,
    acceptance_deadline,
    draw,
    is_lapsed,
    rank_key,
    seed_commitment,
    verify_seed,
)

SEED = "5eed" * 16


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=i + 1) for i in range(n)]


def test_commitment_verifies_only_the_committed_seed() -> None:
    commitment = seed_commitment(SEED)
    assert verify_seed(SEED, commitment)
    assert not verify_seed(SEED + "0", commitment)


def test_same_inputs_same_order_whatever_the_list_order() -> None:
    applicants = [Applicant(i) for i in ids(20)]
    shuffled = applicants[:]
    random.Random(7).shuffle(shuffled)
    first = draw(seed=SEED, applicants=applicants, places=5)
    assert draw(seed=SEED, applicants=shuffled, places=5) == first
    assert len(first.winners) == 5
    assert first.waitlist == first.order[5:]


def test_order_is_by_hmac_of_the_application_id() -> None:
    applicants = [Applicant(i) for i in ids(10)]
    result = draw(seed=SEED, applicants=applicants, places=3)
    assert list(result.order) == sorted(ids(10), key=lambda i: rank_key(SEED, i))


def test_another_seed_gives_another_order() -> None:
    applicants = [Applicant(i) for i in ids(20)]
    assert (
        draw(seed=SEED, applicants=applicants, places=5).order
        != draw(seed="other", applicants=applicants, places=5).order
    )


def test_everyone_wins_when_applicants_do_not_exceed_places() -> None:
    applicants = [Applicant(i) for i in ids(4)]
    result = draw(seed=SEED, applicants=applicants, places=4)
    assert set(result.winners) == set(ids(4))
    assert result.waitlist == ()


def test_priority_tiers_are_drawn_first_in_policy_order() -> None:
    a = ids(6)
    applicants = [
        Applicant(a[0]),
        Applicant(a[1], tier="single_parent"),
        Applicant(a[2]),
        Applicant(a[3], tier="needs_support"),
        Applicant(a[4], tier="unknown_tier"),
        Applicant(a[5]),
    ]
    result = draw(
        seed=SEED,
        applicants=applicants,
        places=2,
        priority_tiers=("needs_support", "single_parent"),
    )
    assert result.winners == (a[3], a[1])


def test_siblings_drawn_together_win_or_lose_together() -> None:
    a = ids(8)
    applicants = [Applicant(i, family="fam-" + str(n)) for n, i in enumerate(a)]
    applicants[0] = Applicant(a[0], family="twins")
    applicants[1] = Applicant(a[1], family="twins")
    for seed in ("s1", "s2", "s3", "s4", "s5", "s6"):
        result = draw(seed=seed, applicants=applicants, places=4, siblings_together=True)
        assert (a[0] in result.winners) == (a[1] in result.winners)
        assert len(result.winners) == 4


def test_siblings_are_drawn_apart_when_the_policy_says_so() -> None:
    a = ids(2)
    applicants = [Applicant(a[0], family="f"), Applicant(a[1], family="f")]
    result = draw(seed=SEED, applicants=applicants, places=1, siblings_together=False)
    assert len(result.winners) == 1


def test_without_waitlist_losers_are_not_selected() -> None:
    result = draw(
        seed=SEED, applicants=[Applicant(i) for i in ids(3)], places=1, waitlist_enabled=False
    )
    assert result.waitlist == ()
    assert len(result.not_selected) == 2


def test_duplicate_applicant_is_refused() -> None:
    a = ids(1)[0]
    with pytest.raises(LotteryError, match="twice"):
        draw(seed=SEED, applicants=[Applicant(a), Applicant(a)], places=1)


def test_acceptance_deadline_day_itself_is_in_time() -> None:
    deadline = acceptance_deadline(date(2026, 3, 31), 7)
    assert deadline == date(2026, 4, 7)
    assert not is_lapsed(deadline, date(2026, 4, 7))
    assert is_lapsed(deadline, date(2026, 4, 8))

"""One child, one certification, wherever the family lives (issue 17.3): pure rules.

A child is the same child in every municipality on the platform. The municipalities' records
hold no national identifier we may use (マイナンバー is out of bounds), so the match is the one
the resident records do hold: the child's reading and birth date. When such a child already
holds an active certification elsewhere, approving here is a move (転入) if

- the officer says so (naming that certification), or
- nobody needs to say so: exactly one such certification, and its guardian is the applicant
  (same reading and birth date, ``names.guardian_key``).

Any other case waits for the officer's decision: a move from one of them, or "a different
child" (twins of another family do not share a reading and a birth date often, but they can).

A move keeps the child's id (so booking's month ledger, keyed by child, carries the month's
hours) and ends the old certification the day before the new one starts: no gap, no overlap.
A certification the old home already ended for the move out (its resident records imported
first, as 転出届 usually comes before 転入届) is the same child too: the id is kept, nothing
more ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class CertifiedElsewhere:
    """An active certification of a child with the applicant child's reading and birth date,
    in another municipality."""

    certification_id: uuid.UUID
    municipality: str
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    same_guardian: bool  # its guardian's reading and birth date are the applicant's
    ended_on: date | None = None  # already ended by a move out (its first day no longer held)


@dataclass(frozen=True)
class OfficerDecision:
    """What the officer said at approval: nothing, "moved from this one", or "another child"."""

    moved_from: uuid.UUID | None = None
    another_child: bool = False


@dataclass(frozen=True)
class Move:
    """Approve as a move from ``previous``: its certification ends (or ended) on ``last_day``;
    ``end_it``: this approval ends it (it is active, or ends only after the new one starts)."""

    previous: CertifiedElsewhere
    last_day: date
    end_it: bool = True


@dataclass(frozen=True)
class NewChild:
    """No certification elsewhere is this child's: a child id of its own."""


@dataclass(frozen=True)
class DecisionNeeded:
    """The officer must say whether this is one of ``candidates`` moving in, or another child."""

    candidates: tuple[CertifiedElsewhere, ...]


@dataclass(frozen=True)
class UnknownCertification:
    """The officer named a certification that is not one of the candidates (ended meanwhile,
    or another child's)."""


MoveOutcome = Move | NewChild | DecisionNeeded | UnknownCertification


def last_day_before(new_valid_from: date) -> date:
    """The old certification's last day: the day before the new one's first."""
    return new_valid_from - timedelta(days=1)


def _move(previous: CertifiedElsewhere, new_valid_from: date) -> Move:
    """An active certification ends the day before the new one starts. One the old home already
    ended (転出 imported first) keeps its end when that is no later — the days between are
    nobody's — and is brought forward when it would overlap the new one."""
    if previous.ended_on is not None and previous.ended_on <= new_valid_from:
        return Move(previous, last_day_before(previous.ended_on), end_it=False)
    return Move(previous, last_day_before(new_valid_from))


def decide_move(
    candidates: Sequence[CertifiedElsewhere],
    decision: OfficerDecision,
    new_valid_from: date,
) -> MoveOutcome:
    """Move, new child, or the officer must decide (see the module's rules)."""
    if decision.moved_from is not None:
        named = [c for c in candidates if c.certification_id == decision.moved_from]
        if not named:
            return UnknownCertification()
        return _move(named[0], new_valid_from)
    if decision.another_child or not candidates:
        return NewChild()
    if len(candidates) == 1 and candidates[0].same_guardian:
        return _move(candidates[0], new_valid_from)
    return DecisionNeeded(tuple(candidates))


def guardian_login_moves(
    previous_email: str, previous_identity: str | None, *, email: str, identity: str
) -> bool:
    """The family's login follows it when the guardian applies here as the same person with the
    same address: the account keeps its password and opens this municipality from now on.
    Otherwise the applicant gets an account here as anyone would."""
    return previous_identity == identity and previous_email == email

"""The lottery (抽選) as the officer's and the public pages read it: pure rules, no I/O.

Eligibility draws and keeps the results; an entry's outcome moves on after the draw (a winner
takes up the place or declines, a 補欠 is promoted). The pages still show the draw as it fell:
who won it (当選) and the waiting list (順番待ち・補欠) in its order, each with where it stands
now. A re-run of the draw (eligibility's replay) must give the same order and the same winners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MAX_PLACES = 100_000  # eligibility's bound on a round's places
NAME_MAX = 100

HOLDING = ("won", "promoted")  # a place is held, not yet taken up: it can still be declined
DECLINABLE = (*HOLDING, "waitlisted")  # a 補欠 may also withdraw from the waiting list


@dataclass(frozen=True)
class Entry:
    """One application in a drawn round."""

    application_id: str
    draw_position: int
    outcome: str  # won, waitlisted, promoted, accepted, declined, lapsed, rejected, not_selected
    waitlist_position: int | None
    acceptance_deadline: date | None = None
    child_name: str = ""  # the officer's page only; never on the public page

    @property
    def declinable(self) -> bool:
        return self.outcome in DECLINABLE


@dataclass(frozen=True)
class DrawnLists:
    winners: list[Entry]  # 当選 at the draw, in drawn order
    waitlist: list[Entry]  # 補欠, in waitlist order
    not_selected: list[Entry]  # only where the round keeps no waiting list


def drawn_lists(entries: Sequence[Entry]) -> DrawnLists:
    """Split a round's entries as the draw placed them. A 補欠 keeps its waitlist position when
    promoted, so the draw's winners are exactly the entries without one (and not 落選)."""
    ordered = sorted(entries, key=lambda e: e.draw_position)
    return DrawnLists(
        winners=[e for e in ordered if e.waitlist_position is None and e.outcome != "not_selected"],
        waitlist=sorted(
            (e for e in ordered if e.waitlist_position is not None),
            key=lambda e: e.waitlist_position or 0,
        ),
        not_selected=[e for e in ordered if e.outcome == "not_selected"],
    )


def replay_matches(
    entries: Sequence[Entry], replayed_order: Sequence[str], replayed_winners: Sequence[str]
) -> bool:
    """The re-run draw gives the published order and the same winners."""
    published = [e.application_id for e in sorted(entries, key=lambda e: e.draw_position)]
    winners = {e.application_id for e in drawn_lists(entries).winners}
    return list(replayed_order) == published and set(replayed_winners) == winners


def places_asked(text: str) -> int | None:
    """The number of places typed in the form (half- or full-width digits), or None."""
    text = text.strip()
    if not text.isdecimal():
        return None
    places = int(text)
    return places if 1 <= places <= MAX_PLACES else None

"""The draw (抽選) and its waitlist (補欠): pure, deterministic, re-runnable by anyone.

Commit-reveal: when a round opens it publishes ``sha256(seed)``; after the draw it reveals the
seed. The order is a function of the seed and the published applicant list only, so anyone can
check that (a) the seed matches the hash published before the applicant list was closed and
(b) re-running :func:`draw` gives the published order.

Order: entries are sorted by priority tier (the policy's tiers first, in order; everyone else
after), then by ``HMAC-SHA256(seed, entry key)``. An HMAC per entry, not a shuffle, makes the
rank of an applicant independent of the others on the list and of the list's order.
With ``siblings_drawn_together`` the siblings of one family (same e-mail, "兄弟姉妹は同じメール
アドレスで") form one entry: their key is the smallest application id among them, their tier the
best of theirs, and they win or lose together.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

SEED_BYTES = 32


class LotteryError(ValueError):
    pass


def new_seed() -> str:
    return secrets.token_hex(SEED_BYTES)


def seed_commitment(seed: str) -> str:
    """The hash published before the draw: sha256 of the seed's text (hex)."""
    return hashlib.sha256(seed.encode()).hexdigest()


def verify_seed(seed: str, commitment: str) -> bool:
    return hmac.compare_digest(seed_commitment(seed), commitment)


def rank_key(seed: str, application_id: uuid.UUID) -> str:
    return hmac.new(seed.encode(), str(application_id).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Applicant:
    """One line of the published applicant list. No personal data: ids and hashes only."""

    application_id: uuid.UUID
    tier: str | None = None
    # sha256 of the guardian's e-mail: equal for siblings, meaningless to anyone else.
    family: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """What is drawn: one applicant, or a family of siblings drawn together."""

    application_ids: tuple[uuid.UUID, ...]
    tier_rank: int
    key: str


@dataclass(frozen=True)
class DrawResult:
    order: tuple[uuid.UUID, ...]  # every applicant, in drawn order
    winners: tuple[uuid.UUID, ...]
    waitlist: tuple[uuid.UUID, ...]  # 補欠, in order (empty if the waitlist is disabled)
    not_selected: tuple[uuid.UUID, ...] = field(default=())


def _tier_rank(tier: str | None, tiers: Sequence[str]) -> int:
    return tiers.index(tier) if tier in tiers else len(tiers)


def _entries(
    seed: str, applicants: Sequence[Applicant], tiers: Sequence[str], together: bool
) -> list[Entry]:
    groups: dict[str, list[Applicant]] = {}
    for applicant in applicants:
        group = applicant.family if together and applicant.family else str(applicant.application_id)
        groups.setdefault(group, []).append(applicant)
    entries = []
    for members in groups.values():
        ids = tuple(sorted(m.application_id for m in members))
        entries.append(
            Entry(
                application_ids=ids,
                tier_rank=min(_tier_rank(m.tier, tiers) for m in members),
                key=rank_key(seed, ids[0]),
            )
        )
    entries.sort(key=lambda e: (e.tier_rank, e.key))
    return entries


def draw(
    *,
    seed: str,
    applicants: Sequence[Applicant],
    places: int,
    priority_tiers: Sequence[str] = (),
    siblings_together: bool = False,
    waitlist_enabled: bool = True,
) -> DrawResult:
    """Winners fill ``places`` in drawn order; the rest become 補欠 in that order.

    If everyone fits, everyone wins (there is no lottery when applicants do not exceed places).
    A family drawn together that no longer fits in the remaining places is passed over for
    entries after it that fit (a place is never left empty while someone could take it); it
    heads the waitlist instead.
    """
    if places < 0:
        raise LotteryError("places cannot be negative")
    ids = [a.application_id for a in applicants]
    if len(set(ids)) != len(ids):
        raise LotteryError("an application appears twice on the applicant list")
    entries = _entries(seed, applicants, priority_tiers, siblings_together)
    order = tuple(i for e in entries for i in e.application_ids)
    winners: list[uuid.UUID] = []
    losers: list[uuid.UUID] = []
    for entry in entries:
        if len(winners) + len(entry.application_ids) <= places:
            winners.extend(entry.application_ids)
        else:
            losers.extend(entry.application_ids)
    if waitlist_enabled:
        return DrawResult(order=order, winners=tuple(winners), waitlist=tuple(losers))
    return DrawResult(order=order, winners=tuple(winners), waitlist=(), not_selected=tuple(losers))


def acceptance_deadline(decided_on: date, days: int) -> date:
    """The last day a winner (or promoted 補欠) can take up the place."""
    return decided_on + timedelta(days=days)


def is_lapsed(deadline: date, on: date) -> bool:
    """The deadline day itself is still in time."""
    return on > deadline

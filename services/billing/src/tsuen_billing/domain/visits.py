"""What a visit adds beyond its hours: the 初回 add-on and the facility's 実費.

Both are charged per visit **actually attended** (a ``use`` line: booking settled it as used
after attendance's check-out). A no-show, a late cancellation or a closure is no visit: no meal
was eaten and the child did not come for the first time, so neither applies to them.

- **初回加算** (first visit): the child's first visit at the facility, once ever. Billing knows
  the visits it was sent; the earliest unbilled visit (use date, then booking id) of a child
  whose first visit was never billed at the facility gets it. A closed month never changes: if a
  late event brings an even earlier visit after the add-on was billed, the add-on stays where it
  was billed and the late visit has none (it is still claimed once).
- **実費** (actual costs such as meals and snacks): the facility's items in force on the use
  date, each ``per visit`` (every visit) or ``per day`` (once per child and day, on the day's
  first visit: a morning and an afternoon booking eat one lunch). The guardian pays them to the
  facility: they go on the statement, never on the municipality's claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tsuen_billing.domain.usage import LineKind, UsageLine

__all__ = [
    "AlreadyBilled",
    "CostItem",
    "CostUnit",
    "VisitExtras",
    "items_on",
    "visit_extras",
]


class CostUnit(StrEnum):
    VISIT = "visit"  # 1回あたり
    DAY = "day"  # 1日あたり


@dataclass(frozen=True)
class CostItem:
    """One version of a facility's 実費 item: from ``effective_from`` on, until the next version
    of the same name. ``active=False`` stops charging the item from that day."""

    name: str
    unit: CostUnit
    yen: int
    effective_from: date
    active: bool = True


def items_on(versions: Iterable[CostItem], day: date) -> list[CostItem]:
    """The items charged on ``day``: per name, the latest version started on or before it,
    unless that version stopped the item. Sorted by name, so lines read the same every time."""
    latest: dict[str, CostItem] = {}
    for item in sorted(versions, key=lambda v: v.effective_from):
        if item.effective_from <= day:
            latest[item.name] = item
    return sorted((i for i in latest.values() if i.active), key=lambda i: i.name)


@dataclass(frozen=True)
class AlreadyBilled:
    """What earlier closes of the facility billed: children whose first visit was billed, and
    (child, day) pairs whose per-day items were billed."""

    first_visits: frozenset[uuid.UUID] = frozenset()
    days: frozenset[tuple[uuid.UUID, date]] = frozenset()


@dataclass(frozen=True)
class VisitExtras:
    first_visit: bool = False
    costs: tuple[tuple[str, int], ...] = field(default_factory=tuple)  # (item name, yen)

    @property
    def cost_yen(self) -> int:
        return sum(yen for _, yen in self.costs)


def visit_extras(
    lines: Sequence[UsageLine], billed: AlreadyBilled, items: Sequence[CostItem]
) -> dict[tuple[uuid.UUID, LineKind], VisitExtras]:
    """The extras of each visit among one facility's lines being billed (keyed like the lines);
    lines that are not visits are absent (no extras)."""
    firsts = set(billed.first_visits)
    days = set(billed.days)
    out: dict[tuple[uuid.UUID, LineKind], VisitExtras] = {}
    visits = sorted(
        (ln for ln in lines if ln.kind is LineKind.USE),
        key=lambda ln: (ln.use_date, str(ln.booking_id)),
    )
    for line in visits:
        first = line.child_id not in firsts
        firsts.add(line.child_id)
        new_day = (line.child_id, line.use_date) not in days
        days.add((line.child_id, line.use_date))
        costs = tuple(
            (item.name, item.yen)
            for item in items_on(items, line.use_date)
            if item.unit is CostUnit.VISIT or new_day
        )
        out[line.key] = VisitExtras(first_visit=first, costs=costs)
    return out

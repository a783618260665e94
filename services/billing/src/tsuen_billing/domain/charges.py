"""What one usage line costs: the municipality's 給付費 (+ 加算) and the guardian's fee.

- USE, NO_SHOW, LATE_CANCEL, LATE_PICKUP: the consumed minutes at the scheme's rates of the
  use date's fiscal year: 給付 by the age band on the use date, each 加算 the child qualifies for,
  and the guardian's fee after the household's reduction in force on the use date.
- OVER_CAP: only the facility's own over-cap fee (as booking computed it); outside the scheme,
  so no 給付 and no scheme fee.
- NOT_CHARGED_CANCEL: nothing (the facility or the municipality called the booking off).
- A visit (USE) also carries its extras (domain.visits): the 初回 add-on per visit, claimed with
  the other 加算, and the facility's 実費, paid by the guardian (statement only).

Each amount is rounded once, on the line, by ``money.yen_for``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from tsuen_billing.domain.money import fiscal_year, yen_for
from tsuen_billing.domain.prices import AgeBand, FeeCategory, PriceBook, age_band
from tsuen_billing.domain.usage import CHARGED_AT_SCHEME_RATES, LineKind, UsageLine
from tsuen_billing.domain.visits import VisitExtras

__all__ = ["ChildFacts", "LineCharge", "price_line"]


@dataclass(frozen=True)
class ChildFacts:
    """What the certification (and the municipality's fee decisions) say about a child."""

    child_id: uuid.UUID
    guardian_id: uuid.UUID
    municipality: str  # the certifying municipality: it pays the 給付 (広域 too)
    birth_date: date
    needs_support: bool = False
    medical_care: bool = False
    # (effective from, category), any order; before the first: STANDARD.
    fee_categories: tuple[tuple[date, FeeCategory], ...] = field(default_factory=tuple)
    # 要支援家庭 spans an officer marked on the certification: (from, to), both days included.
    family_support: tuple[tuple[date, date], ...] = field(default_factory=tuple)

    def fee_category_on(self, day: date) -> FeeCategory:
        current = FeeCategory.STANDARD
        for start, category in sorted(self.fee_categories):
            if start <= day:
                current = category
        return current

    def family_support_on(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.family_support)

    def addons(self, day: date) -> list[str]:
        """The 加算 (per child-hour) that apply on ``day``: the price table's rates by these
        names."""
        return [
            name
            for name, applies in (
                ("needs_support", self.needs_support),
                ("medical_care", self.medical_care),
                ("family_support", self.family_support_on(day)),
            )
            if applies
        ]


@dataclass(frozen=True)
class LineCharge:
    benefit_yen: int = 0  # 給付費 to claim from the municipality
    addon_yen: int = 0  # 加算 (per hour and per visit) to claim from the municipality
    fee_yen: int = 0  # 利用者負担: the guardian pays the facility
    over_cap_yen: int = 0  # the facility's over-cap fee: the guardian pays the facility
    actual_cost_yen: int = 0  # 実費 (meals, snacks): the guardian pays the facility
    actual_costs: tuple[tuple[str, int], ...] = ()  # (item, yen), summing to actual_cost_yen
    first_visit: bool = False  # the 初回 add-on is in addon_yen
    fiscal_year: int | None = None
    age_band: AgeBand | None = None
    fee_category: FeeCategory | None = None

    @property
    def claim_yen(self) -> int:
        return self.benefit_yen + self.addon_yen

    @property
    def guardian_yen(self) -> int:
        return self.fee_yen + self.over_cap_yen + self.actual_cost_yen


def price_line(
    line: UsageLine,
    child: ChildFacts,
    prices: PriceBook,
    extras: VisitExtras | None = None,
) -> LineCharge:
    if line.kind is LineKind.OVER_CAP:
        return LineCharge(over_cap_yen=line.over_cap_fee_yen)
    if line.kind not in CHARGED_AT_SCHEME_RATES:
        return LineCharge()
    table = prices.for_use(child.municipality, line.use_date)
    band = age_band(child.birth_date, line.use_date)
    category = child.fee_category_on(line.use_date)
    extras = extras if extras is not None and line.kind is LineKind.USE else VisitExtras()
    per_visit = table.addon_per_visit.get("first_visit", 0) if extras.first_visit else 0
    return LineCharge(
        benefit_yen=yen_for(line.minutes, table.benefit_per_hour.for_band(band)),
        # One rounding per rate: each 加算 is its own rate on the line.
        addon_yen=sum(
            yen_for(line.minutes, table.addon_per_hour.get(name, 0))
            for name in child.addons(line.use_date)
        )
        + per_visit,
        fee_yen=yen_for(line.minutes, table.parent_fee(category)),
        actual_cost_yen=extras.cost_yen,
        actual_costs=extras.costs,
        first_visit=extras.first_visit,
        fiscal_year=fiscal_year(line.use_date),
        age_band=band,
        fee_category=category,
    )

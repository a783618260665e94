"""The monthly close: priced lines become a claim (請求) per facility and paying municipality
and a statement per facility and guardian. Totals are sums of the lines, nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from tsuen_billing.domain.charges import LineCharge
from tsuen_billing.domain.money import month_of
from tsuen_billing.domain.usage import UsageLine

__all__ = ["ClaimTotal", "PricedLine", "StatementTotal", "summarise"]


@dataclass(frozen=True)
class PricedLine:
    line: UsageLine
    charge: LineCharge
    paying_municipality: str
    guardian_id: uuid.UUID
    billing_month: str

    @property
    def adjusts_month(self) -> str | None:
        """The closed month a late line belongs to (調整行), or None for the month's own line."""
        service = month_of(self.line.use_date)
        return service if service != self.billing_month else None


@dataclass(frozen=True)
class ClaimTotal:
    facility_id: uuid.UUID
    municipality: str
    month: str
    minutes: int
    line_count: int
    benefit_yen: int
    addon_yen: int

    @property
    def total_yen(self) -> int:
        return self.benefit_yen + self.addon_yen


@dataclass(frozen=True)
class StatementTotal:
    facility_id: uuid.UUID
    guardian_id: uuid.UUID
    municipality: str
    month: str
    minutes: int
    line_count: int
    fee_yen: int
    over_cap_yen: int
    actual_cost_yen: int = 0  # 実費: the facility's items, never on a claim

    @property
    def total_yen(self) -> int:
        return self.fee_yen + self.over_cap_yen + self.actual_cost_yen


def summarise(lines: Iterable[PricedLine]) -> tuple[list[ClaimTotal], list[StatementTotal]]:
    claims: dict[tuple[uuid.UUID, str, str], list[PricedLine]] = {}
    statements: dict[tuple[uuid.UUID, uuid.UUID, str], list[PricedLine]] = {}
    for priced in lines:
        facility = priced.line.facility_id
        claims.setdefault((facility, priced.paying_municipality, priced.billing_month), []).append(
            priced
        )
        statements.setdefault((facility, priced.guardian_id, priced.billing_month), []).append(
            priced
        )
    claim_totals = [
        ClaimTotal(
            facility_id=facility,
            municipality=municipality,
            month=month,
            minutes=sum(p.line.minutes for p in group),
            line_count=len(group),
            benefit_yen=sum(p.charge.benefit_yen for p in group),
            addon_yen=sum(p.charge.addon_yen for p in group),
        )
        for (facility, municipality, month), group in sorted(claims.items(), key=_order)
    ]
    statement_totals = [
        StatementTotal(
            facility_id=facility,
            guardian_id=guardian,
            municipality=group[0].paying_municipality,
            month=month,
            minutes=sum(p.line.minutes for p in group),
            line_count=len(group),
            fee_yen=sum(p.charge.fee_yen for p in group),
            over_cap_yen=sum(p.charge.over_cap_yen for p in group),
            actual_cost_yen=sum(p.charge.actual_cost_yen for p in group),
        )
        for (facility, guardian, month), group in sorted(statements.items(), key=_order)
    ]
    return claim_totals, statement_totals


def _order(item: tuple[tuple[uuid.UUID, object, str], list[PricedLine]]) -> tuple[str, ...]:
    return tuple(str(part) for part in item[0])

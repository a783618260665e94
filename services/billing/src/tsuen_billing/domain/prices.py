"""Prices as configuration: one table per fiscal year, per municipality where they differ.

A line is priced with the table of its **use date's** fiscal year and of the child's (paying)
municipality, falling back to the fiscal year's default table. Tables are YAML files shipped in
``tsuen_billing/prices/`` (adapters.price_files); the FY2026 figures are from DOMAIN.md (press and
municipal pages) and are marked ``to_confirm`` until checked against the ministry's notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tsuen_billing.domain.errors import PricesMissing
from tsuen_billing.domain.money import fiscal_year
from tsuen_common.age import reaches_age

__all__ = [
    "AgeBand",
    "BenefitRates",
    "FeeCategory",
    "PriceBook",
    "PriceTable",
    "age_band",
]


class AgeBand(StrEnum):
    AGE_0 = "age_0"  # 0歳児
    AGE_1_2 = "age_1_2"  # 1・2歳児


def age_band(birth: date, on: date) -> AgeBand:
    """The band on the use date. A child is 1 from the day it reaches 1 under 年齢計算ニ関スル法律
    (the day before the first birthday, tsuen_common.age.reaches_age): born 2026-06-15, the
    1–2 rate applies from 2027-06-14."""
    return AgeBand.AGE_0 if on < reaches_age(birth, 1) else AgeBand.AGE_1_2


class FeeCategory(StrEnum):
    """The household's 利用者負担 category; set by the municipality (officer API)."""

    STANDARD = "standard"
    WELFARE = "welfare"  # 生活保護世帯
    TAX_EXEMPT = "tax_exempt"  # 住民税非課税世帯


class BenefitRates(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    age_0: int = Field(ge=0)
    age_1_2: int = Field(ge=0)

    def for_band(self, band: AgeBand) -> int:
        return self.age_0 if band is AgeBand.AGE_0 else self.age_1_2


class PriceTable(BaseModel):
    """One fiscal year's prices for one municipality (``municipality`` None: the default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year: int = Field(ge=2024, le=2100)
    municipality: str | None = Field(default=None, pattern=r"^\d{6}$")
    to_confirm: bool = True
    # 給付費: yen per child-hour the municipality pays the facility, by age band on the use date.
    benefit_per_hour: BenefitRates
    # 加算 per child-hour: ``needs_support`` (配慮事項) and ``medical_care`` (医療的ケア) come
    # with the certification; ``family_support`` (要支援家庭) with an officer's marked span.
    addon_per_hour: dict[str, int] = Field(default_factory=dict)
    # 加算 per visit: ``first_visit`` (初回), on the child's first visit at the facility.
    addon_per_visit: dict[str, int] = Field(default_factory=dict)
    # 利用者負担: the standard fee per hour and the reduction per household category.
    parent_fee_per_hour: int = Field(ge=0)
    reduction_per_hour: dict[FeeCategory, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reductions_within_fee(self) -> PriceTable:
        for category, off in self.reduction_per_hour.items():
            if not 0 <= off <= self.parent_fee_per_hour:
                raise ValueError(f"reduction for {category} must be 0..parent_fee_per_hour")
        for name, rate in {**self.addon_per_hour, **self.addon_per_visit}.items():
            if rate < 0:
                raise ValueError(f"addon {name} is negative")
        return self

    def parent_fee(self, category: FeeCategory) -> int:
        """The guardian's yen per hour after the household's reduction."""
        return self.parent_fee_per_hour - self.reduction_per_hour.get(category, 0)


class PriceBook:
    """All loaded tables; ``for_use`` answers which one prices a use date."""

    def __init__(self, tables: Iterable[PriceTable]) -> None:
        self._tables: dict[tuple[int, str | None], PriceTable] = {}
        for table in tables:
            key = (table.fiscal_year, table.municipality)
            if key in self._tables:
                raise ValueError(f"two price tables for FY{key[0]} {key[1] or 'default'}")
            self._tables[key] = table

    def for_use(self, municipality: str, use_date: date) -> PriceTable:
        year = fiscal_year(use_date)
        table = self._tables.get((year, municipality)) or self._tables.get((year, None))
        if table is None:
            raise PricesMissing(f"no prices for FY{year} (use date {use_date.isoformat()})")
        return table

    @property
    def tables(self) -> list[PriceTable]:
        return list(self._tables.values())

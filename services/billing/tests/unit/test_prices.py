"""Price rules: age band, fiscal year, household category, and the one rounding rule."""

from __future__ import annotations

from datetime import date

import pytest

from services.billing.tests.unit.support import CHIYODA, KAKEGAWA, PRICES, child
from tsuen_billing.domain.errors import PricesMissing
from tsuen_billing.domain.money import fiscal_year, next_month, parse_month, yen_for
from tsuen_billing.domain.prices import (
    AgeBand,
    BenefitRates,
    FeeCategory,
    PriceBook,
    PriceTable,
    age_band,
)


def test_the_shipped_fy2026_table_has_domain_md_figures_marked_to_confirm() -> None:
    table = PRICES.for_use(KAKEGAWA, date(2026, 4, 1))
    assert table.to_confirm is True
    assert (table.benefit_per_hour.age_0, table.benefit_per_hour.age_1_2) == (1700, 1400)
    assert table.addon_per_hour["needs_support"] == 600
    assert table.addon_per_hour["medical_care"] == 2500
    assert table.parent_fee(FeeCategory.STANDARD) == 300
    assert table.parent_fee(FeeCategory.WELFARE) == 0
    assert table.parent_fee(FeeCategory.TAX_EXEMPT) == 60
    # No municipality file: both municipalities use the default.
    assert PRICES.for_use(CHIYODA, date(2027, 3, 31)) == table


def test_a_child_is_in_the_1_2_band_from_the_day_before_the_first_birthday() -> None:
    birth = date(2026, 6, 15)
    assert age_band(birth, date(2027, 6, 13)) is AgeBand.AGE_0
    assert age_band(birth, date(2027, 6, 14)) is AgeBand.AGE_1_2


def test_a_leap_day_child_turns_1_on_the_last_day_of_february() -> None:
    birth = date(2028, 2, 29)
    assert age_band(birth, date(2029, 2, 27)) is AgeBand.AGE_0
    assert age_band(birth, date(2029, 2, 28)) is AgeBand.AGE_1_2


def test_fiscal_years_start_in_april() -> None:
    assert fiscal_year(date(2027, 3, 31)) == 2026
    assert fiscal_year(date(2027, 4, 1)) == 2027


def test_a_use_date_in_a_fiscal_year_without_prices_is_refused_not_guessed() -> None:
    with pytest.raises(PricesMissing, match="FY2027"):
        PRICES.for_use(KAKEGAWA, date(2027, 4, 1))


def test_a_municipality_table_wins_over_the_default_of_its_year_only() -> None:
    default = PRICES.for_use(KAKEGAWA, date(2026, 5, 1))
    own = default.model_copy(update={"municipality": CHIYODA, "parent_fee_per_hour": 350})
    book = PriceBook([default, own])
    assert book.for_use(CHIYODA, date(2026, 5, 1)).parent_fee_per_hour == 350
    assert book.for_use(KAKEGAWA, date(2026, 5, 1)).parent_fee_per_hour == 300


def test_two_tables_for_one_year_and_municipality_are_refused() -> None:
    table = PRICES.for_use(KAKEGAWA, date(2026, 5, 1))
    with pytest.raises(ValueError, match="two price tables"):
        PriceBook([table, table])


def test_a_reduction_above_the_fee_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        PriceTable(
            fiscal_year=2026,
            benefit_per_hour=BenefitRates(age_0=1, age_1_2=1),
            parent_fee_per_hour=300,
            reduction_per_hour={FeeCategory.WELFARE: 301},
        )


def test_amounts_round_down_to_the_yen_once_per_line() -> None:
    assert yen_for(60, 1700) == 1700
    assert yen_for(90, 300) == 450
    assert yen_for(30, 1401) == 700  # 700.5 → 700
    assert yen_for(0, 1700) == 0
    with pytest.raises(ValueError, match="never negative"):
        yen_for(-30, 300)


def test_household_category_applies_from_its_effective_day() -> None:
    facts = child(fee_categories=((date(2026, 9, 16), FeeCategory.TAX_EXEMPT),))
    assert facts.fee_category_on(date(2026, 9, 15)) is FeeCategory.STANDARD
    assert facts.fee_category_on(date(2026, 9, 16)) is FeeCategory.TAX_EXEMPT


def test_months_parse_and_roll_over() -> None:
    assert parse_month("2027-06") == date(2027, 6, 1)
    assert next_month("2026-12") == "2027-01"
    for bad in ("2027-6", "2027-13", "June"):
        with pytest.raises(ValueError, match="month"):
            parse_month(bad)

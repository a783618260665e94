"""Issue 19's quality bar: every price rule and rounding edge, on single lines."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.billing.tests.unit.support import (
    KAKEGAWA,
    PRICES,
    cancelled,
    child,
    settled,
)
from tsuen_billing.domain.charges import LineCharge, price_line
from tsuen_billing.domain.errors import PricesMissing
from tsuen_billing.domain.prices import AgeBand, FeeCategory, PriceBook
from tsuen_billing.domain.usage import LineKind, UsageLine, lines_from_cancelled, lines_from_settled
from tsuen_common.events.booking import SettlementStatus

EVENT = uuid.UUID("00000000-0000-4000-8000-0000000000e1")


def one(lines: list[UsageLine]) -> UsageLine:
    assert len(lines) == 1
    return lines[0]


def test_an_hour_of_use_at_age_1_is_1400_claimed_and_300_paid() -> None:
    line = one(lines_from_settled(EVENT, settled(date(2026, 6, 2))))
    assert (line.kind, line.minutes) == (LineKind.USE, 60)
    charge = price_line(line, child(), PRICES)
    assert (charge.benefit_yen, charge.addon_yen, charge.fee_yen) == (1400, 0, 300)
    assert charge.age_band is AgeBand.AGE_1_2


def test_the_month_a_child_turns_1_is_priced_day_by_day() -> None:
    # Born 2025-09-20: reaches 1 on 2026-09-19 (the day before the birthday).
    facts = child(birth=date(2025, 9, 20))
    before = one(lines_from_settled(EVENT, settled(date(2026, 9, 18))))
    on_the_day = one(lines_from_settled(EVENT, settled(date(2026, 9, 19))))
    assert price_line(before, facts, PRICES).benefit_yen == 1700
    assert price_line(on_the_day, facts, PRICES).benefit_yen == 1400
    # The guardian's fee does not depend on age.
    assert price_line(before, facts, PRICES).fee_yen == 300


def test_a_use_date_in_a_new_fiscal_year_takes_that_years_prices() -> None:
    fy2026 = PRICES.for_use(KAKEGAWA, date(2026, 4, 1))
    fy2027 = fy2026.model_copy(update={"fiscal_year": 2027, "parent_fee_per_hour": 320})
    book = PriceBook([fy2026, fy2027])
    march = one(lines_from_settled(EVENT, settled(date(2027, 3, 31))))
    april = one(lines_from_settled(EVENT, settled(date(2027, 4, 1))))
    assert (
        price_line(march, child(), book).fee_yen,
        price_line(march, child(), book).fiscal_year,
    ) == (
        300,
        2026,
    )
    assert (
        price_line(april, child(), book).fee_yen,
        price_line(april, child(), book).fiscal_year,
    ) == (
        320,
        2027,
    )
    with pytest.raises(PricesMissing):
        price_line(april, child(), PRICES)  # FY2027 is not shipped: refused, not guessed


def test_a_reduction_category_changed_mid_month_applies_from_its_day() -> None:
    facts = child(fee_categories=((date(2026, 10, 16), FeeCategory.TAX_EXEMPT),))
    early = one(lines_from_settled(EVENT, settled(date(2026, 10, 15), booked=120)))
    late = one(lines_from_settled(EVENT, settled(date(2026, 10, 16), booked=120)))
    assert price_line(early, facts, PRICES).fee_yen == 600
    assert price_line(late, facts, PRICES).fee_yen == 120  # (300 − 240) × 2 h
    # The 給付 does not depend on the household.
    assert price_line(late, facts, PRICES).benefit_yen == 2800


def test_a_welfare_household_pays_nothing_for_scheme_hours() -> None:
    facts = child(fee_categories=((date(2026, 4, 1), FeeCategory.WELFARE),))
    line = one(lines_from_settled(EVENT, settled(date(2026, 10, 15))))
    assert price_line(line, facts, PRICES).fee_yen == 0


def test_a_late_pickup_that_crosses_the_cap_splits_into_scheme_and_facility_rates() -> None:
    # Booking consumed the hour; the +1 h penalty had 30 minutes left under the cap.
    event = settled(date(2026, 6, 30), booked=60, penalty=30, over_cap=30, fee=1500)
    lines = {line.kind: line for line in lines_from_settled(EVENT, event)}
    assert {k: v.minutes for k, v in lines.items()} == {
        LineKind.USE: 60,
        LineKind.LATE_PICKUP: 30,
        LineKind.OVER_CAP: 30,
    }
    pickup = price_line(lines[LineKind.LATE_PICKUP], child(), PRICES)
    assert (pickup.benefit_yen, pickup.fee_yen) == (700, 150)
    over = price_line(lines[LineKind.OVER_CAP], child(), PRICES)
    # Outside the scheme: no 給付, the facility's own rate as booking charged it.
    assert over == LineCharge(over_cap_yen=1500)


def test_a_no_show_is_charged_like_the_booked_hours() -> None:
    line = one(
        lines_from_settled(EVENT, settled(date(2026, 6, 3), status=SettlementStatus.NO_SHOW))
    )
    assert line.kind is LineKind.NO_SHOW
    assert (
        price_line(line, child(), PRICES).fee_yen,
        price_line(line, child(), PRICES).benefit_yen,
    ) == (
        300,
        1400,
    )


def test_a_cancellation_after_the_deadline_charges_the_booked_hours() -> None:
    line = one(lines_from_cancelled(EVENT, cancelled(date(2026, 6, 4), consumed=120)))
    assert (line.kind, line.minutes) == (LineKind.LATE_CANCEL, 120)
    charge = price_line(line, child(), PRICES)
    assert (charge.benefit_yen, charge.fee_yen) == (2800, 600)


def test_a_timely_cancellation_makes_no_line() -> None:
    assert lines_from_cancelled(EVENT, cancelled(date(2026, 6, 4), timely=True)) == []


def test_a_facility_closure_costs_the_guardian_nothing_even_after_the_deadline() -> None:
    for by in ("facility", "municipality", "system"):
        line = one(lines_from_cancelled(EVENT, cancelled(date(2026, 6, 5), by=by, consumed=60)))
        assert line.kind is LineKind.NOT_CHARGED_CANCEL
        assert line.minutes == 60  # still the ledger's minutes: the reconciliation sees them
        assert price_line(line, child(), PRICES) == LineCharge()


def test_a_late_phoned_cancellation_staff_entered_is_the_guardians_to_pay() -> None:
    event = cancelled(date(2026, 6, 5), by="facility", cause="guardian", consumed=60)
    line = one(lines_from_cancelled(EVENT, event))
    assert line.kind is LineKind.LATE_CANCEL
    assert price_line(line, child(), PRICES).fee_yen == 300


def test_the_cause_wins_over_who_entered_the_cancellation() -> None:
    event = cancelled(date(2026, 6, 5), by="guardian", cause="facility", consumed=60)
    assert one(lines_from_cancelled(EVENT, event)).kind is LineKind.NOT_CHARGED_CANCEL


def test_a_late_cancellation_then_a_late_pickup_adds_only_the_pickup() -> None:
    event = settled(date(2026, 6, 6), status=SettlementStatus.CANCELLED, booked=0, penalty=60)
    assert [(ln.kind, ln.minutes) for ln in lines_from_settled(EVENT, event)] == [
        (LineKind.LATE_PICKUP, 60)
    ]


def test_the_support_addon_is_claimed_per_hour_and_rounded_on_the_line() -> None:
    line = one(lines_from_settled(EVENT, settled(date(2026, 6, 2), booked=90)))
    charge = price_line(line, child(needs_support=True), PRICES)
    assert (charge.benefit_yen, charge.addon_yen, charge.claim_yen) == (2100, 900, 3000)


def test_the_medical_care_addon_comes_with_the_certifications_answer() -> None:
    # 医療的ケア児 加算 ¥2,500/h (FY2026 preset): 90 minutes → ¥3,750, besides the ¥2,100 給付.
    line = one(lines_from_settled(EVENT, settled(date(2026, 6, 2), booked=90)))
    charge = price_line(line, child(medical_care=True), PRICES)
    assert (charge.benefit_yen, charge.addon_yen, charge.claim_yen) == (2100, 3750, 5850)
    both = price_line(line, child(medical_care=True, needs_support=True), PRICES)
    assert both.addon_yen == 3750 + 900
    assert child(medical_care=True, needs_support=True).addons(date(2026, 6, 1)) == [
        "needs_support",
        "medical_care",
    ]

"""What a visit adds (domain.visits): the 初回 add-on, the facility's 実費, and the 要支援家庭
add-on over an officer's span; each edge of issue 19's remaining items."""

from __future__ import annotations

import uuid
from datetime import date

from services.billing.tests.unit.support import (
    CHILD,
    GUARDIAN,
    KAKEGAWA,
    PRICES,
    cancelled,
    child,
    settled,
)
from tsuen_billing.domain.charges import price_line
from tsuen_billing.domain.closing import PricedLine, summarise
from tsuen_billing.domain.usage import UsageLine, lines_from_cancelled, lines_from_settled
from tsuen_billing.domain.visits import (
    AlreadyBilled,
    CostItem,
    CostUnit,
    VisitExtras,
    items_on,
    visit_extras,
)
from tsuen_common.events.booking import SettlementStatus

OTHER_CHILD = uuid.UUID("00000000-0000-4000-8000-00000000c002")
LUNCH = CostItem("昼食", CostUnit.DAY, 300, date(2026, 4, 1))
SNACK = CostItem("おやつ", CostUnit.VISIT, 100, date(2026, 4, 1))


def used(day: date, child_id: uuid.UUID = CHILD, booking: int | None = None) -> UsageLine:
    (line,) = lines_from_settled(
        uuid.uuid4(),
        settled(
            day,
            child_id=child_id,
            booking_id=uuid.UUID(int=booking) if booking is not None else None,
        ),
    )
    return line


# -- 初回加算 ------------------------------------------------------------------------------------


def test_the_first_visit_at_the_facility_gets_the_per_visit_addon_on_the_claim() -> None:
    first, second = used(date(2026, 6, 1)), used(date(2026, 6, 2))
    extras = visit_extras([second, first], AlreadyBilled(), [])
    assert (extras[first.key].first_visit, extras[second.key].first_visit) == (True, False)
    charge = price_line(first, child(), PRICES, extras[first.key])
    # ¥1,400 給付 + ¥2,000 初回 (FY2026 placeholder, to confirm); the guardian pays ¥300 only.
    assert (charge.benefit_yen, charge.addon_yen, charge.fee_yen) == (1400, 2000, 300)
    assert charge.guardian_yen == 300


def test_the_first_visit_on_the_month_boundary_is_billed_once() -> None:
    # 5/31 in May's close; June's close knows the child's first visit was billed already.
    may = used(date(2026, 5, 31))
    june = used(date(2026, 6, 1))
    assert visit_extras([may], AlreadyBilled(), [])[may.key].first_visit
    after_may = AlreadyBilled(first_visits=frozenset({CHILD}))
    assert not visit_extras([june], after_may, [])[june.key].first_visit


def test_a_late_earlier_visit_after_the_addon_was_billed_leaves_the_closed_month_alone() -> None:
    # June's close billed 6/1 as the first visit; a 5/31 settlement arrives late and is billed as
    # July's adjustment line: June is closed, so the add-on stays where it was, and is not
    # claimed a second time.
    late = used(date(2026, 5, 31))
    extras = visit_extras([late], AlreadyBilled(first_visits=frozenset({CHILD})), [])
    assert extras[late.key].first_visit is False
    line = PricedLine(late, price_line(late, child(), PRICES, extras[late.key]), KAKEGAWA,
                      GUARDIAN, "2026-07")  # fmt: skip
    assert (line.adjusts_month, line.charge.addon_yen) == ("2026-05", 0)


def test_a_no_show_or_a_late_cancellation_is_not_a_visit() -> None:
    (no_show,) = lines_from_settled(
        uuid.uuid4(), settled(date(2026, 6, 1), status=SettlementStatus.NO_SHOW)
    )
    (late_cancel,) = lines_from_cancelled(uuid.uuid4(), cancelled(date(2026, 6, 2)))
    visit = used(date(2026, 6, 3))
    extras = visit_extras([no_show, late_cancel, visit], AlreadyBilled(), [LUNCH, SNACK])
    assert set(extras) == {visit.key}
    assert extras[visit.key].first_visit
    # Passing a visit's extras to a line that is no visit changes nothing.
    assert price_line(no_show, child(), PRICES, extras[visit.key]).addon_yen == 0


def test_each_child_has_its_own_first_visit() -> None:
    mine, theirs = used(date(2026, 6, 1)), used(date(2026, 6, 1), OTHER_CHILD)
    extras = visit_extras([mine, theirs], AlreadyBilled(), [])
    assert extras[mine.key].first_visit
    assert extras[theirs.key].first_visit


# -- 実費 ----------------------------------------------------------------------------------------


def test_a_cost_item_changed_mid_month_is_charged_at_each_days_price() -> None:
    dearer = CostItem("昼食", CostUnit.DAY, 350, date(2026, 6, 16))
    before, after = used(date(2026, 6, 15)), used(date(2026, 6, 16))
    extras = visit_extras([before, after], AlreadyBilled(), [dearer, LUNCH])
    assert extras[before.key].costs == (("昼食", 300),)
    assert extras[after.key].costs == (("昼食", 350),)


def test_a_stopped_item_is_not_charged_from_its_day() -> None:
    stopped = CostItem("昼食", CostUnit.DAY, 0, date(2026, 7, 1), active=False)
    assert [i.name for i in items_on([LUNCH, stopped], date(2026, 6, 30))] == ["昼食"]
    assert items_on([LUNCH, stopped], date(2026, 7, 1)) == []
    assert items_on([LUNCH], date(2026, 3, 31)) == []  # not yet in force


def test_a_per_day_item_is_charged_once_a_day_and_a_per_visit_item_every_visit() -> None:
    morning, afternoon = used(date(2026, 6, 1), booking=1), used(date(2026, 6, 1), booking=2)
    extras = visit_extras([afternoon, morning], AlreadyBilled(), [LUNCH, SNACK])
    assert extras[morning.key].costs == (("おやつ", 100), ("昼食", 300))
    assert extras[afternoon.key].costs == (("おやつ", 100),)
    # A day whose visit an earlier close billed has had its per-day items.
    billed = AlreadyBilled(days=frozenset({(CHILD, date(2026, 6, 1))}))
    assert visit_extras([afternoon], billed, [LUNCH, SNACK])[afternoon.key].cost_yen == 100


def test_actual_costs_are_on_the_statement_never_on_the_claim() -> None:
    visit = used(date(2026, 6, 1))
    extras = VisitExtras(first_visit=False, costs=(("昼食", 300), ("おやつ", 100)))
    charge = price_line(visit, child(), PRICES, extras)
    (claim,), (statement,) = summarise([PricedLine(visit, charge, KAKEGAWA, GUARDIAN, "2026-06")])
    assert claim.total_yen == 1400
    assert (statement.fee_yen, statement.actual_cost_yen, statement.total_yen) == (300, 400, 700)


# -- 要支援家庭 ----------------------------------------------------------------------------------


def test_a_family_support_span_starting_mid_month_adds_from_its_first_day_to_its_last() -> None:
    facts = child(family_support=((date(2026, 6, 16), date(2026, 7, 15)),))
    addon = {
        day: price_line(used(day), facts, PRICES).addon_yen
        for day in (date(2026, 6, 15), date(2026, 6, 16), date(2026, 7, 15), date(2026, 7, 16))
    }
    assert addon == {
        date(2026, 6, 15): 0,
        date(2026, 6, 16): 600,
        date(2026, 7, 15): 600,
        date(2026, 7, 16): 0,
    }
    assert facts.addons(date(2026, 6, 16)) == ["family_support"]

"""The monthly close: claims per paying municipality, statements per guardian, adjustments."""

from __future__ import annotations

import uuid
from datetime import date

from services.billing.tests.unit.support import (
    CHIYODA,
    FACILITY,
    GUARDIAN,
    KAKEGAWA,
    PRICES,
    child,
    settled,
)
from tsuen_billing.domain.charges import price_line
from tsuen_billing.domain.closing import PricedLine, summarise
from tsuen_billing.domain.usage import lines_from_settled

OTHER_GUARDIAN = uuid.uuid4()


def priced(
    day: date, municipality: str, guardian: uuid.UUID, month: str, **kw: int
) -> list[PricedLine]:
    facts = child(municipality=municipality, guardian_id=guardian)
    return [
        PricedLine(
            line=line,
            charge=price_line(line, facts, PRICES),
            paying_municipality=municipality,
            guardian_id=guardian,
            billing_month=month,
        )
        for line in lines_from_settled(uuid.uuid4(), settled(day, **kw))  # type: ignore[arg-type]
    ]


def test_a_wide_area_childs_hours_go_to_their_home_municipalitys_claim() -> None:
    lines = [
        *priced(date(2026, 6, 2), KAKEGAWA, GUARDIAN, "2026-06"),
        *priced(date(2026, 6, 3), KAKEGAWA, GUARDIAN, "2026-06", booked=120),
        *priced(date(2026, 6, 3), CHIYODA, OTHER_GUARDIAN, "2026-06"),  # 広域 child
    ]
    claims, statements = summarise(lines)
    by_municipality = {c.municipality: c for c in claims}
    assert set(by_municipality) == {KAKEGAWA, CHIYODA}
    assert (by_municipality[KAKEGAWA].minutes, by_municipality[KAKEGAWA].total_yen) == (180, 4200)
    assert (by_municipality[CHIYODA].minutes, by_municipality[CHIYODA].total_yen) == (60, 1400)
    assert all(c.facility_id == FACILITY for c in claims)
    by_guardian = {s.guardian_id: s for s in statements}
    assert by_guardian[GUARDIAN].total_yen == 900
    assert by_guardian[OTHER_GUARDIAN].total_yen == 300


def test_a_late_line_for_a_closed_month_is_an_adjustment_referring_back() -> None:
    (late,) = priced(date(2026, 6, 30), KAKEGAWA, GUARDIAN, "2026-07")
    (own,) = priced(date(2026, 7, 1), KAKEGAWA, GUARDIAN, "2026-07")
    assert late.adjusts_month == "2026-06"
    assert own.adjusts_month is None
    (claim,), _ = summarise([late, own])
    assert (claim.month, claim.minutes, claim.line_count) == ("2026-07", 120, 2)


def test_over_cap_fees_are_on_the_statement_not_on_the_claim() -> None:
    lines = priced(
        date(2026, 6, 30), KAKEGAWA, GUARDIAN, "2026-06", penalty=0, over_cap=60, fee=1500
    )
    (claim,), (statement,) = summarise(lines)
    assert claim.total_yen == 1400
    assert (statement.fee_yen, statement.over_cap_yen, statement.total_yen) == (300, 1500, 1800)

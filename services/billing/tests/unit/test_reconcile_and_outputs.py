"""Reconciliation names every difference; the certification for a use date; the CSV layout;
the printable statement."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime

from services.billing.tests.unit.support import CHILD, CHIYODA, GUARDIAN, KAKEGAWA
from tsuen_billing.domain.children import Certification, facts_on
from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.domain.reconcile import Difference, compare
from tsuen_billing.entrypoints.csv_export import COLUMNS, claim_csv
from tsuen_billing.entrypoints.statement_page import statement_html

B1, B2, B3 = (uuid.UUID(int=i) for i in (1, 2, 3))


def test_reconciliation_is_empty_when_every_booking_agrees() -> None:
    assert compare({B1: 60, B2: 120}, {B1: 60, B2: 120, B3: 0}) == []


def test_reconciliation_names_every_difference_both_ways() -> None:
    assert compare({B1: 60, B2: 180}, {B2: 120, B3: 60}) == [
        Difference(B1, 60, 0),  # billed, unknown to the ledger
        Difference(B2, 180, 120),
        Difference(B3, 0, 60),  # consumed, never billed
    ]
    assert "billed 180 min, booking's ledger 120 min" in Difference(B2, 180, 120).describe()


def _certification(municipality: str, start: date, end: date, birth: date | None) -> Certification:
    return Certification(CHILD, GUARDIAN, municipality, birth, False, start, end)


def test_the_certification_covering_the_use_date_decides_who_pays() -> None:
    before_move = _certification(KAKEGAWA, date(2026, 4, 1), date(2026, 9, 30), date(2025, 1, 1))
    after_move = _certification(CHIYODA, date(2026, 10, 1), date(2027, 3, 31), date(2025, 1, 1))
    certs = [after_move, before_move]
    categories = [(date(2026, 9, 1), FeeCategory.WELFARE)]
    september = facts_on(certs, categories, date(2026, 9, 30))
    october = facts_on(certs, categories, date(2026, 10, 1))
    assert september is not None
    assert september.municipality == KAKEGAWA
    assert october is not None
    assert october.municipality == CHIYODA
    assert october.fee_category_on(date(2026, 10, 1)) is FeeCategory.WELFARE


def test_after_a_move_mid_month_the_new_home_pays_from_its_first_day() -> None:
    # 転入 (issue 17.3): billing keeps no revocations, so the old certification still reads
    # valid to the child's third birthday; the one that started later decides from its start.
    chiyoda = _certification(CHIYODA, date(2026, 12, 6), date(2028, 10, 30), date(2025, 11, 1))
    kakegawa = _certification(KAKEGAWA, date(2027, 3, 15), date(2028, 10, 30), date(2025, 11, 1))
    for certs in ([chiyoda, kakegawa], [kakegawa, chiyoda]):
        last_day = facts_on(certs, [], date(2027, 3, 14))
        first_day = facts_on(certs, [], date(2027, 3, 15))
        assert last_day is not None
        assert last_day.municipality == CHIYODA
        assert first_day is not None
        assert first_day.municipality == KAKEGAWA


def test_a_child_without_a_known_birth_date_waits() -> None:
    old = _certification(KAKEGAWA, date(2026, 4, 1), date(2027, 3, 31), None)
    assert facts_on([old], [], date(2026, 6, 1)) is None
    assert facts_on([], [], date(2026, 6, 1)) is None


def _line(**kw: object) -> dict[str, object]:
    line: dict[str, object] = {
        "billing_month": "2026-07",
        "facility_id": uuid.UUID(int=7),
        "facility_name": "かけがわ保育園",
        "paying_municipality": KAKEGAWA,
        "service_month": "2026-07",
        "use_date": date(2026, 7, 1),
        "child_id": CHILD,
        "booking_id": B1,
        "kind": "use",
        "minutes": 60,
        "age_band": "age_1_2",
        "fiscal_year": 2026,
        "benefit_yen": 1400,
        "addon_yen": 600,
        "fee_yen": 300,
        "over_cap_yen": 0,
        "source_event_id": B3,
    }
    line.update(kw)
    return line


def test_the_claim_csv_has_the_documented_columns_bom_and_crlf() -> None:
    text = claim_csv(
        [
            _line(),
            _line(
                service_month="2026-06",
                use_date=date(2026, 6, 30),
                kind="over_cap",
                age_band=None,
                fiscal_year=None,
                benefit_yen=0,
                addon_yen=0,
            ),
        ]
    )
    assert text.startswith("\ufeff")
    assert "\r\n" in text
    header, own, adjustment = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(header) == COLUMNS
    row = dict(zip(COLUMNS, own, strict=True))
    assert (row["adjustment"], row["claim_yen"], row["use_date"]) == ("0", "2000", "2026-07-01")
    late = dict(zip(COLUMNS, adjustment, strict=True))
    assert (late["adjustment"], late["age_band"], late["claim_yen"]) == ("1", "", "0")


def test_the_printable_statement_escapes_names_and_shows_adjustments() -> None:
    page = statement_html(
        {
            "month": "2026-07",
            "facility_name": "<b>えん</b>",
            "fee_yen": 1200,
            "over_cap_yen": 1500,
            "total_yen": 2700,
            "closed_at": datetime(2026, 8, 1),
            "lines": [_line(), _line(service_month="2026-06", use_date=date(2026, 6, 30))],
        }
    )
    assert "&lt;b&gt;えん&lt;/b&gt;" in page
    assert "2026-06分の調整" in page
    assert "2,700円" in page

"""The money pages' rules: which months a close may have billed, grouping by billing month,
and yen written in Japanese and English from billing's integers."""

from datetime import date

from tsuen_portal.domain.money import by_month, chosen_month, closable_months, month_label, yen


def test_yen_in_japanese_is_grouped_digits_and_en():
    assert yen(1200, "ja") == "1,200円"
    assert yen(1234567, "ja") == "1,234,567円"


def test_yen_in_english_is_the_currency_sign_without_decimals():
    assert yen(1200, "en") == "¥1,200"
    assert yen(0, "en") == "¥0"


def test_an_amount_billing_left_empty_is_nothing_owed():
    assert yen(None, "ja") == "0円"


def test_closable_months_start_with_the_month_before_today():
    assert closable_months(date(2027, 3, 5), count=3) == ["2027-02", "2027-01", "2026-12"]


def test_closable_months_in_january_start_in_the_previous_december():
    assert closable_months(date(2027, 1, 1), count=2) == ["2026-12", "2026-11"]


def test_the_month_asked_for_is_shown_only_when_offered():
    months = ["2027-02", "2027-01"]
    assert chosen_month("2027-01", months) == "2027-01"
    assert chosen_month("2027-03", months) == "2027-02"  # not closable yet: the newest
    assert chosen_month("", months) == "2027-02"
    assert chosen_month("junk", months) == "2027-02"


def test_statements_are_grouped_by_billing_month_newest_first_keeping_billings_order():
    items = [("2026-12", "a"), ("2027-01", "b"), ("2026-12", "c")]
    assert by_month(items, lambda i: i[0]) == [
        ("2027-01", [("2027-01", "b")]),
        ("2026-12", [("2026-12", "a"), ("2026-12", "c")]),
    ]


def test_no_statements_make_no_months():
    assert by_month([], lambda i: i) == []


def test_a_billing_month_as_people_write_it():
    assert month_label("2026-12", "ja") == "2026年12月"
    assert month_label("2026-12", "en") == "December 2026"
    assert month_label("junk", "ja") == "junk"

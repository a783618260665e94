"""The monthly cron closes the month that just ended."""

from __future__ import annotations

from datetime import date

from tsuen_billing.entrypoints.cli import last_month


def test_the_cron_on_the_first_closes_last_month() -> None:
    assert last_month(date(2027, 1, 1)) == "2026-12"
    assert last_month(date(2027, 3, 31)) == "2027-02"

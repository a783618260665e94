"""The quota ledger: holds, releases, consumption, penalties and over-cap, without a database."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tsuen_booking.domain.ledger import (
    Balance,
    Entry,
    EntryKind,
    LedgerInvariantBroken,
    MonthAccount,
    QuotaExceeded,
    month_of,
)

B1 = uuid.UUID(int=1)
B2 = uuid.UUID(int=2)


def account(cap: int = 600, topup: int = 0) -> MonthAccount:
    return MonthAccount(cap_minutes=cap, topup_minutes=topup)


def test_a_hold_takes_from_the_national_cap() -> None:
    a = account()
    entries = a.plan_hold(120, at_home=True, booking_id=B1)
    assert entries == [Entry(EntryKind.HOLD, Balance.NATIONAL, 120, B1)]
    after = a.apply_all(entries)
    assert (after.total_held, after.total_remaining) == (120, 480)


def test_a_hold_beyond_the_remaining_hours_is_refused_with_what_remains() -> None:
    a = account().apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 480, B1))
    with pytest.raises(QuotaExceeded, match=r"^quota exceeded: 120 minutes remain$") as refused:
        a.plan_hold(180, at_home=True, booking_id=B2)
    assert "（残り2時間）" in refused.value.message_ja  # hours, as the home page counts them
    assert a.plan_hold(120, at_home=True, booking_id=B2)  # the last two hours still fit


def test_top_up_hours_count_only_at_home_facilities() -> None:
    a = account(cap=600, topup=2280).apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 540, B1))
    assert a.available(at_home=True) == 60 + 2280
    assert a.available(at_home=False) == 60
    entries = a.plan_hold(120, at_home=True, booking_id=B2)
    assert entries == [
        Entry(EntryKind.HOLD, Balance.NATIONAL, 60, B2),
        Entry(EntryKind.HOLD, Balance.TOPUP, 60, B2),
    ]
    with pytest.raises(QuotaExceeded, match="60 minutes remain"):
        a.plan_hold(120, at_home=False, booking_id=B2)


def test_release_gives_the_hold_back() -> None:
    a = account().apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 120, B1))
    after = a.apply_all(MonthAccount.plan_release({Balance.NATIONAL: 120, Balance.TOPUP: 0}, B1))
    assert (after.total_held, after.total_consumed, after.total_remaining) == (0, 0, 600)


def test_consume_turns_the_hold_into_use_and_remaining_is_unchanged() -> None:
    a = account().apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 120, B1))
    after = a.apply_all(MonthAccount.plan_consume({Balance.NATIONAL: 120, Balance.TOPUP: 0}, B1))
    assert (after.total_held, after.total_consumed, after.total_remaining) == (0, 120, 480)


def test_a_late_pickup_within_the_month_is_a_penalty() -> None:
    a = account().apply(Entry(EntryKind.PENALTY, Balance.NATIONAL, 60, B1))
    assert (a.total_consumed, a.over_cap_minutes) == (60, 0)


def test_a_late_pickup_past_the_cap_becomes_an_over_cap_charge() -> None:
    a = account().apply_all(
        [
            Entry(EntryKind.HOLD, Balance.NATIONAL, 570, B1),
            Entry(EntryKind.CONSUME, Balance.NATIONAL, 570, B1),
        ]
    )
    entries = a.plan_penalty(60, at_home=True, booking_id=B1)
    assert entries == [
        Entry(EntryKind.PENALTY, Balance.NATIONAL, 30, B1),
        Entry(EntryKind.OVER_CAP, Balance.NATIONAL, 30, B1),
    ]
    after = a.apply_all(entries)
    assert (after.total_consumed, after.total_remaining, after.over_cap_minutes) == (600, 0, 30)


def test_the_ledger_can_never_go_negative_or_past_the_credit() -> None:
    with pytest.raises(LedgerInvariantBroken):
        account().apply(Entry(EntryKind.RELEASE, Balance.NATIONAL, 60, B1))
    with pytest.raises(LedgerInvariantBroken):
        account(cap=60).apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 120, B1))
    with pytest.raises(LedgerInvariantBroken):
        account().apply(Entry(EntryKind.HOLD, Balance.TOPUP, 60, B1))  # no top-up to hold from


def test_idempotency_keys_are_one_per_kind_booking_and_balance() -> None:
    hold = Entry(EntryKind.HOLD, Balance.NATIONAL, 60, B1)
    assert hold.key == f"hold:{B1}:national"
    assert hold.key == Entry(EntryKind.HOLD, Balance.NATIONAL, 120, B1).key
    assert hold.key != Entry(EntryKind.HOLD, Balance.TOPUP, 60, B1).key
    assert hold.key != Entry(EntryKind.CONSUME, Balance.NATIONAL, 60, B1).key


def test_entries_move_a_positive_number_of_minutes() -> None:
    with pytest.raises(ValueError, match="positive"):
        Entry(EntryKind.HOLD, Balance.NATIONAL, 0, B1)


@pytest.mark.parametrize(
    ("day", "month"),
    [(date(2026, 5, 1), "2026-05"), (date(2026, 5, 31), "2026-05"), (date(2027, 1, 1), "2027-01")],
)
def test_the_ledger_month_is_the_calendar_month_of_the_use_date(day: date, month: str) -> None:
    assert month_of(day) == month


# -- a move to another municipality (転入, issue 17.3) -------------------------------------------


def test_a_move_carries_the_hours_used_into_the_new_homes_cap() -> None:
    before = account(cap=600).apply_all(
        [
            Entry(EntryKind.HOLD, Balance.NATIONAL, 240, B1),
            Entry(EntryKind.CONSUME, Balance.NATIONAL, 240, B1),
            Entry(EntryKind.HOLD, Balance.NATIONAL, 60, B2),
        ]
    )
    after = before.moved_home(cap_minutes=600, topup_minutes=0)
    assert after.available(at_home=True) == 300  # 10 h − 4 h used − 1 h still booked
    assert (after.total_held, after.total_consumed) == (60, 240)  # nothing is lost


def test_a_smaller_cap_at_the_new_home_leaves_nothing_rather_than_breaking_the_month() -> None:
    before = account(cap=600).apply(Entry(EntryKind.HOLD, Balance.NATIONAL, 300, B1))
    after = before.moved_home(cap_minutes=180, topup_minutes=0)  # 3 h (the transition cap)
    assert after.cap_minutes == 300
    assert after.available(at_home=True) == 0
    after.check()
    # The booking made before the move can still be used, or released — and a release gives
    # back no more than the new home's cap allows.
    used = after.apply_all(MonthAccount.plan_consume({Balance.NATIONAL: 300}, B1))
    assert (used.total_consumed, used.available(at_home=True)) == (300, 0)
    released = after.apply_all(MonthAccount.plan_release({Balance.NATIONAL: 300}, B1))
    assert released.available(at_home=True) == 300  # the raised cap, not the new home's 180


def test_the_old_homes_top_up_stays_with_what_it_paid_for_and_the_new_one_comes_in_full() -> None:
    before = account(cap=600, topup=2280).apply_all(
        [
            Entry(EntryKind.HOLD, Balance.NATIONAL, 600, B1),
            Entry(EntryKind.HOLD, Balance.TOPUP, 120, B1),
        ]
    )
    to_no_topup = before.moved_home(cap_minutes=600, topup_minutes=0)
    assert to_no_topup.available(at_home=True) == 0
    assert to_no_topup.held[Balance.TOPUP] == 120  # the old home's booking keeps its hours
    to_topup = before.moved_home(cap_minutes=600, topup_minutes=600)
    assert to_topup.available(at_home=True) == 600
    assert to_topup.available(at_home=False) == 0

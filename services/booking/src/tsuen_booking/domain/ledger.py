"""The quota ledger (利用可能枠): per child, per calendar month, per balance.

Two balances per month: the national cap (``quota.monthly_cap_minutes``, 10 hours) and the
municipality's own top-up (``quota.topup_minutes``), which is usable **only at facilities in that
municipality** and so is never merged into the cap. Nothing carries over: each month is an account
of its own.

The ledger is a list of immutable entries; the counters of a :class:`MonthAccount` are nothing but
those entries added up (:meth:`MonthAccount.apply`). What each kind does:

============  =================================================  ================================
kind          when                                               effect on the balance
============  =================================================  ================================
hold          a booking is confirmed                             held + m
release       a timely cancellation (or the system cancels)      held − m
consume       use, late cancellation, no-show                    held − m, consumed + m
penalty       late pickup (延長), inside what the month has left  consumed + m
over_cap      the part of a late pickup beyond the month         over_cap + m (charged by the
                                                                 facility, never a balance)
============  =================================================  ================================

So ``remaining = credits − held − consumed`` never goes below zero: a booking can never exceed
what remains, and only a late pickup can pass the cap, which is then an over-cap charge.

Every entry carries an idempotency key (kind, booking, balance): settling the same booking twice
(a redelivered event, a retried request) finds the key taken and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from tsuen_booking.domain.errors import Conflict
from tsuen_common.text import minutes_ja

__all__ = [
    "Balance",
    "Entry",
    "EntryKind",
    "LedgerInvariantBroken",
    "MonthAccount",
    "QuotaExceeded",
    "month_of",
]


class Balance(StrEnum):
    NATIONAL = "national"
    TOPUP = "topup"


class EntryKind(StrEnum):
    HOLD = "hold"
    RELEASE = "release"
    CONSUME = "consume"
    PENALTY = "penalty"
    OVER_CAP = "over_cap"


class QuotaExceeded(Conflict):
    def __init__(self, remaining: int) -> None:
        super().__init__(
            f"quota exceeded: {remaining} minutes remain",
            message_ja=f"今月の利用可能時間を超えています（残り{minutes_ja(remaining)}）。"
            "時間を短くするか、別の月でご予約ください。",
            code="quota_exceeded",
        )
        self.remaining = remaining


class LedgerInvariantBroken(ValueError):
    """An entry would leave a negative or over-full balance: a bug, never a caller's mistake."""


def month_of(day: date) -> str:
    """The ledger month of a use date, ``YYYY-MM`` (the JST calendar month: 1日〜末日)."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: EntryKind
    balance: Balance
    minutes: int
    booking_id: uuid.UUID

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError(f"a ledger entry moves a positive number of minutes: {self.minutes}")

    @property
    def key(self) -> str:
        """Idempotency key: one entry of a kind per booking and balance, ever."""
        return f"{self.kind}:{self.booking_id}:{self.balance}"


def _zero() -> dict[Balance, int]:
    return dict.fromkeys(Balance, 0)


@dataclass(frozen=True, slots=True)
class MonthAccount:
    """One child's month: the credits and the sums of the entries so far."""

    cap_minutes: int
    topup_minutes: int
    held: dict[Balance, int] = field(default_factory=_zero)
    consumed: dict[Balance, int] = field(default_factory=_zero)
    over_cap_minutes: int = 0

    def credit(self, balance: Balance) -> int:
        return self.cap_minutes if balance is Balance.NATIONAL else self.topup_minutes

    def remaining(self, balance: Balance) -> int:
        return self.credit(balance) - self.held[balance] - self.consumed[balance]

    def usable_balances(self, *, at_home: bool) -> tuple[Balance, ...]:
        # National hours first: they are usable anywhere; the top-up is the extra at home.
        return (Balance.NATIONAL, Balance.TOPUP) if at_home else (Balance.NATIONAL,)

    def available(self, *, at_home: bool) -> int:
        return sum(self.remaining(b) for b in self.usable_balances(at_home=at_home))

    @property
    def total_held(self) -> int:
        return sum(self.held.values())

    @property
    def total_consumed(self) -> int:
        return sum(self.consumed.values())

    @property
    def total_remaining(self) -> int:
        return sum(self.remaining(b) for b in Balance)

    # -- planning: which entries a business event makes ------------------------------------------

    def plan_hold(self, minutes: int, *, at_home: bool, booking_id: uuid.UUID) -> list[Entry]:
        """Hold ``minutes`` for a booking, or raise :class:`QuotaExceeded` if they do not fit."""
        available = self.available(at_home=at_home)
        if minutes > available:
            raise QuotaExceeded(available)
        entries = []
        left = minutes
        for balance in self.usable_balances(at_home=at_home):
            take = min(left, self.remaining(balance))
            if take > 0:
                entries.append(Entry(EntryKind.HOLD, balance, take, booking_id))
                left -= take
        return entries

    @staticmethod
    def plan_release(held: dict[Balance, int], booking_id: uuid.UUID) -> list[Entry]:
        """Give a booking's hold back (timely cancellation, revocation)."""
        return [Entry(EntryKind.RELEASE, b, m, booking_id) for b, m in held.items() if m > 0]

    @staticmethod
    def plan_consume(held: dict[Balance, int], booking_id: uuid.UUID) -> list[Entry]:
        """Turn a booking's hold into consumption: the booked time counts in full, whether the
        child came late, left early, did not come, or the cancellation was late."""
        return [Entry(EntryKind.CONSUME, b, m, booking_id) for b, m in held.items() if m > 0]

    def plan_penalty(self, minutes: int, *, at_home: bool, booking_id: uuid.UUID) -> list[Entry]:
        """A late pickup: what the month still has is consumed, the rest is over the cap."""
        entries = []
        left = minutes
        for balance in self.usable_balances(at_home=at_home):
            take = min(left, self.remaining(balance))
            if take > 0:
                entries.append(Entry(EntryKind.PENALTY, balance, take, booking_id))
                left -= take
        if left > 0:
            entries.append(Entry(EntryKind.OVER_CAP, Balance.NATIONAL, left, booking_id))
        return entries

    # -- a move (転入, issue 17.3) -----------------------------------------------------------------

    def moved_home(self, *, cap_minutes: int, topup_minutes: int) -> MonthAccount:
        """The month once the child's home is another municipality, with that one's credits.

        The national hours are one quota wherever the child lives: the new home's cap, with
        what was held or used before the move counted against it (never below that, so the
        month stays whole). The old home's top-up was usable only at its own facilities: what
        it already held or used stays on the month, and none of it is left to use; the new
        home's top-up comes in full on top of it.
        """
        used_national = self.held[Balance.NATIONAL] + self.consumed[Balance.NATIONAL]
        used_topup = self.held[Balance.TOPUP] + self.consumed[Balance.TOPUP]
        return replace(
            self,
            cap_minutes=max(cap_minutes, used_national),
            topup_minutes=topup_minutes + used_topup,
        )

    # -- applying: the counters are the entries added up -----------------------------------------

    def apply(self, entry: Entry) -> MonthAccount:
        held, consumed = dict(self.held), dict(self.consumed)
        over_cap = self.over_cap_minutes
        b, m = entry.balance, entry.minutes
        match entry.kind:
            case EntryKind.HOLD:
                held[b] += m
            case EntryKind.RELEASE:
                held[b] -= m
            case EntryKind.CONSUME:
                held[b] -= m
                consumed[b] += m
            case EntryKind.PENALTY:
                consumed[b] += m
            case EntryKind.OVER_CAP:
                over_cap += m
        after = replace(self, held=held, consumed=consumed, over_cap_minutes=over_cap)
        after.check()
        return after

    def apply_all(self, entries: list[Entry]) -> MonthAccount:
        account = self
        for entry in entries:
            account = account.apply(entry)
        return account

    def check(self) -> None:
        """Raise :class:`LedgerInvariantBroken` unless 0 ≤ held, 0 ≤ consumed, remaining ≥ 0."""
        for b in Balance:
            if self.held[b] < 0 or self.consumed[b] < 0 or self.remaining(b) < 0:
                raise LedgerInvariantBroken(
                    f"{b} balance: credit {self.credit(b)}, held {self.held[b]}, "
                    f"consumed {self.consumed[b]}"
                )

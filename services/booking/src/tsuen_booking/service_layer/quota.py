"""The month's balance as the guardian sees it, and the reconciliation that proves the ledger."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tsuen_booking.adapters import ledger_scan
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.errors import CHILD_NOT_FOUND_JA, InvalidRequest, NotFound
from tsuen_booking.domain.ledger import (
    Balance,
    Entry,
    EntryKind,
    LedgerInvariantBroken,
    MonthAccount,
    month_of,
)
from tsuen_booking.service_layer.access import can_see_child
from tsuen_booking.service_layer.commands import check_year
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Principal

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> str:
    if not _MONTH.match(text):
        raise InvalidRequest(
            f"month must be YYYY-MM, e.g. 2026-05; got {text!r}",
            message_ja="月は「2026-05」のように、年と月でご指定ください。",
        )
    try:
        check_year(int(text[:4]), "month")
    except ValueError as exc:
        raise InvalidRequest(
            str(exc), message_ja="月は「2026-05」のように、年と月でご指定ください。"
        ) from exc
    return text


async def month_balance(
    ctx: Context, principal: Principal, child_id: uuid.UUID, month: str | None
) -> dict[str, int]:
    month = parse_month(month) if month else month_of(ctx.clock().date())
    async with ctx.sessions() as session:
        child = await repo.get_child(session, child_id)
        if child is None or not can_see_child(principal, child):
            raise NotFound(f"child {child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        account = await repo.get_month(session, child_id, month)
    if account is None:
        home = ctx.policy(child.municipality).quota
        account = MonthAccount(
            cap_minutes=home.monthly_cap_minutes, topup_minutes=home.topup_minutes
        )
    return {
        "cap_minutes": account.cap_minutes,
        "topup_minutes": account.topup_minutes,
        "held_minutes": account.total_held,
        "consumed_minutes": account.total_consumed,
        "remaining_minutes": account.total_remaining,
        "over_cap_minutes": account.over_cap_minutes,
    }


@dataclass(frozen=True)
class Difference:
    child_id: uuid.UUID
    month: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"child_id": str(self.child_id), "month": self.month, "problem": self.problem}


RECONCILE_BATCH = 2000
"""Month accounts replayed per round trip: memory stays bounded whatever the ledger's size."""


async def reconcile(ctx: Context, *, batch: int = RECONCILE_BATCH) -> tuple[int, list[Difference]]:
    """Replay every month's entries from its credits and compare with the stored counters.

    Proves, for every child and month: remaining = credits − holds − consumption ≥ 0, and that
    the counters the booking path reads are exactly the immutable entries added up. Returns the
    number of months checked and every difference found (none, in a healthy system).

    Months are read in key order, ``batch`` at a time, each batch with its entries only; entries
    of a month that has no account are found by one anti-join.
    """
    differences: list[Difference] = []
    checked = 0
    async with ctx.transaction() as session:
        await ledger_scan.read_one_snapshot(session)
        after: tuple[uuid.UUID, str] | None = None
        while True:
            months = await ledger_scan.months_after(session, after, batch=batch)
            if not months:
                break
            first = (months[0]["child_id"], months[0]["month"])
            after = (months[-1]["child_id"], months[-1]["month"])
            entries_by_month: dict[tuple[uuid.UUID, str], list[Entry]] = defaultdict(list)
            for e in await ledger_scan.entries_between(session, first, after):
                entries_by_month[(e["child_id"], e["month"])].append(
                    Entry(
                        EntryKind(e["kind"]), Balance(e["balance"]), e["minutes"], e["booking_id"]
                    )
                )
            checked += len(months)
            for m in months:
                found = _difference(m, entries_by_month.get((m["child_id"], m["month"]), []))
                if found is not None:
                    differences.append(found)
        orphan_differences = [
            Difference(child_id, month, "entries without a month account")
            for child_id, month in await ledger_scan.months_of_orphan_entries(session)
        ]
    return checked, differences + orphan_differences


def _difference(month: Mapping[Any, Any], entries: list[Entry]) -> Difference | None:
    stored = repo.account_from_row(month)
    replayed = MonthAccount(cap_minutes=stored.cap_minutes, topup_minutes=stored.topup_minutes)
    try:
        replayed = replayed.apply_all(entries)
    except LedgerInvariantBroken as exc:
        return Difference(month["child_id"], month["month"], f"entries break: {exc}")
    if replayed == stored:
        return None
    return Difference(
        month["child_id"],
        month["month"],
        f"stored held {dict(stored.held)} consumed {dict(stored.consumed)} "
        f"over_cap {stored.over_cap_minutes}; entries give held "
        f"{dict(replayed.held)} consumed {dict(replayed.consumed)} "
        f"over_cap {replayed.over_cap_minutes}",
    )

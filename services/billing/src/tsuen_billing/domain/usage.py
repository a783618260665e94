"""利用実績: the usage lines booking's settlements and cancellations make.

A line is a fact about minutes booking's ledger consumed, one per booking and kind, so a
replayed or duplicated event finds its line already there (``UsageBook.record`` keeps the first)
and the order in which a booking's events arrive changes nothing. Lines carry no yen: pricing
happens when the month closes (domain.charges), with the rates in force on the use date.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tsuen_common.events.booking import BookingCancelled, BookingSettled, SettlementStatus

__all__ = ["LineKind", "UsageBook", "UsageLine", "lines_from_cancelled", "lines_from_settled"]


class LineKind(StrEnum):
    USE = "use"  # 利用: checked out, the booked time
    NO_SHOW = "no_show"  # 無断欠席: the booked time is consumed
    LATE_CANCEL = "late_cancel"  # 期限後キャンセル by the guardian: the booked time is consumed
    LATE_PICKUP = "late_pickup"  # お迎え遅れ: +1 h (the part the monthly cap absorbs)
    OVER_CAP = "over_cap"  # 上限超過: charged at the facility's own rate, no 給付
    # Cancelled by the facility or the municipality (a closure, a revoked certification): the
    # ledger may have consumed the time, but nobody is charged for it.
    NOT_CHARGED_CANCEL = "not_charged_cancel"


CHARGED_AT_SCHEME_RATES = frozenset(
    {LineKind.USE, LineKind.NO_SHOW, LineKind.LATE_CANCEL, LineKind.LATE_PICKUP}
)


@dataclass(frozen=True, slots=True)
class UsageLine:
    booking_id: uuid.UUID
    kind: LineKind
    child_id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    use_date: date
    minutes: int
    source_event_id: uuid.UUID
    source_event_type: str
    guardian_id: uuid.UUID | None = None
    # The facility's fee for the over-cap minutes, as booking computed it (OVER_CAP only).
    over_cap_fee_yen: int = 0

    @property
    def key(self) -> tuple[uuid.UUID, LineKind]:
        return (self.booking_id, self.kind)


def lines_from_settled(event_id: uuid.UUID, event: BookingSettled) -> list[UsageLine]:
    def line(kind: LineKind, minutes: int, fee: int = 0) -> UsageLine:
        return UsageLine(
            booking_id=event.booking_id,
            kind=kind,
            child_id=event.child_id,
            facility_id=event.facility_id,
            facility_name=event.facility_name,
            use_date=event.use_date,
            minutes=minutes,
            source_event_id=event_id,
            source_event_type=event.event_type,
            guardian_id=event.guardian_id,
            over_cap_fee_yen=fee,
        )

    lines = []
    if event.booked_minutes_consumed > 0 and event.status is not SettlementStatus.CANCELLED:
        kind = LineKind.NO_SHOW if event.status is SettlementStatus.NO_SHOW else LineKind.USE
        lines.append(line(kind, event.booked_minutes_consumed))
    if event.penalty_minutes > 0:
        lines.append(line(LineKind.LATE_PICKUP, event.penalty_minutes))
    if event.over_cap_minutes > 0:
        lines.append(line(LineKind.OVER_CAP, event.over_cap_minutes, event.over_cap_fee_yen))
    return lines


def lines_from_cancelled(event_id: uuid.UUID, event: BookingCancelled) -> list[UsageLine]:
    """A timely cancellation consumed nothing: no line. A late one is the guardian's to pay
    only when the guardian caused it (``cause``; before booking sent it, who cancelled), a
    phoned cancellation staff entered included; the facility's or the municipality's own
    cancellations cost the guardian nothing (a closure)."""
    if event.timely or event.consumed_minutes == 0:
        return []
    caused_by_guardian = (event.cause or event.cancelled_by) == "guardian"
    kind = LineKind.LATE_CANCEL if caused_by_guardian else LineKind.NOT_CHARGED_CANCEL
    return [
        UsageLine(
            booking_id=event.booking_id,
            kind=kind,
            child_id=event.child_id,
            facility_id=event.facility_id,
            facility_name=event.facility_name,
            use_date=event.use_date,
            minutes=event.consumed_minutes,
            source_event_id=event_id,
            source_event_type=event.event_type,
        )
    ]


class UsageBook:
    """The lines seen so far, one per (booking, kind): the in-memory twin of the usage table."""

    def __init__(self) -> None:
        self._lines: dict[tuple[uuid.UUID, LineKind], UsageLine] = {}

    def record(self, lines: Iterable[UsageLine]) -> int:
        """Add lines not seen before; returns how many were new."""
        added = 0
        for line in lines:
            if line.key not in self._lines:
                self._lines[line.key] = line
                added += 1
        return added

    def __iter__(self) -> Iterator[UsageLine]:
        return iter(sorted(self._lines.values(), key=lambda ln: (ln.use_date, str(ln.key))))

    def minutes_by_booking(self) -> dict[uuid.UUID, int]:
        totals: dict[uuid.UUID, int] = {}
        for line in self._lines.values():
            totals[line.booking_id] = totals.get(line.booking_id, 0) + line.minutes
        return totals

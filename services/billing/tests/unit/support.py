"""Builders for the unit tests: events as booking sends them, a child, the shipped prices."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from tsuen_billing.adapters.price_files import load_price_book
from tsuen_billing.domain.charges import ChildFacts
from tsuen_billing.domain.prices import PriceBook
from tsuen_common.events.booking import (
    BookingCancelled,
    BookingKind,
    BookingSettled,
    SettlementStatus,
)
from tsuen_common.timeutil import JST

KAKEGAWA = "222135"
CHIYODA = "131016"
FACILITY = uuid.UUID("00000000-0000-4000-8000-00000000f001")
GUARDIAN = uuid.UUID("00000000-0000-4000-8000-00000000a001")
CHILD = uuid.UUID("00000000-0000-4000-8000-00000000c001")

PRICES: PriceBook = load_price_book()


def child(birth: date = date(2025, 1, 10), **kw: object) -> ChildFacts:
    values: dict[str, object] = {
        "child_id": CHILD,
        "guardian_id": GUARDIAN,
        "municipality": KAKEGAWA,
        "birth_date": birth,
    }
    values.update(kw)
    return ChildFacts(**values)  # type: ignore[arg-type]


def settled(
    day: date,
    *,
    status: SettlementStatus = SettlementStatus.USED,
    booked: int = 60,
    penalty: int = 0,
    over_cap: int = 0,
    fee: int = 0,
    booking_id: uuid.UUID | None = None,
    child_id: uuid.UUID = CHILD,
    facility_id: uuid.UUID = FACILITY,
) -> BookingSettled:
    return BookingSettled(
        booking_id=booking_id or uuid.uuid4(),
        child_id=child_id,
        guardian_id=GUARDIAN,
        facility_id=facility_id,
        facility_name="かけがわ中央保育園",
        kind=BookingKind.FLEXIBLE,
        use_date=day,
        starts_at=datetime.combine(day, time(10), JST),
        ends_at=datetime.combine(day, time(11), JST),
        status=status,
        booked_minutes_consumed=booked,
        penalty_minutes=penalty,
        over_cap_minutes=over_cap,
        over_cap_fee_yen=fee,
        child_municipality=KAKEGAWA,
    )


def cancelled(
    day: date,
    *,
    by: str = "guardian",
    cause: str | None = None,
    timely: bool = False,
    consumed: int = 60,
    booking_id: uuid.UUID | None = None,
    child_id: uuid.UUID = CHILD,
) -> BookingCancelled:
    return BookingCancelled(
        booking_id=booking_id or uuid.uuid4(),
        child_id=child_id,
        guardian_email="hogosha@example.jp",
        facility_id=FACILITY,
        facility_name="かけがわ中央保育園",
        use_date=day,
        starts_at=datetime.combine(day, time(10), JST),
        reason="体調不良",
        cancelled_by=by,
        cause=cause,
        timely=timely,
        consumed_minutes=0 if timely else consumed,
    )

"""Properties (hypothesis): for any bookings, cancellations and visits,
- the billed minutes per booking equal the ledger's (what booking consumed),
- claim and statement totals equal the sums of their lines,
- replaying the events (duplicates, any order) leaves the same lines and the same totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.tests.unit.support import CHIYODA, KAKEGAWA, PRICES, cancelled, child, settled
from tsuen_billing.domain.charges import ChildFacts, price_line
from tsuen_billing.domain.closing import PricedLine, summarise
from tsuen_billing.domain.money import month_of
from tsuen_billing.domain.prices import FeeCategory
from tsuen_billing.domain.reconcile import compare
from tsuen_billing.domain.usage import UsageBook, lines_from_cancelled, lines_from_settled
from tsuen_billing.domain.visits import AlreadyBilled, CostItem, CostUnit, visit_extras
from tsuen_common.events.booking import BookingCancelled, BookingSettled, SettlementStatus
from tsuen_common.events.envelope import EventPayload

CHILDREN = [uuid.UUID(int=i + 1) for i in range(3)]
FACTS: dict[uuid.UUID, ChildFacts] = {
    CHILDREN[0]: child(child_id=CHILDREN[0], birth=date(2025, 11, 20)),  # turns 1 in Nov 2026
    CHILDREN[1]: child(
        child_id=CHILDREN[1],
        municipality=CHIYODA,  # 広域: paid by Chiyoda wherever the child goes
        needs_support=True,
        fee_categories=((date(2026, 11, 16), FeeCategory.TAX_EXEMPT),),
        family_support=((date(2026, 11, 10), date(2026, 11, 20)),),
    ),
    CHILDREN[2]: child(child_id=CHILDREN[2], municipality=KAKEGAWA, guardian_id=uuid.UUID(int=99)),
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one booking: the events booking sent, and what its ledger holds."""

    events: tuple[tuple[uuid.UUID, EventPayload], ...]
    ledger_minutes: int


@st.composite
def outcomes(draw: st.DrawFn) -> Outcome:
    booking = uuid.UUID(int=draw(st.integers(1, 2**64)))
    day = date(2026, 10, 25) + timedelta(days=draw(st.integers(0, 40)))
    who = draw(st.sampled_from(CHILDREN))
    booked = draw(st.sampled_from([60, 90, 120, 180]))
    what = draw(st.sampled_from(["used", "no_show", "cancel", "late_cancel", "closure", "open"]))
    event_id = uuid.UUID(int=booking.int + 1)
    if what in ("cancel", "late_cancel", "closure"):
        event = cancelled(
            day,
            booking_id=booking,
            child_id=who,
            timely=what == "cancel",
            consumed=booked,
            by="facility" if what == "closure" else "guardian",
        )
        return Outcome(((event_id, event),), event.consumed_minutes)
    if what == "open":  # booked, not settled yet
        return Outcome((), 0)
    penalty = draw(st.sampled_from([0, 0, 30, 60]))
    over_cap = draw(st.sampled_from([0, 0, 30, 60]))
    event = settled(
        day,
        booking_id=booking,
        child_id=who,
        status=SettlementStatus(what),
        booked=booked,
        penalty=penalty,
        over_cap=over_cap,
        fee=1500 if over_cap else 0,
    )
    return Outcome(((event_id, event),), booked + penalty + over_cap)


def _lines(events: list[tuple[uuid.UUID, EventPayload]]) -> UsageBook:
    book = UsageBook()
    for event_id, event in events:
        if isinstance(event, BookingSettled):
            book.record(lines_from_settled(event_id, event))
        elif isinstance(event, BookingCancelled):
            book.record(lines_from_cancelled(event_id, event))
    return book


# 実費: a lunch per day whose price changes mid-November, a snack per visit.
COST_ITEMS = [
    CostItem("昼食", CostUnit.DAY, 300, date(2026, 4, 1)),
    CostItem("昼食", CostUnit.DAY, 350, date(2026, 11, 16)),
    CostItem("おやつ", CostUnit.VISIT, 100, date(2026, 4, 1)),
]


def _priced(book: UsageBook) -> list[PricedLine]:
    extras = visit_extras(list(book), AlreadyBilled(), COST_ITEMS)
    return [
        PricedLine(
            line=line,
            charge=price_line(line, FACTS[line.child_id], PRICES, extras.get(line.key)),
            paying_municipality=FACTS[line.child_id].municipality,
            guardian_id=FACTS[line.child_id].guardian_id,
            billing_month=month_of(line.use_date),
        )
        for line in book
    ]


OUTCOMES = st.lists(
    outcomes(), max_size=25, unique_by=lambda o: o.events[0][0] if o.events else None
)


@settings(max_examples=200, deadline=None)
@given(OUTCOMES)
def test_billed_minutes_equal_the_ledger_booking_by_booking(history: list[Outcome]) -> None:
    events = [e for o in history for e in o.events]
    ledger = {
        event.booking_id: o.ledger_minutes  # type: ignore[attr-defined]
        for o in history
        for _, event in o.events
    }
    assert compare(_lines(events).minutes_by_booking(), ledger) == []


@settings(max_examples=200, deadline=None)
@given(OUTCOMES)
def test_totals_are_the_sums_of_the_lines(history: list[Outcome]) -> None:
    priced = _priced(_lines([e for o in history for e in o.events]))
    claims, statements = summarise(priced)
    assert sum(c.total_yen for c in claims) == sum(p.charge.claim_yen for p in priced)
    assert sum(s.total_yen for s in statements) == sum(p.charge.guardian_yen for p in priced)
    assert sum(c.minutes for c in claims) == sum(p.line.minutes for p in priced)
    for claim in claims:
        mine = [
            p
            for p in priced
            if (p.line.facility_id, p.paying_municipality, p.billing_month)
            == (claim.facility_id, claim.municipality, claim.month)
        ]
        assert claim.total_yen == sum(p.charge.claim_yen for p in mine)
        assert claim.line_count == len(mine)


@settings(max_examples=200, deadline=None)
@given(OUTCOMES, st.data())
def test_replaying_duplicated_and_reordered_events_changes_nothing(
    history: list[Outcome], data: st.DataObject
) -> None:
    events = [e for o in history for e in o.events]
    replay = data.draw(
        st.permutations(events + data.draw(st.lists(st.sampled_from(events))) if events else [])
    )
    once, again = _lines(events), _lines(list(replay))
    assert list(once) == list(again)
    assert summarise(_priced(once)) == summarise(_priced(again))

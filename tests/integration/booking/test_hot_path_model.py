"""One rule, two places, proven equal (issue 20): the booking rules run in PostgreSQL
(``book_use``, migration 0011) and in the pure domain (``domain.ledger``, ``domain.facility``).

A Hypothesis state machine drives random sequences of bookings, cancellations and settlements
for several children (two balances at home, the national one only elsewhere) over the cells of
one facility across a month boundary, through the real service on a real PostgreSQL, and
through a model built from the domain's own pure functions. After every step the answers, each
month's balances, each cell's places and each booking's status must be the same.

The service runs on its own event loop in a worker thread (Hypothesis drives it synchronously).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    VERIFIER,
    Child,
    Clock,
    Harness,
    auth,
    migrated_database,
)
from tsuen_booking.config import Settings
from tsuen_booking.domain.booking import BookingStatus, span_text
from tsuen_booking.domain.facility import cells
from tsuen_booking.domain.ledger import Balance, MonthAccount, QuotaExceeded, month_of
from tsuen_booking.entrypoints.app import build
from tsuen_booking.service_layer import settlement
from tsuen_booking.service_layer.quota import reconcile
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.policy import PolicyRegistry, load_policies

PLACES = 2
CAP, TOPUP = 600, 120  # Kakegawa's cap, and a top-up given to it for this test
# Three June days (enough to run out of a month) and the first of July.
DAYS = [date(2027, 6, 28), date(2027, 6, 29), date(2027, 6, 30), date(2027, 7, 1)]
HOURS = range(9, 14)  # bookings start 09:00 … 13:00 and last one to three hours
AT_HOME = [True, True, False]  # two Kakegawa children, one from Chiyoda (広域利用)


def _policies(settings_: Settings) -> PolicyRegistry:
    loaded = load_policies(settings_.policy_dir)
    kakegawa, chiyoda = loaded.get(KAKEGAWA), loaded.get(CHIYODA)
    return PolicyRegistry(
        [
            kakegawa.model_copy(
                update={"quota": kakegawa.quota.model_copy(update={"topup_minutes": TOPUP})}
            ),
            chiyoda.model_copy(
                update={
                    "quota": chiyoda.quota.model_copy(update={"topup_minutes": 90}),
                    "eligibility": chiyoda.eligibility.model_copy(
                        update={"cross_municipality_use_allowed": True}
                    ),
                }
            ),
        ]
    )


@dataclass
class Service:
    """The booking service on its own loop: what the state machine talks to."""

    runner: asyncio.Runner
    harness: Harness

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)


@dataclass
class Booked:
    child: int
    day: date
    start: time
    end: time
    held: dict[Balance, int]
    status: BookingStatus = BookingStatus.CONFIRMED


@dataclass
class Model:
    """The domain's answer to every step, with no database."""

    accounts: dict[tuple[int, str], MonthAccount] = field(default_factory=dict)
    taken: dict[tuple[date, time], int] = field(default_factory=dict)
    bookings: dict[uuid.UUID, Booked] = field(default_factory=dict)

    def account(self, child: int, month: str) -> MonthAccount:
        topup = 90 if not AT_HOME[child] else TOPUP
        return self.accounts.get((child, month), MonthAccount(cap_minutes=CAP, topup_minutes=topup))

    def book(self, child: int, day: date, start: time, end: time) -> tuple[int, Any]:
        """(status, detail or held) as the service must answer."""
        for b in self.bookings.values():
            if (
                b.child == child
                and b.day == day
                and b.status in (BookingStatus.CONFIRMED, BookingStatus.IN_USE)
                and b.start < end
                and b.end > start
            ):
                return 409, (
                    f"child already has a booking overlapping {span_text(start, end)} "
                    f"on {day.isoformat()}"
                )
        minutes = (end.hour - start.hour) * 60
        month = month_of(day)
        account = self.account(child, month)
        try:
            entries = account.plan_hold(minutes, at_home=AT_HOME[child], booking_id=uuid.uuid4())
        except QuotaExceeded as exc:
            return 409, str(exc)
        for cell in cells(day, start, end, 60):
            if self.taken.get((day, cell), 0) >= PLACES:
                cell_end = (datetime.combine(day, cell) + timedelta(hours=1)).time()
                return 409, f"no free place {span_text(cell, cell_end)}"
        self.accounts[(child, month)] = account.apply_all(entries)
        for cell in cells(day, start, end, 60):
            self.taken[(day, cell)] = self.taken.get((day, cell), 0) + 1
        return 201, {e.balance: e.minutes for e in entries}

    def cancel(self, booking_id: uuid.UUID) -> tuple[int, str | None]:
        b = self.bookings[booking_id]
        if b.status is not BookingStatus.CONFIRMED:
            return 409, f"booking {booking_id} is already {b.status.value}"
        # Weeks ahead of the use: always before the deadline, so the hold is given back.
        month = month_of(b.day)
        account = self.account(b.child, month)
        self.accounts[(b.child, month)] = account.apply_all(
            MonthAccount.plan_release(b.held, booking_id)
        )
        for cell in cells(b.day, b.start, b.end, 60):
            self.taken[(b.day, cell)] -= 1
        b.status = BookingStatus.CANCELLED
        return 200, None

    def settle(self, booking_id: uuid.UUID, status: BookingStatus, penalty: int) -> bool:
        b = self.bookings[booking_id]
        if b.status not in (BookingStatus.CONFIRMED, BookingStatus.IN_USE):
            return False
        month = month_of(b.day)
        after = self.account(b.child, month).apply_all(
            MonthAccount.plan_consume(b.held, booking_id)
        )
        if penalty:
            after = after.apply_all(
                after.plan_penalty(penalty, at_home=AT_HOME[b.child], booking_id=booking_id)
            )
        self.accounts[(b.child, month)] = after
        b.status = status
        return True


class BookingRules(RuleBasedStateMachine):
    service: Service  # set by the test before it runs

    def __init__(self) -> None:
        super().__init__()
        h = self.service.harness
        self.model = Model()
        self.facility: uuid.UUID = self.service.run(h.register(KAKEGAWA, places_per_slot=PLACES))
        self.children: list[Child] = []
        for at_home in AT_HOME:
            child = self.service.run(h.certify(KAKEGAWA if at_home else CHIYODA))
            self.service.run(h.accept(KAKEGAWA, self.facility, child))
            self.children.append(child)

    @rule(
        child=st.integers(0, len(AT_HOME) - 1),
        day=st.sampled_from(DAYS),
        hour=st.sampled_from(HOURS),
        hours=st.integers(1, 3),
    )
    def book(self, child: int, day: date, hour: int, hours: int) -> None:
        start, end = time(hour), time(hour + hours)
        expected = self.model.book(child, day, start, end)
        response = self.service.run(
            self.service.harness.book(self.children[child], self.facility, day, start, end)
        )
        assert response.status_code == expected[0], (expected, response.text)
        body = response.json()
        if response.status_code != 201:
            assert body["detail"] == expected[1]
            return
        held: dict[Balance, int] = expected[1]
        assert body["held_minutes"] == sum(held.values())
        self.model.bookings[uuid.UUID(body["id"])] = Booked(child, day, start, end, held)

    @precondition(lambda self: self.model.bookings)
    @rule(pick=st.integers(min_value=0))
    def cancel(self, pick: int) -> None:
        ids = list(self.model.bookings)
        booking_id = ids[pick % len(ids)]
        child = self.children[self.model.bookings[booking_id].child]
        expected = self.model.cancel(booking_id)
        response = self.service.run(
            self.service.harness.client.post(
                f"/v1/bookings/{booking_id}/cancel",
                json={"reason": "予定変更"},
                headers=auth(child.principal),
            )
        )
        assert response.status_code == expected[0], (expected, response.text)
        if expected[1] is not None:
            assert response.json()["detail"] == expected[1]

    @precondition(lambda self: self.model.bookings)
    @rule(
        pick=st.integers(min_value=0),
        status=st.sampled_from([BookingStatus.USED, BookingStatus.NO_SHOW]),
        penalty=st.sampled_from([0, 0, 30, 90, 240]),
    )
    def settle(self, pick: int, status: BookingStatus, penalty: int) -> None:
        ids = list(self.model.bookings)
        booking_id = ids[pick % len(ids)]
        penalty = penalty if status is BookingStatus.USED else 0
        expected = self.model.settle(booking_id, status, penalty)
        assert self.service.run(self._settle(booking_id, status, penalty)) is expected

    async def _settle(self, booking_id: uuid.UUID, status: BookingStatus, penalty: int) -> bool:
        ctx = self.service.harness.ctx
        cause = EventEnvelope.wrap(
            ChildCertified(
                certification_id=uuid.uuid4(),
                child_id=uuid.uuid4(),
                guardian_id=uuid.uuid4(),
                guardian_email="hogosha@example.jp",
                certificate_number="C-0001",
                valid_from=date(2027, 4, 1),
                valid_until=date(2028, 3, 31),
            ),
            municipality=KAKEGAWA,
            producer="attendance",
        )
        async with ctx.sessions() as session, session.begin():
            return await settlement.settle(
                ctx,
                session,
                booking_id=booking_id,
                status=status,
                penalty_minutes=penalty,
                caused_by=cause,
            )

    @invariant()
    def same_balances_places_and_statuses(self) -> None:
        months, slots, statuses = self.service.run(self._stored())
        for i, child in enumerate(self.children):
            for month in {month_of(d) for d in DAYS}:
                expected = self.model.account(i, month)
                found = months.get((child.child_id, month))
                if found is None:
                    assert expected.total_held == expected.total_consumed == 0
                    assert expected.over_cap_minutes == 0
                else:
                    assert found == expected, (i, month)
        assert {k: v for k, v in slots.items() if v} == {
            k: v for k, v in self.model.taken.items() if v
        }
        assert statuses == {i: b.status.value for i, b in self.model.bookings.items()}

    async def _stored(self) -> tuple[dict[Any, MonthAccount], dict[Any, int], dict[Any, str]]:
        from tsuen_booking.adapters.repository import account_from_row

        ids = [c.child_id for c in self.children]
        async with self.service.harness.ctx.sessions() as session:
            months = (
                await session.execute(
                    sa.text("SELECT * FROM quota_months WHERE child_id = ANY(:ids)"), {"ids": ids}
                )
            ).mappings()
            stored_months = {(m["child_id"], m["month"]): account_from_row(m) for m in months}
            slots = await session.execute(
                sa.text(
                    "SELECT use_date, cell_start, taken FROM facility_slots WHERE facility_id = :f"
                ),
                {"f": self.facility},
            )
            stored_slots = {(s.use_date, s.cell_start): s.taken for s in slots}
            rows = await session.execute(
                sa.text("SELECT id, status FROM bookings WHERE facility_id = :f"),
                {"f": self.facility},
            )
            stored_statuses = {r.id: r.status for r in rows}
        return stored_months, stored_slots, stored_statuses

    def teardown(self) -> None:
        _, differences = self.service.run(reconcile(self.service.harness.ctx))
        assert differences == []


def _drive(url: str) -> None:
    with asyncio.Runner() as runner:
        settings_ = Settings(database_url=url)
        clock = Clock()
        app = build(settings_, verifier=VERIFIER, clock=clock, policies=_policies(settings_))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://booking.test"
        )
        BookingRules.service = Service(
            runner, Harness(client=client, ctx=app.state.ctx, clock=clock, url=url)
        )
        try:
            run_state_machine_as_test(
                BookingRules,
                settings=settings(
                    max_examples=15,
                    stateful_step_count=25,
                    deadline=None,
                    derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(client.aclose())
            runner.run(app.state.ctx.close())


async def test_the_sql_path_and_the_domain_model_agree(new_database: Any) -> None:
    url = await migrated_database(new_database)
    await asyncio.to_thread(_drive, url)

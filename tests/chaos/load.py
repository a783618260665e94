"""The chaos suite's families and their steady load, through the services' HTTP APIs.

Seeding: facilities are registered by the municipality's officer (booking API); children are
certified by ``ChildCertified`` events that eligibility's own outbox relay publishes (written
into eligibility's outbox, as its approval does); the officer records each acceptance (booking
API); the check-in children book today 08:00–10:00 (booking API).

Load: a few well-behaved clients, each doing one thing at a time: book an hour, cancel one of
its bookings, or check a child in. Each action has its own ``Idempotency-Key`` and is sent
again with it after a transport error, a 503 or a 409 ``idempotency_in_flight``, until it gets
an answer (or 90 s pass). Every HTTP attempt is counted in the window (the fault) it falls in.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from tests.chaos.stack import Stack
from tsuen_common.auth import Role
from tsuen_common.calendar import BusinessCalendar
from tsuen_common.db import make_engine, make_sessions
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.messaging import Outbox

CHIYODA, KAKEGAWA = "131016", "222135"
ADDRESSES = {CHIYODA: "東京都千代田区九段南1-2-1", KAKEGAWA: "静岡県掛川市長谷1-1-1"}
HOURS = range(8, 18)
PER_CHILD = 8  # one-hour bookings a child makes: within every monthly cap
GIVE_UP_SECONDS = 90.0
CANCEL_SHARE = 0.25  # of the bookings answered 201, cancelled later by their family
CHECK_IN_EVERY = 8.0  # seconds between two check-ins (a morning's arrivals, spread out)


@dataclass(frozen=True)
class Kid:
    child_id: str
    guardian_id: str
    municipality: str
    facility_id: str
    email: str


@dataclass
class Window:
    """What the clients saw while one fault was played."""

    name: str
    attempts: Counter[int] = field(default_factory=Counter)  # HTTP status; 0 = no answer
    booked: dict[str, tuple[Kid, date, int]] = field(default_factory=dict)  # id → what
    cancelled: set[str] = field(default_factory=set)
    checked_in: set[str] = field(default_factory=set)
    final_refusals: list[tuple[str, int, Any]] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)


def today_and_days(month: date) -> tuple[date, list[date]]:
    """Today (the platform's test clock) and the days the load books: the first open day from
    the 2nd of the month, then every open day after it in that month."""
    calendar = BusinessCalendar()
    days = [month + timedelta(days=i) for i in range(1, 31)]
    days = [d for d in days if d.month == month.month and calendar.is_open_day(d)]
    return days[0], days[1:]


def facility_body(i: int, municipality: str) -> dict[str, Any]:
    return {
        "name": f"カオス保育園{i}",
        "kana": "カオスホイクエン",
        "address": ADDRESSES[municipality],
        "facility_type": "licensed_nursery",
        "email": f"en{i}@chaos.example.jp",
        "opening_hours": {str(d): {"open": "08:00", "close": "18:00"} for d in range(5)},
        "places_per_slot": 40,
    }


async def seed(stack: Stack, *, facilities: int, children: int, today: date) -> list[Kid]:
    """Facilities, then ``children`` certified and accepted children (guardians' own addresses)."""
    codes = [(CHIYODA, KAKEGAWA)[i % 2] for i in range(facilities)]
    fids = []
    async with httpx.AsyncClient(base_url=stack.url("booking"), timeout=30) as booking:
        for i, code in enumerate(codes):
            answer = await booking.post(
                f"/v1/municipalities/{code}/facilities",
                json=facility_body(i, code),
                headers=stack.auth(Role.MUNICIPALITY_OFFICER, code),
            )
            assert answer.status_code == 201, answer.text
            fids.append(str(answer.json()["id"]))
    kids = [
        Kid(
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            codes[i % facilities],
            fids[i % facilities],
            f"family{i}@chaos.example.jp",
        )
        for i in range(children)
    ]
    await certify(stack, kids, today)
    await _wait_sql(stack, "booking", "SELECT count(*) FROM children", len(kids), "children")
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=stack.url("booking"), timeout=30) as booking:

        async def accept(kid: Kid) -> None:
            async with gate:
                answer = await booking.put(
                    f"/v1/facilities/{kid.facility_id}/acceptances/{kid.child_id}",
                    json={"accepted": True, "override_reason": "chaos suite seed"},
                    headers=stack.auth(Role.MUNICIPALITY_OFFICER, kid.municipality),
                )
                assert answer.status_code == 200, answer.text

        await asyncio.gather(*(accept(k) for k in kids))
    return kids


async def certify(stack: Stack, kids: list[Kid], today: date) -> None:
    """認定: ChildCertified through eligibility's outbox and relay, as its approval sends it."""
    engine = make_engine(stack.envs["eligibility"]["TSUEN_DATABASE_URL"], pool_size=2)
    outbox = Outbox(producer="eligibility", topic_prefix=stack.prefix)
    try:
        async with make_sessions(engine)() as session, session.begin():
            for n, kid in enumerate(kids):
                event = ChildCertified(
                    certification_id=uuid.uuid4(),
                    child_id=uuid.UUID(kid.child_id),
                    guardian_id=uuid.UUID(kid.guardian_id),
                    guardian_email=kid.email,
                    certificate_number=f"{kid.municipality}-C{n:05d}",
                    valid_from=today - timedelta(days=30),
                    valid_until=today + timedelta(days=365),
                    birth_date=today - timedelta(days=500),
                )
                await outbox.add(session, event, municipality=kid.municipality)
    finally:
        await engine.dispose()


async def _wait_sql(stack: Stack, service: str, sql: str, at_least: int, what: str) -> None:
    import asyncpg

    deadline = time.monotonic() + 120
    conn = await asyncpg.connect(stack.dsn(service))
    try:
        while int(await conn.fetchval(sql)) < at_least:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} never had {at_least} {what}")
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


def booking_body(kid: Kid, day: date, hour: int, hours: int = 1) -> dict[str, str]:
    return {
        "facility_id": kid.facility_id,
        "child_id": kid.child_id,
        "use_date": day.isoformat(),
        "start": f"{hour:02d}:00",
        "end": f"{hour + hours:02d}:00",
    }


class Load:
    """Clients in a closed loop; ``window`` names the fault their attempts are counted under."""

    def __init__(
        self,
        stack: Stack,
        kids: list[Kid],
        days: list[date],
        check_ins: list[tuple[Kid, str]],
        *,
        clients: int,
        pause: float,
    ) -> None:
        self.stack = stack
        self.window = Window("warm-up")
        self.windows: list[Window] = [self.window]
        rng = random.Random(18)
        slots = [(d, h) for d in days for h in HOURS]
        work = [(kid, d, h) for kid in kids for d, h in rng.sample(slots, PER_CHILD)]
        rng.shuffle(work)
        self.bookings = deque(work)
        self.cancels: deque[tuple[Kid, str]] = deque()
        self.check_ins = deque(check_ins)
        self.rng = rng
        self.clients, self.pause = clients, pause
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_check_in = 0.0
        self.exhausted = False

    def begin(self, name: str) -> Window:
        self.window = Window(name)
        self.windows.append(self.window)
        return self.window

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._client()) for _ in range(self.clients)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _client(self) -> None:
        async with (
            httpx.AsyncClient(base_url=self.stack.url("booking"), timeout=5) as booking,
            httpx.AsyncClient(base_url=self.stack.url("attendance"), timeout=5) as attendance,
        ):
            while not self._stop.is_set():
                now = time.monotonic()
                if self.check_ins and now - self._last_check_in > CHECK_IN_EVERY:
                    self._last_check_in = now
                    kid, booking_id = self.check_ins.popleft()
                    await self.check_in(attendance, kid, booking_id)
                elif self.cancels and self.rng.random() < 0.5:
                    kid, booking_id = self.cancels.popleft()
                    await self.cancel(booking, kid, booking_id)
                elif self.bookings:
                    kid, day, hour = self.bookings.popleft()
                    booked = await self.book(booking, kid, day, hour)
                    if booked and self.rng.random() < CANCEL_SHARE:
                        self.cancels.append((kid, booked))
                else:
                    self.exhausted = True
                await asyncio.sleep(self.pause)

    async def book(self, client: httpx.AsyncClient, kid: Kid, day: date, hour: int) -> str | None:
        window = self.window
        status, body = await self.until_answered(
            client, "/v1/bookings", booking_body(kid, day, hour), kid
        )
        if status == 201:
            window.booked[str(body["id"])] = (kid, day, hour)
            return str(body["id"])
        self._refused(window, f"book {day} {hour}:00", status, body)
        return None

    async def cancel(self, client: httpx.AsyncClient, kid: Kid, booking_id: str) -> None:
        window = self.window
        status, body = await self.until_answered(
            client, f"/v1/bookings/{booking_id}/cancel", {"reason": "予定変更"}, kid
        )
        if status == 200:
            window.cancelled.add(booking_id)
        else:
            self._refused(window, f"cancel {booking_id}", status, body)

    async def check_in(self, client: httpx.AsyncClient, kid: Kid, booking_id: str) -> None:
        """The family scans the facility's current code and taps 利用開始登録."""
        window = self.window
        staff = self.stack.auth(Role.FACILITY_STAFF, kid.municipality, facility_id=kid.facility_id)
        deadline = time.monotonic() + GIVE_UP_SECONDS
        token = None
        while token is None and time.monotonic() < deadline:
            try:
                answer = await client.get(f"/v1/facilities/{kid.facility_id}/code", headers=staff)
                window.attempts[answer.status_code] += 1
                if answer.status_code == 200:
                    token = answer.json()["token"]
                    break
            except httpx.HTTPError:
                window.attempts[0] += 1
            await asyncio.sleep(0.3)
        if token is None:
            window.unanswered.append(f"code for check-in {booking_id}")
            return
        status, body = await self.until_answered(
            client, "/v1/check-ins", {"token": token, "booking_id": booking_id}, kid
        )
        if status == 200:
            window.checked_in.add(booking_id)
        else:
            self._refused(window, f"check-in {booking_id}", status, body)

    async def until_answered(
        self, client: httpx.AsyncClient, path: str, body: Any, kid: Kid
    ) -> tuple[int, Any]:
        """(final status, body), sent again with the same key as a well-behaved client does."""
        window = self.window  # an action is counted where it started
        headers = {
            **self.stack.auth(Role.GUARDIAN, kid.municipality, guardian_id=kid.guardian_id),
            "Idempotency-Key": str(uuid.uuid4()),
        }
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            try:
                answer = await client.post(path, json=body, headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            try:  # a 500 from the server's last resort is plain text: still a 500
                content = answer.json() if status and answer.content else None
            except ValueError:
                content = None
            window.attempts[status] += 1
            in_flight = status == 409 and (content or {}).get("code") == "idempotency_in_flight"
            if status not in (0, 503) and not in_flight:
                return status, content
            if time.monotonic() > deadline:
                window.unanswered.append(f"{path} (last {status})")
                return status, content
            await asyncio.sleep(0.3)

    @staticmethod
    def _refused(window: Window, what: str, status: int, body: Any) -> None:
        if status != 0 and status != 503:
            window.final_refusals.append((what, status, body))


async def book_directly(
    stack: Stack, kid: Kid, day: date, hour: int, hours: int, window: Window
) -> str:
    """One booking outside the load (seeding, probes), retried like the load's and recorded in
    ``window`` (so that it is checked like the load's)."""
    load = Load(stack, [], [], [], clients=0, pause=0)
    load.window = window
    async with httpx.AsyncClient(base_url=stack.url("booking"), timeout=5) as client:
        status, body = await load.until_answered(
            client, "/v1/bookings", booking_body(kid, day, hour, hours), kid
        )
    assert status == 201, (status, body)
    window.booked[str(body["id"])] = (kid, day, hour)
    return str(body["id"])

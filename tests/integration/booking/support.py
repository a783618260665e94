"""A booking service in-process on a fresh, migrated database, driven through its HTTP API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from tsuen_booking.config import Settings
from tsuen_booking.entrypoints.app import build
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.events import EventHandlers
from tsuen_common.auth import Principal, Role, TokenIssuer, TokenVerifier
from tsuen_common.events.eligibility import ChildCertified, SpecialNeeds
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.timeutil import JST

SECRET = "booking-integration-test-secret-0123456789abcdef"
ISSUER = TokenIssuer(algorithm="HS256", key=SECRET)
VERIFIER = TokenVerifier(algorithm="HS256", key=SECRET, issuer="tsuen", audience="tsuen")

CHIYODA = "131016"  # 30-minute steps, 17:00 on the previous open day
KAKEGAWA = "222135"  # whole hours, 12:00 one business day before

# The tests live in June 2027 (no national holidays) as seen from Thursday 20 May 2027.
NOW = datetime(2027, 5, 20, 9, 0, tzinfo=JST)
BIRTH = date(2026, 1, 10)  # 1 year old in June 2027


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


def officer(municipality: str) -> Principal:
    return Principal(
        subject=f"officer-{municipality}", role=Role.MUNICIPALITY_OFFICER, municipality=municipality
    )


def staff(municipality: str, facility_id: uuid.UUID) -> Principal:
    return Principal(
        subject=f"staff-{facility_id}",
        role=Role.FACILITY_STAFF,
        municipality=municipality,
        facility_id=str(facility_id),
    )


def guardian(municipality: str, guardian_id: uuid.UUID) -> Principal:
    return Principal(
        subject=str(guardian_id),
        role=Role.GUARDIAN,
        municipality=municipality,
        guardian_id=str(guardian_id),
    )


def auth(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.mint(principal)}"}


def facility_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "テスト保育園",
        "kana": "テストホイクエン",
        "address": "東京都千代田区九段南1-2-1",
        "lat": 35.6940,
        "lon": 139.7536,
        "facility_type": "licensed_nursery",
        "email": "en@example.jp",
        "extra_hour_fee_yen": 1500,
        "opening_hours": {str(d): {"open": "08:00", "close": "18:00"} for d in range(5)},
        "places_per_slot": 2,
    }
    body.update(overrides)
    return body


@dataclass
class Child:
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    municipality: str

    @property
    def principal(self) -> Principal:
        return guardian(self.municipality, self.guardian_id)


@dataclass
class Harness:
    client: httpx.AsyncClient
    ctx: Context
    clock: Clock
    url: str
    children: list[Child] = field(default_factory=list)

    async def certify(
        self,
        municipality: str,
        *,
        birth: date | None = BIRTH,
        guardian_id: uuid.UUID | None = None,
        considerations: SpecialNeeds | None = None,
    ) -> Child:
        """What the eligibility consumer does with a ChildCertified (the same handler)."""
        child = Child(uuid.uuid4(), guardian_id or uuid.uuid4(), municipality)
        event = certified(child, considerations)
        envelope = EventEnvelope.wrap(event, municipality=municipality, producer="eligibility")
        if birth is not None:
            envelope = envelope.model_copy(
                update={"payload": {**envelope.payload, "birth_date": birth.isoformat()}}
            )
        async with self.ctx.sessions() as session, session.begin():
            await EventHandlers(self.ctx).child_certified(session, envelope, event)
        return child

    async def register(self, municipality: str, **overrides: Any) -> uuid.UUID:
        response = await self.client.post(
            f"/v1/municipalities/{municipality}/facilities",
            json=facility_body(**overrides),
            headers=auth(officer(municipality)),
        )
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    async def hold_interview(
        self, municipality: str, facility_id: uuid.UUID, child: Child
    ) -> dict[str, Any]:
        """初回面談 as it happens: the guardian asks (unless they did), the facility fixes the
        first open 10:00 from tomorrow (unless it did), then records it held."""
        parent = auth(child.principal)
        facility_staff = auth(staff(municipality, facility_id))
        mine = await self.client.get("/v1/interviews", headers=parent)
        found = [i for i in mine.json() if i["facility_id"] == str(facility_id)]
        if found and found[0]["status"] != "cancelled":
            interview = found[0]
        else:
            asked = await self.client.post(
                "/v1/interviews",
                json={"facility_id": str(facility_id), "child_id": str(child.child_id)},
                headers=parent,
            )
            assert asked.status_code == 201, asked.text
            interview = asked.json()
        if interview["status"] == "requested":
            day = self.clock.now.date()
            for _ in range(21):
                day += timedelta(days=1)
                fixed = await self.client.post(
                    f"/v1/interviews/{interview['id']}/schedule",
                    json={"starts_at": datetime.combine(day, time(10), JST).isoformat()},
                    headers=facility_staff,
                )
                if fixed.status_code == 200:
                    break
            assert fixed.status_code == 200, fixed.text
        held = await self.client.post(
            f"/v1/interviews/{interview['id']}/held",
            json={"health_check": "no_concerns"},
            headers=facility_staff,
        )
        assert held.status_code == 200, held.text
        return dict(held.json())

    async def accept(self, municipality: str, facility_id: uuid.UUID, child: Child) -> None:
        await self.hold_interview(municipality, facility_id, child)
        response = await self.client.put(
            f"/v1/facilities/{facility_id}/acceptances/{child.child_id}",
            json={"accepted": True},
            headers=auth(staff(municipality, facility_id)),
        )
        assert response.status_code == 200, response.text

    async def book(
        self, child: Child, facility_id: uuid.UUID, day: date, start: time, end: time
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/bookings",
            json={
                "facility_id": str(facility_id),
                "child_id": str(child.child_id),
                "use_date": day.isoformat(),
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
            },
            headers=auth(child.principal),
        )

    async def quota(self, child: Child, month: str) -> dict[str, int]:
        response = await self.client.get(
            f"/v1/children/{child.child_id}/quota",
            params={"month": month},
            headers=auth(child.principal),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def scalar(self, query: str, **params: Any) -> Any:
        async with self.ctx.sessions() as session:
            return await session.scalar(sa.text(query), params)

    async def outbox_payloads(self, event_type: str) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            rows = await session.execute(
                sa.text(
                    "SELECT convert_from(value, 'UTF8')::jsonb -> 'payload' FROM outbox "
                    "WHERE event_type = :t ORDER BY id"
                ),
                {"t": event_type},
            )
            return [r[0] for r in rows]

    async def event_types(self) -> list[str]:
        async with self.ctx.sessions() as session:
            rows = await session.execute(sa.text("SELECT event_type FROM outbox ORDER BY id"))
            return [r[0] for r in rows]


def certified(child: Child, considerations: SpecialNeeds | None = None) -> ChildCertified:
    return ChildCertified(
        certification_id=uuid.uuid4(),
        child_id=child.child_id,
        guardian_id=child.guardian_id,
        guardian_email="hogosha@example.jp",
        certificate_number="C-0001",
        valid_from=date(2027, 4, 1),
        valid_until=date(2028, 3, 31),
        child_name=f"テスト {child.child_id.hex[:4]}",
        child_kana=f"テスト {child.child_id.hex[:4]}",
        considerations=considerations,
    )


async def migrated_database(new_database: Any) -> str:
    # A copy of the session's template that `tsuen-booking migrate`'s upgrade made once.
    url: str = await new_database.migrated("booking")
    return url


def make_app(url: str, clock: Clock, topic_prefix: str = "") -> Any:
    settings = Settings(database_url=url, kafka_topic_prefix=topic_prefix)
    return build(settings, verifier=VERIFIER, clock=clock)

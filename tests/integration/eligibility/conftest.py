"""The eligibility service in-process on a fresh database and topic namespace, per test."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.timeutil import JST
from tsuen_eligibility.config import Settings
from tsuen_eligibility.entrypoints.app import build_app
from tsuen_eligibility.service_layer.context import Eligibility

SECRET = "integration-test-secret-" + "x" * 32
CHIYODA, KAKEGAWA = "131016", "222135"
# A fixed "now" for the service: 2026-06-01 10:00 JST (a Monday).
START = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
PDF = b"%PDF-1.4\n% demo attachment\n"


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def token(role: Role, municipality: str | None = None, **claims: str) -> dict[str, str]:
    issuer = TokenIssuer(algorithm="HS256", key=SECRET)
    principal = Principal(
        subject=f"test-{role}-{municipality}", role=role, municipality=municipality, **claims
    )
    return {"Authorization": f"Bearer {issuer.mint(principal)}"}


def officer(municipality: str) -> dict[str, str]:
    return token(Role.MUNICIPALITY_OFFICER, municipality)


@dataclass
class Service:
    client: httpx.AsyncClient
    ctx: Eligibility
    settings: Settings
    clock: Clock
    db_url: str
    engine: AsyncEngine

    async def outbox_events(self, event_type: str) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text("SELECT value FROM outbox WHERE event_type = :t ORDER BY id"),
                    {"t": event_type},
                )
            ).scalars()
            return [json.loads(bytes(v)) for v in rows]

    async def link_token(self, municipality: str, email: str) -> str:
        """Request a link and read its token out of the e-mail event, as the guardian would."""
        response = await self.client.post(
            f"/v1/municipalities/{municipality}/application-links", json={"email": email}
        )
        assert response.status_code == 202, response.text
        link_id = response.json()["link_id"]
        for event in await self.outbox_events("eligibility.ApplicationLinkIssued"):
            if event["payload"]["link_id"] == link_id:
                return parse_qs(urlparse(event["payload"]["url"]).query)["token"][0]
        raise AssertionError("no ApplicationLinkIssued event for the link")

    async def apply(
        self,
        municipality: str,
        *,
        email: str = "parent@example.jp",
        kana: str = "ヤマダ タロウ",
        birth: date = date(2025, 1, 15),
        **overrides: Any,
    ) -> httpx.Response:
        link = await self.link_token(municipality, email)
        body = application_form(link, kana=kana, birth=birth)
        body.update(overrides)
        return await self.client.post(f"/v1/municipalities/{municipality}/applications", json=body)

    async def resident(self, municipality: str, kana: str, birth: date, **extra: Any) -> None:
        response = await self.client.post(
            f"/v1/municipalities/{municipality}/resident-records",
            json=[{"child_kana": kana, "child_birth_date": birth.isoformat(), **extra}],
            headers=officer(municipality),
        )
        assert response.status_code == 200, response.text


def application_form(link_token: str, *, kana: str, birth: date) -> dict[str, Any]:
    return {
        "link_token": link_token,
        "guardian": {
            "name": "山田 花子",
            "kana": "ヤマダ ハナコ",
            "birth_date": "1992-05-01",
            "address": "東京都千代田区九段南1-2-1",
            "phone": "03-1234-5678",
            "gender": "female",
            "relationship_to_child": "母",
        },
        "consents": {"terms": True, "personal_data": True, "share_with_facility": True},
        "proxy_users": [
            {"name": "山田 一郎", "kana": "ヤマダ イチロウ", "relationship_to_child": "祖父"}
        ],
        "prior_use_municipality": None,
        "child": {
            "name": "山田 " + kana.split()[-1],
            "kana": kana,
            "birth_date": birth.isoformat(),
            "relationship_to_guardian": "長男",
        },
        "special_considerations": {"present": False},
        "desired_facility_id": "7a1c0e52-1f0b-4a53-9d6c-000000000101",
        "attachments": [
            {
                "filename": "techo.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(PDF).decode(),
            }
        ],
    }


@pytest.fixture
async def service(kafka: Any, topic_prefix: str, new_database: Any) -> AsyncIterator[Service]:
    async with running_service(kafka, topic_prefix, new_database) as running:
        yield running


@asynccontextmanager
async def running_service(
    kafka: Any, topic_prefix: str, new_database: Any, *, policy_dir: Path | None = None
) -> AsyncIterator[Service]:
    """The service on a fresh database; ``policy_dir`` for municipality rules of a test's own."""
    # A copy of the session's template that `tsuen-eligibility migrate`'s upgrade made once.
    url = await new_database.migrated("eligibility")
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_topic_prefix=topic_prefix,
        jwt_secret=SECRET,
        attachment_max_bytes=64 * 1024,
        log_json=True,
        policy_dir=policy_dir,
    )
    clock = Clock()
    app = build_app(settings, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://eligibility.test"
    ) as client:
        yield Service(
            client=client,
            ctx=app.state.eligibility,
            settings=settings,
            clock=clock,
            db_url=url,
            engine=app.state.engine,
        )
    await app.state.engine.dispose()


def new_id() -> str:
    return str(uuid.uuid4())

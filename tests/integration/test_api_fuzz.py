"""Schemathesis against every service API, for every role: no answer is a server error.

Each service runs in process on a fresh migrated database through the harness its own
integration tests use (see ``fuzz_support``), with a little real data where the fuzzer would
otherwise only meet 404s (a registered facility and a certified child in booking). A failure
lists every failing operation with a curl command that reproduces it.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from tests.integration import testbed
from tests.integration.attendance.harness import JWT_SECRET as ATTENDANCE_SECRET
from tests.integration.attendance.harness import attendance_stack
from tests.integration.booking.support import ISSUER as BOOKING_ISSUER
from tests.integration.booking.support import Clock as BookingClock
from tests.integration.booking.support import Harness as BookingHarness
from tests.integration.booking.support import auth, facility_body, officer
from tests.integration.booking.support import make_app as booking_app
from tests.integration.booking.support import migrated_database as booking_database
from tests.integration.eligibility.conftest import SECRET as ELIGIBILITY_SECRET
from tests.integration.eligibility.conftest import application_form
from tests.integration.eligibility.conftest import officer as eligibility_officer
from tests.integration.eligibility.conftest import running_service as eligibility_service
from tests.integration.eligibility.test_lifecycle import certify
from tests.integration.fuzz_support import (
    CHIYODA,
    CONFORMANCE,
    SERVER_ERRORS,
    bearer_headers,
    fuzz,
    role_principals,
)
from tests.integration.identity.harness import identity_stack
from tests.integration.notification.conftest import JWT_SECRET as NOTIFICATION_SECRET
from tests.integration.notification.conftest import notification_stack
from tsuen_common.auth import TokenIssuer

# Schemathesis's own strategies use `random` inside Hypothesis; nothing of this suite's doing.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")

FACILITY_ID = "7a1c0e52-1f0b-4a53-9d6c-000000000101"
GUARDIAN_ID = "00000000-0000-4000-8000-0000000000a1"


class Count(BaseModel):
    n: int


def hs256(secret: str) -> TokenIssuer:
    return TokenIssuer(algorithm="HS256", key=secret)


async def test_eligibility_api_answers_no_server_error(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any
) -> None:
    base = f"/v1/municipalities/{CHIYODA}"
    async with eligibility_service(kafka, topic_prefix, new_database) as service:
        certified = await certify(service, CHIYODA, "ヤマダ タロウ", date(2025, 1, 15))
        pending = await service.apply(CHIYODA, kana="サトウ ハナコ", birth=date(2025, 2, 1))
        assert pending.status_code == 201, pending.text
        application_id = pending.json()["application_id"]
        detail = await service.client.get(
            f"/v1/municipalities/{CHIYODA}/applications/{application_id}",
            headers=eligibility_officer(CHIYODA),
        )
        principals = role_principals(
            facility_id=FACILITY_ID, guardian_id=str(certified["guardian_id"])
        )
        form = application_form(
            await service.link_token(CHIYODA, "fuzz@example.jp"),
            kana="スズキ ジロウ",
            birth=date(2025, 3, 1),
        )
        residents = [{"child_kana": "スズキ ジロウ", "child_birth_date": "2025-03-01"}]
        seeds = [
            (service.client.build_request("POST", f"{base}/applications", json=form), form),
            (
                service.client.build_request(
                    "POST",
                    f"{base}/resident-records",
                    json=residents,
                    headers=eligibility_officer(CHIYODA),
                ),
                residents,
            ),
        ]
        report = await fuzz(
            service.client,
            bearer_headers(hs256(ELIGIBILITY_SECRET), principals),
            checks=SERVER_ERRORS + CONFORMANCE,
            seeds=seeds,
            path_parameters={
                "code": CHIYODA,
                "application_id": application_id,
                "attachment_id": detail.json()["attachments"][0]["attachment_id"],
                "certification_id": str(certified["certification_id"]),
            },
        )
    assert report.failures == [], report.summary()


async def test_booking_api_answers_no_server_error(new_database: Any, topic_prefix: str) -> None:
    url = await booking_database(new_database)
    clock = BookingClock()
    app = booking_app(url, clock, topic_prefix)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://booking.test"
        ) as client:
            harness = BookingHarness(client=client, ctx=app.state.ctx, clock=clock, url=url)
            facility_id = str(await harness.register(CHIYODA))
            child = await harness.certify(CHIYODA, guardian_id=uuid.UUID(GUARDIAN_ID))
            principals = role_principals(facility_id=facility_id, guardian_id=GUARDIAN_ID)
            facility = facility_body()
            seeds = [
                (
                    client.build_request(
                        "POST",
                        f"/v1/municipalities/{CHIYODA}/facilities",
                        json=facility,
                        headers=auth(officer(CHIYODA)),
                    ),
                    facility,
                ),
            ]
            report = await fuzz(
                client,
                bearer_headers(BOOKING_ISSUER, principals),
                checks=SERVER_ERRORS + CONFORMANCE,
                seeds=seeds,
                path_parameters={
                    "code": CHIYODA,
                    "facility_id": facility_id,
                    "child_id": str(child.child_id),
                },
            )
    finally:
        await app.state.ctx.close()
    assert report.failures == [], report.summary()


async def test_attendance_api_answers_no_server_error(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any
) -> None:
    principals = role_principals(facility_id=FACILITY_ID, guardian_id=GUARDIAN_ID)
    url = await new_database("attendance")
    async with attendance_stack(kafka.bootstrap_servers, topic_prefix, url) as stack:
        report = await fuzz(
            stack.client,
            bearer_headers(hs256(ATTENDANCE_SECRET), principals),
            checks=SERVER_ERRORS + CONFORMANCE,
            path_parameters={"facility_id": FACILITY_ID},
        )
    assert report.failures == [], report.summary()


async def test_notification_api_answers_no_server_error(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any, tmp_path: Path
) -> None:
    principals = role_principals(facility_id=FACILITY_ID, guardian_id=GUARDIAN_ID)
    async with notification_stack(kafka, topic_prefix, new_database, tmp_path) as stack:
        report = await fuzz(
            stack.api,
            bearer_headers(hs256(NOTIFICATION_SECRET), principals),
            checks=SERVER_ERRORS + CONFORMANCE,
            path_parameters={"code": CHIYODA},
        )
    assert report.failures == [], report.summary()


async def test_the_fuzzer_reports_server_errors_and_undeclared_statuses() -> None:
    """The suite is only as good as its net: a 500, an undocumented 404, and a number past
    PostgreSQL's integer that schemathesis alone does not draw are all caught."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        if item_id == 0:
            raise HTTPException(status_code=500, detail="division by zero")
        if item_id == 1:
            raise HTTPException(status_code=404, detail="no such item")
        return {"id": item_id}

    @app.post("/counts")
    async def count(body: Count) -> dict[str, int]:
        if body.n >= 2**31:  # what an INTEGER column does with it
            raise HTTPException(status_code=500, detail="integer out of range")
        return {"n": body.n}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://toy.test"
    ) as client:
        report = await fuzz(client, {"anonymous": {}}, checks=SERVER_ERRORS + CONFORMANCE)
    failures = "\n".join(report.failures)
    assert "GET /items/{item_id}" in failures
    assert "Server error" in failures
    assert "Undocumented status code" in failures
    assert "POST /counts (hostile body.n=2147483648)" in failures


async def test_identity_api_answers_no_server_error(
    kafka: testbed.KafkaHandle, topic_prefix: str, new_database: Any, tmp_path: Path
) -> None:
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        guardian, link = await stack.new_guardian("fuzz@example.jp")
        assert (await stack.set_password(link)).status_code == 204
        # Identity verifies only the ES256 tokens it signs: the role tokens are signed with
        # its own key, as its login would.
        issuer = TokenIssuer.from_private_key_file(
            tmp_path / "identity-signing.pem",
            algorithm="ES256",
            issuer=stack.settings.jwt_issuer,
            audience=stack.settings.jwt_audience,
        )
        # Identity names accounts by id, so every token it signs has a UUID subject. (One that
        # does not gives a 500 on /v1/me and /v1/logout-all: reported to identity's owners.)
        principals = {
            role: None
            if principal is None
            else principal.model_copy(
                update={"subject": str(uuid.uuid5(uuid.NAMESPACE_URL, principal.subject))}
            )
            for role, principal in role_principals(
                facility_id=FACILITY_ID, guardian_id=str(guardian)
            ).items()
        }
        principals["guardian"] = principals["guardian"].model_copy(  # type: ignore[union-attr]
            update={"subject": str(guardian)}
        )
        report = await fuzz(
            stack.client,
            bearer_headers(issuer, principals),
            checks=SERVER_ERRORS + CONFORMANCE,
            path_parameters={"code": CHIYODA},
        )
    assert report.failures == [], report.summary()

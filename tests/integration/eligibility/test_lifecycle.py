"""After 認定: change applications, revocation by the registries or an officer, ageing out."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, new_id, officer, token
from tsuen_common.auth import Role
from tsuen_common.timeutil import JST, set_test_clock
from tsuen_eligibility.adapters.orm import resident_records
from tsuen_eligibility.entrypoints.cli import expire_aged_out as expire_cli
from tsuen_eligibility.entrypoints.cli import seed_demo
from tsuen_eligibility.service_layer.certifications import expire_aged_out

ROOT = Path(__file__).resolve().parents[3]


async def certify(service, municipality: str, kana: str, birth: date) -> dict:
    await service.resident(municipality, kana, birth, moved_in_on=birth.isoformat())
    submitted = await service.apply(municipality, kana=kana, birth=birth)
    assert submitted.status_code == 201, submitted.text
    approved = await service.client.post(
        f"/v1/municipalities/{municipality}/applications/"
        f"{submitted.json()['application_id']}/approve",
        headers=officer(municipality),
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


async def email_change_token(service, email: str) -> str:
    """The token of the newest confirmation link mailed to ``email``, as its owner reads it."""
    sent = [
        e["payload"]
        for e in await service.outbox_events("eligibility.GuardianEmailChangeRequested")
        if e["payload"]["email"] == email
    ]
    assert sent, f"no confirmation link was mailed to {email}"
    return parse_qs(urlparse(sent[-1]["url"]).query)["token"][0]


async def revocations(service) -> list[tuple[str, str, str]]:
    return [
        (
            e["payload"]["certification_id"],
            e["payload"]["reason"],
            e["payload"]["effective_date"],
        )
        for e in await service.outbox_events("eligibility.CertificationRevoked")
    ]


async def test_change_application_by_the_guardian_waits_for_the_officer(service):
    cert = await certify(service, KAKEGAWA, "サトウ ケン", date(2025, 3, 3))
    cid = cert["certification_id"]
    url = f"/v1/municipalities/{KAKEGAWA}/certifications/{cid}/changes"
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=cert["guardian_id"])
    asked = await service.client.post(
        url, json={"address": "静岡県掛川市長谷2-2-2", "phone": "0537-00-0000"}, headers=guardian
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    # Nothing applies until an officer has looked at it.
    assert body["changed_fields"] == []
    assert body["pending_review"] == ["address", "phone"]
    assert "市区町村の確認後" in body["message_ja"]
    assert await service.outbox_events("eligibility.CertificationChanged") == []
    # One open request at a time, with a reason the guardian can read.
    again = await service.client.post(url, json={"phone": "0537-99-9999"}, headers=guardian)
    assert again.status_code == 409
    assert "確認中の変更申請" in again.json()["message_ja"]
    nothing = await service.client.post(url, json={}, headers=guardian)
    assert nothing.status_code == 422
    stranger = token(Role.GUARDIAN, KAKEGAWA, guardian_id="someone-else")
    other = await service.client.post(url, json={"phone": "0537-11-1111"}, headers=stranger)
    assert other.status_code == 404
    assert (
        await service.client.get(f"{url[: -len('changes')]}change-requests", headers=stranger)
    ).status_code == 404

    # The officer's queue shows what is on record beside what is asked for.
    queue = f"/v1/municipalities/{KAKEGAWA}/change-requests"
    [waiting] = (await service.client.get(queue, headers=officer(KAKEGAWA))).json()
    assert waiting["certification_id"] == cid
    assert [c["field"] for c in waiting["changes"]] == ["address", "phone"]
    assert waiting["changes"][0]["requested"] == "静岡県掛川市長谷2-2-2"
    assert waiting["changes"][0]["on_record"] != "静岡県掛川市長谷2-2-2"
    # Another municipality's officer sees none of it and cannot decide it.
    assert (await service.client.get(queue, headers=officer(CHIYODA))).status_code == 403
    chiyoda_path = f"/v1/municipalities/{CHIYODA}/change-requests/{waiting['id']}/approve"
    assert (await service.client.post(chiyoda_path, headers=officer(CHIYODA))).status_code == 404

    approved = await service.client.post(
        f"{queue}/{waiting['id']}/approve", headers=officer(KAKEGAWA)
    )
    assert approved.status_code == 200, approved.text
    [event] = await service.outbox_events("eligibility.CertificationChanged")
    assert event["payload"]["changed_fields"] == ["address", "phone"]
    [decided] = await service.outbox_events("eligibility.ChangeApplicationDecided")
    assert decided["payload"]["approved"] is True
    twice = await service.client.post(f"{queue}/{waiting['id']}/approve", headers=officer(KAKEGAWA))
    assert twice.status_code == 409
    assert (await service.client.get(queue, headers=officer(KAKEGAWA))).json() == []

    # A second request, rejected with a reason: nothing changes, the guardian is told why.
    asked = await service.client.post(url, json={"guardian_name": "佐藤 健"}, headers=guardian)
    request_id = asked.json()["change_request_id"]
    missing_reason = await service.client.post(
        f"{queue}/{request_id}/reject", json={"reason": " "}, headers=officer(KAKEGAWA)
    )
    assert missing_reason.status_code == 422
    rejected = await service.client.post(
        f"{queue}/{request_id}/reject",
        json={"reason": "戸籍の氏名と一致しません"},
        headers=officer(KAKEGAWA),
    )
    assert rejected.status_code == 200, rejected.text
    assert len(await service.outbox_events("eligibility.CertificationChanged")) == 1
    told = [
        e["payload"] for e in await service.outbox_events("eligibility.ChangeApplicationDecided")
    ]
    assert told[-1]["approved"] is False
    assert told[-1]["reason"] == "戸籍の氏名と一致しません"
    mine = await service.client.get(f"{url[: -len('changes')]}change-requests", headers=guardian)
    assert [r["status"] for r in mine.json()] == ["approved", "rejected"]


async def test_an_officers_own_change_applies_at_once(service):
    cert = await certify(service, KAKEGAWA, "サトウ ミナ", date(2025, 3, 4))
    url = f"/v1/municipalities/{KAKEGAWA}/certifications/{cert['certification_id']}/changes"
    changed = await service.client.post(
        url, json={"phone": "0537-22-2222"}, headers=officer(KAKEGAWA)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["changed_fields"] == ["phone"]
    assert "pending_review" not in changed.json()
    [event] = await service.outbox_events("eligibility.CertificationChanged")
    assert event["payload"]["changed_fields"] == ["phone"]


async def test_guardian_email_change_tells_booking_about_every_active_sibling(service):
    # Three siblings share the guardian account (same e-mail); one has been withdrawn.
    first = await certify(service, KAKEGAWA, "タナカ イチロウ", date(2025, 2, 1))
    second = await certify(service, KAKEGAWA, "タナカ ジロウ", date(2025, 2, 1))
    ended = await certify(service, KAKEGAWA, "タナカ サブロウ", date(2025, 5, 5))
    assert first["guardian_id"] == second["guardian_id"] == ended["guardian_id"]
    revoked = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{ended['certification_id']}/revoke",
        json={"reason": "withdrawn", "effective_date": service.clock().date().isoformat()},
        headers=officer(KAKEGAWA),
    )
    assert revoked.status_code == 200, revoked.text

    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=first["guardian_id"])
    changed = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{first['certification_id']}/changes",
        json={"guardian_email": "New.Address@example.jp"},
        headers=guardian,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["pending_confirmation"] == ["guardian_email"]
    # Nothing moves until the new address's owner opens the link.
    assert await service.outbox_events("eligibility.CertificationChanged") == []
    confirmed = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/email-changes/confirm",
        json={"token": await email_change_token(service, "new.address@example.jp")},
    )
    assert confirmed.status_code == 200, confirmed.text

    events = await service.outbox_events("eligibility.CertificationChanged")
    told = {e["payload"]["certification_id"]: e["payload"] for e in events}
    # One event per active certification of the guardian, none for the ended one.
    assert set(told) == {first["certification_id"], second["certification_id"]}
    assert len(events) == 2
    for payload in told.values():
        assert payload["guardian_email"] == "new.address@example.jp"
        assert payload["guardian_id"] == first["guardian_id"]
        assert "guardian_email" in payload["changed_fields"]
    assert told[second["certification_id"]]["child_id"] == second["child_id"]

    sibling = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{second['certification_id']}",
        headers=guardian,
    )
    assert sibling.json()["guardian_email"] == "new.address@example.jp"


async def test_registries_revoke_on_enrollment_and_moving_out(service):
    kept = await certify(service, KAKEGAWA, "タナカ ミオ", date(2025, 2, 2))
    enrolled = await certify(service, KAKEGAWA, "タナカ リク", date(2024, 12, 1))
    moved = await certify(service, KAKEGAWA, "タナカ ソラ", date(2024, 11, 1))

    csv = (
        "child_kana,child_birth_date,facility_type,enrolled_from\n"
        "たなか みお,2025-02-02,unlicensed,2026-07-01\n"  # 認可外: allowed in Kakegawa
        "タナカ リク,2024-12-01,licensed_nursery,2026-07-01\n"
    )
    imported = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/enrollments/csv",
        content=csv.encode("cp932"),
        headers={**officer(KAKEGAWA), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"rows": 2, "certifications_revoked": 1}

    await service.resident(KAKEGAWA, "タナカ ソラ", date(2024, 11, 1), moved_out_on="2026-08-15")
    assert await revocations(service) == [
        (enrolled["certification_id"], "enrolled", "2026-07-01"),
        (moved["certification_id"], "moved_out", "2026-08-15"),
    ]
    listed = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications",
        params={"status": "active"},
        headers=officer(KAKEGAWA),
    )
    assert [c["certification_id"] for c in listed.json()] == [kept["certification_id"]]

    bad_csv = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/enrollments/csv",
        content=b"child_kana,child_birth_date,facility_type,enrolled_from\nA,2025-01-01,zoo,x\n",
        headers={**officer(KAKEGAWA), "Content-Type": "text/csv"},
    )
    assert bad_csv.status_code == 422
    assert "CSV line 2" in bad_csv.json()["detail"]

    by_officer = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{kept['certification_id']}/revoke",
        json={"reason": "withdrawn", "effective_date": "2026-06-10"},
        headers=officer(KAKEGAWA),
    )
    assert by_officer.status_code == 200
    twice = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{kept['certification_id']}/revoke",
        json={"reason": "withdrawn", "effective_date": "2026-06-10"},
        headers=officer(KAKEGAWA),
    )
    assert twice.status_code == 409


async def test_expire_aged_out_is_idempotent(service):
    # Born 2023-06-03: reaches 3 on 2026-06-02, so the last usable day is 2026-06-01 (today).
    cert = await certify(service, CHIYODA, "スズキ ハル", date(2023, 6, 3))
    assert cert["valid_until"] == "2026-06-01"
    assert await expire_aged_out(service.ctx, on=date(2026, 6, 1)) == 0
    assert await expire_aged_out(service.ctx, on=date(2026, 6, 2)) == 1
    # The daily cron runs the command; a second run the same day finds nothing left.
    assert await asyncio.to_thread(expire_cli, service.settings, ["--on", "2026-06-02"]) == 0
    assert await revocations(service) == [(cert["certification_id"], "aged_out", "2026-06-02")]


async def test_seed_demo_reports_the_time_of_the_test_clock(service, tmp_path):
    # The command as an operator's shell runs it, in a test-environment process whose clock
    # file says 2030-01-07 09:00.
    clock_file = tmp_path / "clock"
    set_test_clock(clock_file, datetime(2030, 1, 7, 9, 0, tzinfo=JST))
    env = {
        **os.environ,
        "TSUEN_ENVIRONMENT": "test",
        "TSUEN_TEST_CLOCK_FILE": str(clock_file),
        "TSUEN_DATABASE_URL": service.settings.database_url,
        "TSUEN_KAFKA_TOPIC_PREFIX": service.settings.kafka_topic_prefix,
    }
    demo = str(ROOT / "deploy/demo/demo.yaml")
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("tsuen-eligibility")), "seed-demo", "--file", demo],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(
        [line for line in done.stdout.splitlines() if '"resident_records"' in line][-1]
    )
    assert printed["at"].startswith("2030-01-07T09:0")


async def test_seed_demo_creates_resident_records_once(service):
    demo = str(ROOT / "deploy/demo/demo.yaml")
    for _ in range(2):
        assert await asyncio.to_thread(seed_demo, service.settings, ["--file", demo]) == 0
    async with service.engine.connect() as conn:
        rows = (await conn.execute(sa.select(resident_records))).all()
    # One record per demo child (掛川市 and 千代田区), not two after the second run.
    assert sorted((r.municipality, r.child_birth_date) for r in rows) == [
        (CHIYODA, date(2024, 11, 3)),
        (KAKEGAWA, date(2025, 1, 15)),
    ]


async def test_a_guardian_lists_their_own_childrens_certifications_only(service):
    async def certify_for(email: str, kana: str, birth: date) -> dict:
        await service.resident(KAKEGAWA, kana, birth, moved_in_on=birth.isoformat())
        submitted = await service.apply(KAKEGAWA, email=email, kana=kana, birth=birth)
        assert submitted.status_code == 201, submitted.text
        approved = await service.client.post(
            f"/v1/municipalities/{KAKEGAWA}/applications/"
            f"{submitted.json()['application_id']}/approve",
            headers=officer(KAKEGAWA),
        )
        assert approved.status_code == 200, approved.text
        return approved.json()

    elder = await certify_for("ito@example.jp", "イトウ ハナ", date(2025, 1, 10))
    younger = await certify_for("ito@example.jp", "イトウ ソラ", date(2025, 11, 2))
    neighbour = await certify_for("kato@example.jp", "カトウ ユウ", date(2025, 4, 4))
    assert elder["guardian_id"] == younger["guardian_id"] != neighbour["guardian_id"]
    url = f"/v1/municipalities/{KAKEGAWA}/certifications"

    ito = token(Role.GUARDIAN, KAKEGAWA, guardian_id=elder["guardian_id"])
    mine = await service.client.get(url, headers=ito)
    assert mine.status_code == 200, mine.text
    assert {c["certification_id"] for c in mine.json()} == {
        elder["certification_id"],
        younger["certification_id"],
    }
    # Each certificate names its child, so a family with two tells them apart.
    assert {(c["child_name"], c["child_kana"]) for c in mine.json()} == {
        ("山田 ハナ", "イトウ ハナ"),
        ("山田 ソラ", "イトウ ソラ"),
    }
    kato = token(Role.GUARDIAN, KAKEGAWA, guardian_id=neighbour["guardian_id"])
    assert [
        c["certification_id"] for c in (await service.client.get(url, headers=kato)).json()
    ] == [neighbour["certification_id"]]
    not_a_uuid = token(Role.GUARDIAN, KAKEGAWA, guardian_id="someone-else")
    assert (await service.client.get(url, headers=not_a_uuid)).json() == []
    elsewhere = await service.client.get(
        f"/v1/municipalities/{CHIYODA}/certifications", headers=ito
    )
    assert elsewhere.status_code == 403
    staff = token(Role.FACILITY_STAFF, KAKEGAWA, facility_id="f-1")
    assert (await service.client.get(url, headers=staff)).status_code == 403
    everyone = await service.client.get(url, headers=officer(KAKEGAWA))
    assert len(everyone.json()) == 3


async def test_registry_csv_as_a_file_upload(service):
    # Issue 13, item 11: a browser form or `curl -F file=@residents.csv` sends multipart.
    csv = "child_kana,child_birth_date,moved_in_on\nオオタ ミナ,2025-03-03,2025-03-03\n"
    uploaded = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/resident-records/csv",
        files={"file": ("residents.csv", csv.encode("cp932"), "text/csv")},
        headers=officer(KAKEGAWA),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["rows"] == 1


async def test_an_officer_marks_a_certification_family_support_for_billing(service):
    """要支援家庭 from/to within the certification: announced for billing (FamilySupportMarked)
    and on the audit trail; outside the validity a Japanese reason; another municipality's
    officer gets the same 404 as for a missing certification."""
    cert = await certify(service, KAKEGAWA, "ヨウシエン ハナ", date(2025, 5, 5))
    cid = cert["certification_id"]
    url = f"/v1/municipalities/{KAKEGAWA}/certifications/{cid}/family-support"
    start = date.fromisoformat(cert["valid_from"])
    marked = await service.client.put(
        url, json={"from": start.isoformat(), "to": cert["valid_until"]}, headers=officer(KAKEGAWA)
    )
    assert marked.status_code == 200, marked.text
    (event,) = await service.outbox_events("eligibility.FamilySupportMarked")
    assert (event["payload"]["certification_id"], event["payload"]["valid_from"]) == (
        cid,
        start.isoformat(),
    )
    outside = await service.client.put(
        url,
        json={"from": start.isoformat(), "to": "2099-01-01"},
        headers=officer(KAKEGAWA),
    )
    assert outside.status_code == 422
    assert "認定の有効期間" in outside.json()["message_ja"]
    foreign = f"/v1/municipalities/{CHIYODA}/certifications/{cid}/family-support"
    for path in (foreign, foreign.replace(cid, new_id())):
        answer = await service.client.put(
            path,
            json={"from": start.isoformat(), "to": start.isoformat()},
            headers=officer(CHIYODA),
        )
        assert answer.status_code == 404, path
    assert len(await service.outbox_events("eligibility.FamilySupportMarked")) == 1

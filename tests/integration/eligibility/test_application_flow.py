"""Application → officer review → 認定, with ChildCertified read back from the real topic."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from aiokafka import AIOKafkaConsumer

from tests.integration.conftest import eventually
from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, PDF, officer
from tsuen_common.events import Topic, decode, topic_name
from tsuen_common.events.eligibility import ChildCertified
from tsuen_common.messaging import OutboxRelay, reliable_producer

BIRTH = date(2025, 1, 15)  # usable 2025-07-14 .. 2028-01-13


async def test_approved_application_certifies_the_child_and_reaches_kafka(service, kafka):
    await service.resident(KAKEGAWA, "ヤマダ タロウ", BIRTH, moved_in_on="2025-01-15")

    submitted = await service.apply(KAKEGAWA, kana="やまだ たろう", birth=BIRTH)
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["application_id"]
    assert submitted.json()["status"] == "pending"

    listed = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        params={"status": "pending", "q": "ヤマダ"},
        headers=officer(KAKEGAWA),
    )
    assert listed.status_code == 200
    assert [a["application_id"] for a in listed.json()] == [application_id]
    assert listed.json()[0]["checks"]["residency"] == "resident"

    failing = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        params={"checks_passed": "false"},
        headers=officer(KAKEGAWA),
    )
    assert failing.json() == []
    bad_status = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        params={"status": "pendng"},
        headers=officer(KAKEGAWA),
    )
    assert bad_status.status_code == 422

    detail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}", headers=officer(KAKEGAWA)
    )
    attachment = detail.json()["attachments"][0]
    assert attachment["size_bytes"] == len(PDF)
    download = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}"
        f"/attachments/{attachment['attachment_id']}",
        headers=officer(KAKEGAWA),
    )
    assert download.content == PDF

    approved = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}/approve",
        headers=officer(KAKEGAWA),
    )
    assert approved.status_code == 200, approved.text
    cert = approved.json()
    # 認定期間 from the day of certification (the child has been usable since 2025-07-14).
    assert (cert["valid_from"], cert["valid_until"]) == ("2026-06-01", "2028-01-13")
    assert cert["certificate_number"].startswith(f"{KAKEGAWA}-2026-")

    again = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}/approve",
        headers=officer(KAKEGAWA),
    )
    assert again.status_code == 409

    trail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/audit-log",
        params={"application_id": application_id},
        headers=officer(KAKEGAWA),
    )
    assert [(a["action"], a["actor"]) for a in trail.json()][1:] == [
        ("application.approved", f"test-municipality_officer-{KAKEGAWA}")
    ]
    assert trail.json()[0]["action"] == "application.submitted"

    producer = reliable_producer(kafka.bootstrap_servers, client_id="test-eligibility-relay")
    await producer.start()
    try:
        assert await OutboxRelay(engine=service.engine, producer=producer).run_once() >= 3
    finally:
        await producer.stop()

    certified = await _read_certified(kafka.bootstrap_servers, service.settings.kafka_topic_prefix)
    envelope, payload = certified
    assert envelope.municipality == KAKEGAWA
    assert payload.certification_id == uuid.UUID(cert["certification_id"])
    assert payload.guardian_email == "parent@example.jp"
    assert (payload.valid_from, payload.valid_until) == (date(2026, 6, 1), date(2028, 1, 13))
    assert payload.birth_date == BIRTH
    assert (payload.child_name, payload.child_kana) == ("山田 たろう", "やまだ たろう")

    # The guardian sees their own certification; an officer of another municipality does not.
    own = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{cert['certification_id']}",
        headers=_guardian(cert["guardian_id"]),
    )
    assert own.status_code == 200
    assert own.json()["certificate_number"] == cert["certificate_number"]
    foreign = await service.client.get(
        f"/v1/municipalities/{CHIYODA}/certifications/{cert['certification_id']}",
        headers=officer(CHIYODA),
    )
    assert foreign.status_code == 404


def _guardian(guardian_id: str) -> dict[str, str]:
    from tests.integration.eligibility.conftest import token
    from tsuen_common.auth import Role

    return token(Role.GUARDIAN, KAKEGAWA, guardian_id=guardian_id)


async def _read_certified(bootstrap: str, prefix: str) -> tuple[Any, ChildCertified]:
    consumer = AIOKafkaConsumer(
        topic_name(Topic.ELIGIBILITY, prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[tuple[Any, ChildCertified]] = []
    try:

        async def certified_arrived() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    envelope, payload = decode(record.value)
                    if isinstance(payload, ChildCertified):
                        found.append((envelope, payload))
            return bool(found)

        await eventually(certified_arrived, what="ChildCertified on the eligibility topic")
    finally:
        await consumer.stop()
    return found[0]


async def test_rejection_sends_no_certification(service):
    submitted = await service.apply(KAKEGAWA, birth=BIRTH)
    application_id = submitted.json()["application_id"]
    # No resident record: the residency check fails, so approval needs an acknowledgement.
    refused = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}/approve",
        headers=officer(KAKEGAWA),
    )
    assert refused.status_code == 409
    assert "residency check: not_found" in refused.json()["detail"]
    rejected = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}/reject",
        json={"reason": "住民登録が確認できません"},
        headers=officer(KAKEGAWA),
    )
    assert rejected.status_code == 200
    assert await service.outbox_events("eligibility.ChildCertified") == []
    [event] = await service.outbox_events("eligibility.ApplicationRejected")
    assert event["payload"]["application_id"] == application_id
    # A rejected application is no longer live: the family may apply again.
    assert (await service.apply(KAKEGAWA, birth=BIRTH)).status_code == 201


async def test_submission_response_does_not_disclose_the_registry_checks(service):
    """The applicant is unauthenticated: the registries must not be probeable through the form."""
    # No resident record for this child: the residency check fails, but only officers see it.
    submitted = await service.apply(KAKEGAWA, kana="すずき はなこ", birth=BIRTH)
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert set(body) == {"application_id", "status", "message"}
    assert body["status"] == "pending"
    text = submitted.text
    for leaked in ("checks", "residency", "enrollment", "not_resident"):
        assert leaked not in text

    detail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{body['application_id']}",
        headers=officer(KAKEGAWA),
    )
    assert detail.status_code == 200
    assert detail.json()["checks"]["passed"] is False

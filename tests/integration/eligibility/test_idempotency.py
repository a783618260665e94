"""Idempotency-Key on eligibility's POSTs (issue 18): an officer's approval retried after a
lost answer gets the certification, not 409 "already decided"."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tests.integration.eligibility.conftest import KAKEGAWA, officer

BIRTH = date(2025, 1, 15)


async def test_a_retried_approval_gets_the_certification_again(service: Any) -> None:
    await service.resident(KAKEGAWA, "ヤマダ ハナコ", BIRTH, moved_in_on="2025-01-15")
    submitted = await service.apply(KAKEGAWA, kana="やまだ はなこ", birth=BIRTH)
    assert submitted.status_code == 201, submitted.text
    url = f"/v1/municipalities/{KAKEGAWA}/applications/{submitted.json()['application_id']}"
    keyed = {**officer(KAKEGAWA), "Idempotency-Key": str(uuid.uuid4())}

    approved = await service.client.post(f"{url}/approve", headers=keyed)
    retried = await service.client.post(f"{url}/approve", headers=keyed)

    assert approved.status_code == 200, approved.text
    assert retried.status_code == 200, retried.text
    assert retried.json() == approved.json()
    assert retried.headers["idempotent-replayed"] == "true"
    reused = await service.client.post(f"{url}/reject", json={"reason": "x"}, headers=keyed)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert len(await service.outbox_events("eligibility.ChildCertified")) == 1

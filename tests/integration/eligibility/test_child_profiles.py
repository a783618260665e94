"""お子さんの情報登録: the guardian keeps the child's record; the facilities learn it by event.

The record (allergies, 医療的ケア, emergency contacts, who may pick up) is the child's safety at
the nursery: only the child's guardian writes it, the municipality's officers read it, anyone
else meets a 404, and every change is one ChildProfileUpdated with a rising version.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, officer, token
from tests.integration.eligibility.test_account_takeover import approve, victim_applies
from tests.integration.eligibility.test_lifecycle import certify
from tsuen_common.auth import Role

RECORD: dict[str, Any] = {
    "allergies": ["卵", "小麦"],
    "allergy_notes": "卵は加熱してあっても不可。エピペンを持参します。",
    "health_notes": "",
    "medical_care": False,
    "considerations": "大きな音が苦手です。",
    "family_doctor": "かけがわ小児科 0537-00-0000",
    "emergency_contacts": [
        {"name": "山田 花子", "relation": "母", "phone": "090-1111-2222"},
        {"name": "山田 太郎", "relation": "父", "phone": "090-3333-4444"},
    ],
    "pickup_persons": [{"name": "山田 和子", "relation": "祖母", "phone": "0537-11-1111"}],
}


def url(municipality: str, child_id: str) -> str:
    return f"/v1/municipalities/{municipality}/children/{child_id}/profile"


async def test_the_guardian_registers_and_changes_the_record_and_each_change_is_sent(service):
    child = await certify(service, KAKEGAWA, "ヤマダ ハナ", date(2025, 1, 10))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=child["guardian_id"])
    path = url(KAKEGAWA, child["child_id"])

    empty = await service.client.get(path, headers=guardian)
    assert empty.status_code == 200, empty.text
    assert empty.json()["version"] == 0
    assert empty.json()["profile"] is None
    assert empty.headers["cache-control"] == "no-store"

    saved = await service.client.put(
        path, json={"profile": RECORD, "expected_version": 0}, headers=guardian
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    assert saved.json()["profile"]["allergies"] == ["卵", "小麦"]

    changed = dict(RECORD, medical_care=True, medical_care_notes="食後に吸入があります。")
    again = await service.client.put(
        path, json={"profile": changed, "expected_version": 1}, headers=guardian
    )
    assert again.json()["version"] == 2
    # Saving the same record again is no change: no new version, no event.
    same = await service.client.put(path, json={"profile": changed}, headers=guardian)
    assert same.json()["version"] == 2

    sent = await service.outbox_events("eligibility.ChildProfileUpdated")
    assert [e["payload"]["profile_version"] for e in sent] == [1, 2]
    assert sent[1]["payload"]["child_id"] == child["child_id"]
    assert sent[1]["payload"]["profile"]["medical_care"] is True
    assert (await service.client.get(path, headers=guardian)).json()["profile"] == {
        **changed,
        "pickup_persons": RECORD["pickup_persons"],
    }


async def test_a_stale_form_is_refused_rather_than_overwriting_a_newer_record(service):
    child = await certify(service, KAKEGAWA, "ヤマダ ソラ", date(2025, 2, 11))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=child["guardian_id"])
    path = url(KAKEGAWA, child["child_id"])
    await service.client.put(path, json={"profile": RECORD}, headers=guardian)
    stale = await service.client.put(
        path,
        json={"profile": dict(RECORD, considerations=""), "expected_version": 0},
        headers=guardian,
    )
    assert stale.status_code == 409
    assert "最新の内容" in stale.json()["message_ja"]


async def test_a_record_without_an_emergency_contact_or_with_control_characters_is_refused(
    service,
):
    child = await certify(service, KAKEGAWA, "ヤマダ リク", date(2025, 3, 12))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=child["guardian_id"])
    path = url(KAKEGAWA, child["child_id"])
    no_contact = await service.client.put(
        path, json={"profile": dict(RECORD, emergency_contacts=[])}, headers=guardian
    )
    assert no_contact.status_code == 422
    bad_name = dict(RECORD["emergency_contacts"][0], name="\u200b\u200b")
    invisible = await service.client.put(
        path, json={"profile": dict(RECORD, emergency_contacts=[bad_name])}, headers=guardian
    )
    assert invisible.status_code == 422
    assert await service.outbox_events("eligibility.ChildProfileUpdated") == []


async def test_nobody_but_the_guardian_writes_and_no_other_family_or_ward_reads(service):
    child = await certify(service, KAKEGAWA, "ヤマダ ミオ", date(2025, 4, 13))
    other = (
        await approve(service, await victim_applies(service, "スズキ ケン", date(2025, 4, 14)))
    ).json()
    assert other["guardian_id"] != child["guardian_id"]
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=child["guardian_id"])
    path = url(KAKEGAWA, child["child_id"])
    await service.client.put(path, json={"profile": RECORD}, headers=guardian)

    stranger = token(Role.GUARDIAN, KAKEGAWA, guardian_id=other["guardian_id"])
    assert (await service.client.get(path, headers=stranger)).status_code == 404
    written = await service.client.put(path, json={"profile": RECORD}, headers=stranger)
    assert written.status_code == 404

    ward = await service.client.get(path, headers=officer(KAKEGAWA))
    assert ward.status_code == 200
    assert ward.json()["version"] == 1
    assert (
        await service.client.put(path, json={"profile": RECORD}, headers=officer(KAKEGAWA))
    ).status_code == 403
    # Another municipality's officer, or the child under another municipality's path: the
    # record looks missing, like any record of another tenant.
    assert (await service.client.get(path, headers=officer(CHIYODA))).status_code == 404
    elsewhere = await service.client.get(url(CHIYODA, child["child_id"]), headers=guardian)
    assert elsewhere.status_code in (403, 404)
    staff = token(Role.FACILITY_STAFF, KAKEGAWA, facility_id=child["child_id"])
    assert (await service.client.get(path, headers=staff)).status_code == 404


async def test_two_first_registrations_at_once_never_share_a_version(service):
    # Two phones of one family save the first record at the same moment: there is no row to
    # lock yet, and the facilities must still end with the record eligibility keeps.
    child = await certify(service, KAKEGAWA, "ヤマダ フタバ", date(2025, 5, 15))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=child["guardian_id"])
    path = url(KAKEGAWA, child["child_id"])
    answers = await asyncio.gather(
        *(
            service.client.put(
                path, json={"profile": dict(RECORD, allergies=[food])}, headers=guardian
            )
            for food in ("卵", "そば")
        )
    )
    assert sorted(a.json()["version"] for a in answers) == [1, 2]
    sent = await service.outbox_events("eligibility.ChildProfileUpdated")
    assert sorted(e["payload"]["profile_version"] for e in sent) == [1, 2]
    newest = max(sent, key=lambda e: e["payload"]["profile_version"])
    kept = (await service.client.get(path, headers=guardian)).json()
    assert kept["version"] == 2
    assert kept["profile"]["allergies"] == newest["payload"]["profile"]["allergies"]

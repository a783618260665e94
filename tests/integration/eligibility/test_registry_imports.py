"""Registry imports previewed before they are applied (issue 16): line-numbered errors, what
changes, the certifications that would end; applying needs the preview's fingerprint."""

from __future__ import annotations

from datetime import date

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, officer
from tests.integration.eligibility.test_lifecycle import certify, revocations

ENROLL = "child_kana,child_birth_date,facility_type,enrolled_from,enrolled_until\n"


def url(kind: str, *, preview: bool = False) -> str:
    return f"/v1/municipalities/{KAKEGAWA}/imports/{kind}" + ("/preview" if preview else "")


async def test_a_preview_names_bad_lines_and_changes_nothing(service):
    csv = (
        "child_kana,child_birth_date,moved_in_on,moved_out_on\n"
        "オオタ ミナ,2025-03-03,2025-03-03,\n"
        "Ota,2025-03-03,,\n"
        "オオタ ケン,2025-13-01,,\n"
    )
    shown = await service.client.post(
        url("resident-records", preview=True), json={"csv": csv}, headers=officer(KAKEGAWA)
    )
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "child_kana"),
        (4, "child_birth_date"),
    ]
    assert all(e["message_ja"] for e in body["errors"])
    assert body["counts"] == {"new": 1, "changed": 0, "unchanged": 0}

    refused = await service.client.post(
        url("resident-records"),
        json={"csv": csv, "fingerprint": body["fingerprint"]},
        headers=officer(KAKEGAWA),
    )
    assert refused.status_code == 409
    assert "誤り" in refused.json()["message_ja"]
    assert await service.outbox_events("eligibility.CertificationRevoked") == []
    log = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/audit-log", headers=officer(KAKEGAWA)
    )
    assert "residents.imported" not in [e["action"] for e in log.json()]


async def test_an_enrollment_preview_names_the_certification_it_would_end_then_applies(service):
    ending = await certify(service, KAKEGAWA, "タナカ リク", date(2024, 12, 1))
    kept = await certify(service, KAKEGAWA, "タナカ ミオ", date(2025, 2, 2))
    csv = (
        ENROLL
        + "たなか みお,2025-02-02,unlicensed,2026-07-01,\n"  # 認可外: allowed in Kakegawa
        + "タナカ リク,2024-12-01,licensed_nursery,2026-07-01,\n"
    )
    shown = await service.client.post(
        url("enrollments", preview=True), json={"csv": csv}, headers=officer(KAKEGAWA)
    )
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["errors"] == []
    assert body["counts"]["new"] == 2
    [ends] = body["certifications_ending"]
    assert ends["certificate_number"] == ending["certificate_number"]
    assert ends["child_name"]
    assert (ends["reason"], ends["ends_on"], ends["line"]) == ("enrolled", "2026-07-01", 3)
    assert await revocations(service) == []  # a preview changes nothing

    # Another CSV than the one previewed is refused: the officer applies what they saw.
    other = csv + "タナカ ミオ,2025-02-02,licensed_nursery,2026-09-01,\n"
    stale = await service.client.post(
        url("enrollments"),
        json={"csv": other, "fingerprint": body["fingerprint"]},
        headers=officer(KAKEGAWA),
    )
    assert stale.status_code == 409
    assert stale.json()["message_ja"]

    applied = await service.client.post(
        url("enrollments"),
        json={"csv": csv, "fingerprint": body["fingerprint"]},
        headers=officer(KAKEGAWA),
    )
    assert applied.status_code == 200, applied.text
    assert applied.json() == {"rows": 2, "certifications_revoked": 1}
    assert await revocations(service) == [(ending["certification_id"], "enrolled", "2026-07-01")]
    assert kept["certification_id"] != ending["certification_id"]

    again = await service.client.post(
        url("enrollments", preview=True), json={"csv": csv}, headers=officer(KAKEGAWA)
    )
    assert again.json()["counts"] == {"new": 0, "changed": 0, "unchanged": 2}
    assert again.json()["certifications_ending"] == []


async def test_another_municipalitys_officer_can_neither_preview_nor_apply(service):
    csv = "child_kana,child_birth_date,moved_in_on,moved_out_on\nオオタ ミナ,2025-03-03,,\n"
    shown = await service.client.post(
        url("resident-records", preview=True), json={"csv": csv}, headers=officer(CHIYODA)
    )
    assert shown.status_code == 403
    applied = await service.client.post(
        url("resident-records"), json={"csv": csv, "fingerprint": "x"}, headers=officer(CHIYODA)
    )
    assert applied.status_code == 403

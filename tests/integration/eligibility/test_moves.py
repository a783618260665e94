"""転入 (issue 17.3) in eligibility on a real PostgreSQL: a move after the old home already
imported the 転出, and a child whose match needs the officer's decision."""

from __future__ import annotations

from datetime import date

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, officer
from tests.integration.eligibility.test_lifecycle import certify, revocations

BIRTH = date(2025, 1, 15)


async def _approve(service, municipality: str, application_id: str, **body):  # type: ignore[no-untyped-def]
    return await service.client.post(
        f"/v1/municipalities/{municipality}/applications/{application_id}/approve",
        json=body,
        headers=officer(municipality),
    )


async def test_a_move_after_the_old_homes_move_out_keeps_the_child_and_ends_nothing_more(
    service,  # type: ignore[no-untyped-def]
) -> None:
    chiyoda = await certify(service, CHIYODA, "イドウ ハル", BIRTH)
    # 転出 comes first: Chiyoda's resident records end the certification from 28 May.
    await service.resident(
        CHIYODA, "イドウ ハル", BIRTH, moved_in_on=BIRTH.isoformat(), moved_out_on="2026-05-28"
    )
    assert await revocations(service) == [(chiyoda["certification_id"], "moved_out", "2026-05-28")]

    kakegawa = await certify(service, KAKEGAWA, "イドウ ハル", BIRTH)
    assert kakegawa["child_id"] == chiyoda["child_id"]  # one child, one month's hours
    assert kakegawa["moved_from"] == {
        "municipality": CHIYODA,
        "certification_id": chiyoda["certification_id"],
        "last_day": "2026-05-27",  # as Chiyoda ended it; the days between are nobody's
    }
    # Nothing more ended: the one revocation is still the import's.
    assert len(await revocations(service)) == 1
    trail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{kakegawa['application_id']}",
        headers=officer(KAKEGAWA),
    )
    [approved] = [a for a in trail.json()["audit"] if a["action"] == "application.approved"]
    assert approved["detail"]["moved_from"] == chiyoda["certification_id"]
    assert approved["detail"]["another_child"] is False


async def test_another_guardian_waits_for_the_officer_who_may_say_it_is_another_child(
    service,  # type: ignore[no-untyped-def]
) -> None:
    chiyoda = await certify(service, CHIYODA, "フタゴ アオイ", BIRTH)
    await service.resident(KAKEGAWA, "フタゴ アオイ", BIRTH, moved_in_on=BIRTH.isoformat())
    guardian = {
        "name": "別所 恵",
        "kana": "ベッショ メグミ",
        "birth_date": "1988-08-08",
        "address": "静岡県掛川市長谷1-1-1",
        "phone": "0537-00-0000",
        "gender": "female",
        "relationship_to_child": "母",
    }
    submitted = await service.apply(
        KAKEGAWA, email="other@example.jp", kana="フタゴ アオイ", birth=BIRTH, guardian=guardian
    )
    assert submitted.status_code == 201, submitted.text
    app_id = submitted.json()["application_id"]

    review = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{app_id}", headers=officer(KAKEGAWA)
    )
    [elsewhere] = review.json()["certified_elsewhere"]
    assert (elsewhere["certification_id"], elsewhere["same_guardian"]) == (
        chiyoda["certification_id"],
        False,
    )
    undecided = await _approve(service, KAKEGAWA, app_id)
    assert undecided.status_code == 409, undecided.text
    assert undecided.json()["code"] == "move_decision_needed"
    assert "転入による同じお子さまか" in undecided.json()["message_ja"]
    both = await _approve(
        service,
        KAKEGAWA,
        app_id,
        another_child=True,
        moved_from_certification_id=chiyoda["certification_id"],
    )
    assert both.status_code == 422, both.text

    another = await _approve(service, KAKEGAWA, app_id, another_child=True)
    assert another.status_code == 200, another.text
    assert another.json()["child_id"] != chiyoda["child_id"]
    assert another.json()["moved_from"] is None
    assert await revocations(service) == []  # Chiyoda's child keeps its certification

"""Issue 12, item 1: a guardian must never receive a stranger's child through an e-mail address.

The attack: guardian A changes their address to B's, B later applies and is approved, and the
approval attached B's child to A's account (matched by address), so A saw B's certification
and quota. Both halves are closed: a new address is used only after its owner confirms it, and
approval attaches a child to an existing account only when the same guardian applies.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from tests.integration.eligibility.conftest import KAKEGAWA, application_form, officer, token
from tests.integration.eligibility.test_lifecycle import certify, email_change_token
from tsuen_common.auth import Role
from tsuen_eligibility.adapters.orm import guardian_accounts

ATTACKER_EMAIL = "parent@example.jp"  # the conftest's default applicant
VICTIM_EMAIL = "victim@example.jp"
VICTIM_GUARDIAN = {
    "name": "鈴木 恵",
    "kana": "スズキ メグミ",
    "birth_date": "1990-09-09",
    "address": "静岡県掛川市長谷3-3-3",
    "phone": "0537-22-2222",
    "gender": "female",
    "relationship_to_child": "母",
}


async def victim_applies(service: Any, kana: str, birth: date) -> Any:
    await service.resident(KAKEGAWA, kana, birth, moved_in_on=birth.isoformat())
    link = await service.link_token(KAKEGAWA, VICTIM_EMAIL)
    form = application_form(link, kana=kana, birth=birth)
    form["guardian"] = VICTIM_GUARDIAN
    submitted = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=form)
    assert submitted.status_code == 201, submitted.text
    return submitted.json()["application_id"]


async def approve(service: Any, application_id: str) -> Any:
    return await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}/approve",
        headers=officer(KAKEGAWA),
    )


async def test_an_unconfirmed_address_change_gives_the_attacker_nothing(service):
    mine = await certify(service, KAKEGAWA, "ワルイ タロウ", date(2025, 1, 10))
    attacker = token(Role.GUARDIAN, KAKEGAWA, guardian_id=mine["guardian_id"])
    asked = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{mine['certification_id']}/changes",
        json={"guardian_email": VICTIM_EMAIL},
        headers=attacker,
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["changed_fields"] == []
    assert "確認メール" in asked.json()["message_ja"]
    # The link goes to the victim's address only; the attacker's account keeps its own.
    [mailed] = await service.outbox_events("eligibility.GuardianEmailChangeRequested")
    assert mailed["payload"]["email"] == VICTIM_EMAIL
    assert await service.outbox_events("eligibility.CertificationChanged") == []
    own = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{mine['certification_id']}",
        headers=attacker,
    )
    assert own.json()["guardian_email"] == ATTACKER_EMAIL

    # The victim applies and is certified: their child gets their own account.
    approved = await approve(
        service, await victim_applies(service, "スズキ ハル", date(2025, 2, 2))
    )
    assert approved.status_code == 200, approved.text
    victim = approved.json()
    assert victim["guardian_id"] != mine["guardian_id"]
    stolen = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{victim['certification_id']}",
        headers=attacker,
    )
    assert stolen.status_code == 404
    listed = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications", headers=attacker
    )
    assert [c["certification_id"] for c in listed.json()] == [mine["certification_id"]]

    # The link the victim never asked for cannot be used by the attacker after all: the
    # victim's address now has an account of its own.
    confirmed = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/email-changes/confirm",
        json={"token": await email_change_token(service, VICTIM_EMAIL)},
    )
    assert confirmed.status_code == 409
    assert "別のアカウント" in confirmed.json()["message_ja"]


async def test_approval_never_attaches_a_child_on_an_address_match_alone(service):
    # An address taken over before this fix (or by any other way) is still no key to a child.
    mine = await certify(service, KAKEGAWA, "ワルイ ジロウ", date(2025, 1, 11))
    async with service.engine.begin() as conn:
        await conn.execute(
            sa.update(guardian_accounts)
            .where(guardian_accounts.c.id == mine["guardian_id"])
            .values(email=VICTIM_EMAIL)
        )
    application_id = await victim_applies(service, "スズキ ナツ", date(2025, 3, 3))
    refused = await approve(service, application_id)
    assert refused.status_code == 409
    assert "別の保護者のアカウント" in refused.json()["message_ja"]
    certified = [
        e["payload"]["guardian_id"]
        for e in await service.outbox_events("eligibility.ChildCertified")
    ]
    assert certified == [mine["guardian_id"]]


async def test_the_same_guardian_s_second_child_joins_the_account(service):
    first = await certify(service, KAKEGAWA, "ヤマダ イチカ", date(2025, 1, 12))
    second = await certify(service, KAKEGAWA, "ヤマダ ニコ", date(2025, 4, 4))
    assert first["guardian_id"] == second["guardian_id"]


async def test_a_confirmation_link_works_once_and_not_after_it_expires(service):
    mine = await certify(service, KAKEGAWA, "ヤマダ ミク", date(2025, 1, 13))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=mine["guardian_id"])
    url = f"/v1/municipalities/{KAKEGAWA}/certifications/{mine['certification_id']}/changes"
    confirm = f"/v1/municipalities/{KAKEGAWA}/email-changes/confirm"

    await service.client.post(url, json={"guardian_email": "late@example.jp"}, headers=guardian)
    late = await email_change_token(service, "late@example.jp")
    service.clock.advance(hours=service.settings.email_change_validity_hours)
    expired = await service.client.post(confirm, json={"token": late})
    assert expired.status_code == 410
    assert "有効期限" in expired.json()["message_ja"]

    await service.client.post(url, json={"guardian_email": "new@example.jp"}, headers=guardian)
    fresh = await email_change_token(service, "new@example.jp")
    assert (await service.client.post(confirm, json={"token": fresh})).status_code == 200
    again = await service.client.post(confirm, json={"token": fresh})
    assert again.status_code == 410
    unknown = await service.client.post(confirm, json={"token": "x" * 43})
    assert unknown.status_code == 404
    shown = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/certifications/{mine['certification_id']}",
        headers=guardian,
    )
    assert shown.json()["guardian_email"] == "new@example.jp"


async def test_a_newer_request_retires_the_older_link(service):
    mine = await certify(service, KAKEGAWA, "ヤマダ ヨル", date(2025, 1, 14))
    guardian = token(Role.GUARDIAN, KAKEGAWA, guardian_id=mine["guardian_id"])
    url = f"/v1/municipalities/{KAKEGAWA}/certifications/{mine['certification_id']}/changes"
    await service.client.post(url, json={"guardian_email": "first@example.jp"}, headers=guardian)
    older = await email_change_token(service, "first@example.jp")
    service.clock.advance(minutes=1)
    await service.client.post(url, json={"guardian_email": "second@example.jp"}, headers=guardian)
    refused = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/email-changes/confirm", json={"token": older}
    )
    assert refused.status_code == 410

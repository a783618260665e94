"""An auditable lottery: hash before, seed after, and anyone's re-run gives the same order."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, timedelta
from importlib.resources import files

import pytest

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, officer, running_service
from tsuen_eligibility.entrypoints.cli import replay_draw
from tsuen_eligibility.service_layer.waitlist import lapse_acceptances

KANA = ["アオキ ア", "イトウ イ", "ウエダ ウ", "エンドウ エ", "オノ オ", "カトウ カ"]


async def test_draw_is_reproducible_and_the_waitlist_moves_up(service, tmp_path, capsys):
    opened = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds",
        json={"name": "令和8年度 第1期", "places": 2},
        headers=officer(CHIYODA),
    )
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["round_id"]
    assert opened.json()["seed"] is None  # secret until the draw
    seed_hash = opened.json()["seed_hash"]

    application_ids = []
    for n, kana in enumerate(KANA):
        response = await service.apply(
            CHIYODA, email=f"family{n}@example.jp", kana=kana, birth=date(2025, 1, 1 + n)
        )
        assert response.status_code == 201, response.text
        application_ids.append(response.json()["application_id"])

    early = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications/{application_ids[0]}/approve",
        json={"acknowledge_failed_checks": True},
        headers=officer(CHIYODA),
    )
    assert early.status_code == 409
    assert "lottery round" in early.json()["detail"]

    drawn = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/draw", headers=officer(CHIYODA)
    )
    assert drawn.status_code == 200, drawn.text
    published = (
        await service.client.get(f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}")
    ).json()
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == seed_hash
    assert [a["application_id"] for a in published["applicants"]] == sorted(application_ids)
    assert "example.jp" not in json.dumps(published)  # the public list has no e-mails
    order = published["order"]
    assert sorted(order) == sorted(application_ids)

    replayed = await service.client.post(
        "/v1/lottery/replay",
        json={
            "seed": published["seed"],
            "seed_hash": seed_hash,
            "places": published["places"],
            "applicants": published["applicants"],
            "priority_tiers": published["priority_tiers"],
            "siblings_together": published["siblings_together"],
            "waitlist_enabled": published["waitlist_enabled"],
        },
    )
    assert replayed.status_code == 200
    assert replayed.json()["order"] == order
    assert replayed.json()["winners"] == order[:2]
    assert replayed.json()["waitlist"] == order[2:]

    forged = await service.client.post(
        "/v1/lottery/replay",
        json={"seed": "forged", "seed_hash": seed_hash, "places": 2, "applicants": []},
    )
    assert forged.status_code == 422

    round_file = tmp_path / "round.json"
    round_file.write_text(json.dumps(published))
    assert replay_draw(service.settings, [str(round_file)]) == 0
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last_line)["matches_published_order"] is True

    results = {r["application_id"]: r for r in published["results"]}
    assert [results[i]["outcome"] for i in order] == ["won", "won"] + ["waitlisted"] * 4
    assert [results[i]["waitlist_position"] for i in order[2:]] == [1, 2, 3, 4]
    decided = await service.outbox_events("eligibility.LotteryResultDecided")
    assert sorted(e["payload"]["outcome"] for e in decided) == ["waitlisted"] * 4 + ["won"] * 2

    waitlisted = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications/{order[2]}/approve",
        json={"acknowledge_failed_checks": True},
        headers=officer(CHIYODA),
    )
    assert waitlisted.status_code == 409
    assert "補欠 1" in waitlisted.json()["detail"]

    winner = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications/{order[0]}/approve",
        json={"acknowledge_failed_checks": True},
        headers=officer(CHIYODA),
    )
    assert winner.status_code == 200, winner.text

    declined = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/entries/{order[1]}/decline",
        headers=officer(CHIYODA),
    )
    assert declined.status_code == 200
    assert declined.json()["promoted"] == order[2]

    # 補欠 1 lets the deadline (7 days in Chiyoda) pass: 補欠 2 moves up; idempotent.
    deadline_passed = service.clock.now.date() + timedelta(days=8)
    assert await lapse_acceptances(service.ctx, on=deadline_passed) == 1
    assert await lapse_acceptances(service.ctx, on=deadline_passed) == 0
    promoted = [
        e["payload"]["application_id"]
        for e in await service.outbox_events("eligibility.LotteryResultDecided")
        if e["payload"]["outcome"] == "promoted"
    ]
    assert promoted == [order[2], order[3]]

    # Rejecting a promoted winner frees the place again; rejecting a 補欠 just removes them.
    for rejected_id in (order[3], order[5]):
        rejected = await service.client.post(
            f"/v1/municipalities/{CHIYODA}/applications/{rejected_id}/reject",
            json={"reason": "住民登録が確認できません"},
            headers=officer(CHIYODA),
        )
        assert rejected.status_code == 200, rejected.text
    final = (
        await service.client.get(f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}")
    ).json()
    outcomes = {r["application_id"]: r["outcome"] for r in final["results"]}
    assert [outcomes[i] for i in order] == [
        "accepted",
        "declined",
        "lapsed",
        "rejected",
        "promoted",
        "rejected",
    ]
    assert final["order"] == order  # the published order never changes


async def test_municipality_without_lottery_refuses_a_round(service):
    response = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/lottery-rounds",
        json={"name": "x", "places": 1},
        headers=officer(KAKEGAWA),
    )
    assert response.status_code == 409
    assert "lottery.enabled" in response.json()["detail"]


async def _drawn_round(service, name: str, applications: list[tuple[str, str, date]]) -> dict:
    opened = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds",
        json={"name": name, "places": 1},
        headers=officer(CHIYODA),
    )
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["round_id"]
    for email, kana, birth in applications:
        response = await service.apply(CHIYODA, email=email, kana=kana, birth=birth)
        assert response.status_code == 201, response.text
    drawn = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/draw", headers=officer(CHIYODA)
    )
    assert drawn.status_code == 200, drawn.text
    return (
        await service.client.get(f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}")
    ).json()


async def test_public_family_key_cannot_be_derived_from_the_email(service):
    siblings = "siblings@example.jp"
    other = "other@example.jp"
    published = await _drawn_round(
        service,
        "令和8年度 第2期",
        [
            (siblings, "サイトウ ア", date(2025, 2, 2)),
            (siblings, "サイトウ イ", date(2025, 2, 2)),
            (other, "スギタ ウ", date(2025, 3, 3)),
        ],
    )
    families = [a["family"] for a in published["applicants"]]
    assert len(families) == 3
    # The siblings are grouped (one shared key), the other family has its own ...
    assert len(set(families)) == 2
    assert sorted(families.count(f) for f in set(families)) == [1, 2]
    # ... but no key is a function of an e-mail anyone could know.
    for email in (siblings, other):
        digest = hashlib.sha256(email.encode()).hexdigest()
        assert all(f not in digest for f in families)
    sibling_key = next(f for f in families if families.count(f) == 2)

    # The replay needs only the grouping: it still gives the published order.
    replayed = await service.client.post(
        "/v1/lottery/replay",
        json={
            "seed": published["seed"],
            "seed_hash": published["seed_hash"],
            "places": published["places"],
            "applicants": published["applicants"],
            "priority_tiers": published["priority_tiers"],
            "siblings_together": published["siblings_together"],
            "waitlist_enabled": published["waitlist_enabled"],
        },
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["order"] == published["order"]

    # A later round draws a fresh key: the family cannot be followed from round to round.
    later = await _drawn_round(
        service, "令和8年度 第3期", [(siblings, "サイトウ ウ", date(2025, 4, 4))]
    )
    [applicant] = later["applicants"]
    assert applicant["family"] != sibling_key


@pytest.mark.parametrize("mail_not_selected", [True, False])
async def test_applicants_not_drawn_are_mailed_where_the_policy_says_so(
    kafka, topic_prefix, new_database, tmp_path, mail_not_selected
):
    # Chiyoda's rules with 補欠 switched off, and the 落選 mail on or off.
    presets = files("tsuen_common.policy") / "presets"
    for preset in presets.iterdir():
        if preset.name.endswith(".yaml"):
            text = preset.read_text(encoding="utf-8")
            text = text.replace("waitlist_enabled: true", "waitlist_enabled: false")
            text = text.replace(
                "mail_not_selected: false", f"mail_not_selected: {str(mail_not_selected).lower()}"
            )
            (tmp_path / preset.name).write_text(text, "utf-8")
    async with running_service(kafka, topic_prefix, new_database, policy_dir=tmp_path) as service:
        lottery = service.ctx.policy(CHIYODA).lottery
        assert (lottery.waitlist_enabled, lottery.mail_not_selected) == (False, mail_not_selected)
        opened = await service.client.post(
            f"/v1/municipalities/{CHIYODA}/lottery-rounds",
            json={"name": "令和8年度 第2期", "places": 1},
            headers=officer(CHIYODA),
        )
        round_id = opened.json()["round_id"]
        for n, kana in enumerate(KANA[:3]):
            applied = await service.apply(
                CHIYODA, email=f"family{n}@example.jp", kana=kana, birth=date(2025, 1, 1 + n)
            )
            assert applied.status_code == 201, applied.text
        drawn = await service.client.post(
            f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/draw",
            headers=officer(CHIYODA),
        )
        assert drawn.status_code == 200, drawn.text
        results = {
            r["outcome"]
            for r in (
                await service.client.get(f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}")
            ).json()["results"]
        }
        assert results == {"won", "not_selected"}
        decided = await service.outbox_events("eligibility.LotteryResultDecided")
        outcomes = sorted(e["payload"]["outcome"] for e in decided)
        if mail_not_selected:
            assert outcomes == ["not_selected", "not_selected", "won"]
            assert len({e["payload"]["email"] for e in decided}) == 3  # each family, once
        else:
            assert outcomes == ["won"]  # the others read the result on the homepage


async def test_the_officer_sees_who_a_round_takes_and_then_the_drawn_order(service):
    opened = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds",
        json={"name": "令和8年度 第2期", "places": 1},
        headers=officer(CHIYODA),
    )
    round_id = opened.json()["round_id"]
    ids = []
    for n, kana in enumerate(KANA[:3]):
        response = await service.apply(
            CHIYODA, email=f"entry{n}@example.jp", kana=kana, birth=date(2025, 2, 1 + n)
        )
        ids.append(response.json()["application_id"])
    entries_path = f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/entries"

    before = await service.client.get(entries_path, headers=officer(CHIYODA))
    assert before.status_code == 200, before.text
    assert [e["application_id"] for e in before.json()] == sorted(ids)  # whom the draw takes
    assert {e["child_name"] for e in before.json()} == {"山田 ア", "山田 イ", "山田 ウ"}
    assert {e["outcome"] for e in before.json()} == {None}

    # Names are for the municipality's officers only; another round id is a 404.
    foreign = await service.client.get(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/entries",
        headers=officer(KAKEGAWA),
    )
    assert foreign.status_code == 403
    public = await service.client.get(entries_path)
    assert public.status_code == 401
    missing = await service.client.get(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds/{uuid.uuid4()}/entries",
        headers=officer(CHIYODA),
    )
    assert missing.status_code == 404
    assert missing.json()["message_ja"]

    drawn = await service.client.post(
        f"{entries_path[: -len('/entries')]}/draw", headers=officer(CHIYODA)
    )
    order = drawn.json()["order"]
    after = (await service.client.get(entries_path, headers=officer(CHIYODA))).json()
    assert [e["application_id"] for e in after] == order
    assert [e["outcome"] for e in after] == ["won", "waitlisted", "waitlisted"]
    assert [e["waitlist_position"] for e in after] == [None, 1, 2]
    assert [e["draw_position"] for e in after] == [1, 2, 3]


async def test_a_closed_round_publishes_its_list_and_draws_exactly_that_list(service):
    opened = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/lottery-rounds",
        json={"name": "令和8年度 第3期", "places": 1},
        headers=officer(CHIYODA),
    )
    round_id = opened.json()["round_id"]
    path = f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}"
    listed = []
    for n, kana in enumerate(KANA[:3]):
        response = await service.apply(
            CHIYODA, email=f"closed{n}@example.jp", kana=kana, birth=date(2025, 3, 1 + n)
        )
        listed.append(response.json()["application_id"])

    closed = await service.client.post(f"{path}/close", headers=officer(CHIYODA))
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["seed"] is None  # still secret: only the list is published
    public = (await service.client.get(path)).json()
    assert [a["application_id"] for a in public["applicants"]] == sorted(listed)
    again = await service.client.post(f"{path}/close", headers=officer(CHIYODA))
    assert again.status_code == 409
    assert again.json()["message_ja"]

    # Until the draw, the listed applications are the draw's: no approval, rejection or tier.
    first = listed[0]
    for method, suffix, body in (
        ("POST", "approve", {"acknowledge_failed_checks": True}),
        ("POST", "reject", {"reason": "理由"}),
    ):
        refused = await service.client.request(
            method,
            f"/v1/municipalities/{CHIYODA}/applications/{first}/{suffix}",
            json=body,
            headers=officer(CHIYODA),
        )
        assert refused.status_code == 409, (suffix, refused.text)
        assert "締め切った抽選" in refused.json()["message_ja"]

    # A late application is not on the list; the draw takes exactly the published list.
    late = await service.apply(
        CHIYODA, email="late@example.jp", kana=KANA[3], birth=date(2025, 3, 9)
    )
    late_id = late.json()["application_id"]
    entries = (await service.client.get(f"{path}/entries", headers=officer(CHIYODA))).json()
    assert [e["application_id"] for e in entries] == sorted(listed)
    drawn = await service.client.post(f"{path}/draw", headers=officer(CHIYODA))
    assert drawn.status_code == 200, drawn.text
    assert sorted(drawn.json()["order"]) == sorted(listed)
    assert late_id not in drawn.json()["order"]
    published = drawn.json()
    replayed = await service.client.post(
        "/v1/lottery/replay",
        json={
            "seed": published["seed"],
            "seed_hash": published["seed_hash"],
            "places": published["places"],
            "applicants": published["applicants"],
            "priority_tiers": published["priority_tiers"],
            "siblings_together": published["siblings_together"],
            "waitlist_enabled": published["waitlist_enabled"],
        },
    )
    assert replayed.json()["order"] == published["order"]
    # After the draw the winner can be approved as usual.
    winner = published["order"][0]
    approved = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications/{winner}/approve",
        json={"acknowledge_failed_checks": True},
        headers=officer(CHIYODA),
    )
    assert approved.status_code == 200, approved.text

"""抽選 in the portal, against the real services as processes: Chiyoda's officer (second factor)
opens a round for an oversubscribed intake (five applications, two places), sees the published
hash and whom the draw takes, closes the entries (the list is published, a listed application
cannot be certified before the draw), draws, sees the seed, the winners and the waiting list
in order, records a winner's decline and sees the first 補欠 move up. The public page of the
round (no login, no names) re-runs the draw through eligibility's replay and it matches. Kakegawa's
officer gets a 404 for Chiyoda's round, a lottery page that says Kakegawa holds none, and
eligibility's refusal in its words for a round sent anyway.
Every page passes axe-core and is photographed."""

from __future__ import annotations

import hashlib
import re

import pyotp
from playwright.async_api import Page, expect

from tests.integration.e2e.journey import CHIYODA, KAKEGAWA, Applicant, apply, unique_email
from tests.integration.portal.harness import check, chromium, csrf_field, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_guardian_journey import eligible_birth
from tests.integration.portal.test_officer_screens import officer_account
from tests.integration.portal.test_staff_screens import set_password_and_log_in

GIVEN = ("イチカ", "ニコ", "ミツキ", "ヨツバ", "イツキ")


async def log_in_officer(gp: GuardianPlatform, page: Page, email: str) -> None:
    """Password from the mail, then the second factor (pyotp plays the authenticator app)."""
    await set_password_and_log_in(gp, page, email)
    await expect(page.locator("h1")).to_have_text("確認コードの入力")
    secret = (await page.locator("code.secret").inner_text()).strip()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator("h1")).to_have_text("申請一覧")


async def test_an_officer_draws_a_round_and_anyone_re_runs_it(guardians: GuardianPlatform):
    gp = guardians
    base = gp.portal.url
    applicants = [
        Applicant(CHIYODA, unique_email(f"lottery{n}"), f"チュウセン {given}", eligible_birth())
        for n, given in enumerate(GIVEN)
    ]
    for applicant in applicants:
        await apply(gp.platform, applicant)
    names = {a.application_id: f"通園 {a.kana.split()[1]}" for a in applicants}
    chiyoda = await officer_account(gp, CHIYODA, "chiyoda-lottery-officer")
    kakegawa = await officer_account(gp, KAKEGAWA, "kakegawa-lottery-officer")

    async with chromium() as browser:
        _context, page = await phone(browser)
        await log_in_officer(gp, page, chiyoda)
        await page.get_by_role("link", name="抽選", exact=True).click()
        await expect(page.locator("h1")).to_have_text("抽選")
        await expect(page.locator("main")).to_contain_text("抽選の回はまだありません")

        # The form says what is missing, in Japanese, linked to the field.
        await page.get_by_role("button", name="抽選の回を始める").click()
        summary = page.locator(".error-summary")
        await expect(summary).to_contain_text("回の名前を入力してください")
        await expect(summary).to_contain_text("定員は1以上の整数で入力してください")
        await check(page, "lottery-01-form-errors")

        await page.fill("#name", "令和8年度 第1期")
        await page.fill("#places", "2")
        await page.get_by_role("button", name="抽選の回を始める").click()
        await expect(page.get_by_role("status")).to_contain_text("抽選の回を始めました")
        await expect(page.locator("h1")).to_contain_text("受付中")
        round_id = page.url.split("/officer/lottery/")[1].split("?")[0]
        seed_hash = (await page.locator("#seed-hash").inner_text()).strip()
        assert re.fullmatch(r"[0-9a-f]{64}", seed_hash)
        await expect(page.locator("#seed")).to_have_count(0)  # secret until the draw
        # Whom the draw takes now: the five applications, by name, 5 for 2 places.
        await expect(page.locator("main")).to_contain_text("定員 2人に対して 5件の申請")
        for application_id, name in names.items():
            await expect(page.locator(f"#e-{application_id}")).to_contain_text(name)
        await check(page, "lottery-02-round-open")

        await page.get_by_role("link", name="抽選の一覧に戻る").click()
        await expect(page.locator(f"#r-{round_id}")).to_contain_text("受付中")
        await check(page, "lottery-03-rounds")

        # Before the draw the public page shows the commitment only.
        public_url = f"{base}/lottery/{CHIYODA}/{round_id}"
        _anyone, visitor = await phone(browser)
        await visitor.goto(public_url)
        await expect(visitor.locator("#seed-hash")).to_have_text(seed_hash)
        await expect(visitor.locator("main")).to_contain_text("千代田区")
        await expect(visitor.locator("main")).to_contain_text("まだ抽選していません")
        await check(visitor, "lottery-04-public-before-draw")

        # 締切: the list is fixed and published, the seed still secret.
        await page.goto(f"{base}/officer/lottery/{round_id}")
        await page.get_by_role("button", name="対象の申請を締め切る").click()
        await expect(page.get_by_role("status")).to_contain_text("締め切りました")
        await expect(page.locator("h1")).to_contain_text("締切済み")
        await expect(page.locator("main")).to_contain_text("定員 2人に対して 5件の申請")
        await expect(page.locator("#seed")).to_have_count(0)
        await check(page, "lottery-04b-closed")
        # A listed application waits for the draw: certifying it is refused in eligibility's words.
        listed = applicants[0].application_id
        await page.goto(f"{base}/officer/applications/{listed}")
        await page.get_by_role("button", name="認定する").click()
        await expect(page.get_by_role("alert")).to_contain_text("締め切った抽選の対象")
        await visitor.goto(public_url)
        entries = visitor.locator("ul[aria-labelledby=entries-title] > li")
        await expect(entries).to_have_count(5)
        await expect(visitor.locator("main")).to_contain_text(listed)
        await expect(visitor.locator("#seed")).to_have_count(0)
        await check(visitor, "lottery-04c-public-closed")

        # The draw: the seed is revealed and matches the hash published at the opening.
        await page.goto(f"{base}/officer/lottery/{round_id}")
        await page.get_by_role("button", name="抽選する", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("抽選しました")
        seed = (await page.locator("#seed").inner_text()).strip()
        assert hashlib.sha256(seed.encode()).hexdigest() == seed_hash
        winners = page.locator("ol[aria-labelledby=winners-title] > li")
        waitlist = page.locator("ol[aria-labelledby=waitlist-title] > li")
        await expect(winners).to_have_count(2)
        await expect(waitlist).to_have_count(3)
        for n in range(3):
            await expect(waitlist.nth(n)).to_contain_text(f"補欠 {n + 1}番")
        winner_ids = [(await w.get_attribute("id") or "")[2:] for w in await winners.all()]
        waiting_ids = [(await w.get_attribute("id") or "")[2:] for w in await waitlist.all()]
        assert sorted(winner_ids + waiting_ids) == sorted(names)
        await check(page, "lottery-05-drawn")

        # A winner declines: 補欠 1 moves up, and the page says so by name.
        first = page.locator(f"#e-{winner_ids[0]}")
        await first.get_by_role("button", name="辞退を記録する").click()
        notice = page.get_by_role("status")
        await expect(notice).to_contain_text("辞退を記録しました")
        await expect(notice).to_contain_text(f"補欠 1番の{names[waiting_ids[0]]}さんが繰り上げ当選")
        await expect(page.locator(f"#e-{winner_ids[0]}")).to_contain_text("辞退")
        await expect(page.locator(f"#e-{winner_ids[0]}").get_by_role("button")).to_have_count(0)
        await expect(page.locator(f"#e-{waiting_ids[0]}")).to_contain_text("繰り上げ当選")
        await expect(page.locator(f"#e-{waiting_ids[1]}")).to_contain_text("補欠 2番")
        await expect(page.locator(f"#e-{waiting_ids[1]}")).not_to_contain_text("繰り上げ")
        await check(page, "lottery-06-declined-promoted")

        # A round that is drawn cannot be drawn again (a stale form sent once more):
        # eligibility's reason on the page, not an error page.
        token = csrf_field(await page.content())
        again = await page.request.post(
            f"{base}/officer/lottery/{round_id}/draw", form={"csrf_token": token}
        )
        assert again.status == 409
        assert "すでに抽選済み" in await again.text()
        await page.goto(f"{base}/officer/lottery")
        await expect(page.locator(f"#r-{round_id}")).to_contain_text("抽選済み")

        # The public page: the seed, the order by application number, no names; re-run it.
        await visitor.goto(public_url)
        await expect(visitor.locator("#seed")).to_have_text(seed)
        main = visitor.locator("main")
        for application_id, name in names.items():
            await expect(main).to_contain_text(application_id)
            await expect(main).not_to_contain_text(name)
        await expect(main).not_to_contain_text("example.jp")
        public_winners = visitor.locator("ol[aria-labelledby=winners-title] > li")
        await expect(public_winners.first).to_contain_text(winner_ids[0])
        await check(visitor, "lottery-07-public-drawn")
        await visitor.get_by_role("button", name="抽選を再実行して照合する").click()
        await expect(visitor.get_by_role("status")).to_contain_text("公開結果と一致しました")
        await visitor.get_by_text("ご自分で確かめる方法").click()
        await expect(main).to_contain_text("sha256sum")
        await check(visitor, "lottery-08-public-replayed")
        await visitor.get_by_role("link", name="English").click()
        await expect(visitor.locator("html")).to_have_attribute("lang", "en")
        await expect(visitor.locator("main")).to_contain_text("Lottery result")
        await visitor.get_by_role("button", name="Draw again and compare").click()
        await expect(visitor.get_by_role("status")).to_contain_text("The re-run draw matches")
        await check(visitor, "lottery-09-public-replayed-en")

        # A missing round or municipality is a 404 on the public page too.
        response = await visitor.goto(f"{base}/lottery/{KAKEGAWA}/{round_id}")
        assert response is not None
        assert response.status == 404

        # Kakegawa's officer: Chiyoda's round is a 404 like a missing one; Kakegawa holds no
        # lottery, and opening a round says so in eligibility's words.
        _other, foreign = await phone(browser)
        await log_in_officer(gp, foreign, kakegawa)
        response = await foreign.goto(f"{base}/officer/lottery/{round_id}")
        assert response is not None
        assert response.status == 404
        missing = await foreign.goto(f"{base}/officer/lottery/{winner_ids[0]}")
        assert missing is not None
        assert missing.status == 404
        await foreign.goto(f"{base}/officer/lottery")
        await expect(foreign.locator(f"#r-{round_id}")).to_have_count(0)
        # A form of Kakegawa's officer sent with Chiyoda's round and application ids: 404.
        forged = await foreign.request.post(
            f"{base}/officer/lottery/{round_id}/entries/{waiting_ids[1]}/decline",
            form={"csrf_token": csrf_field(await foreign.content())},
        )
        assert forged.status == 404
        # The page says so up front, with no form that could only fail ...
        await expect(foreign.locator("main")).to_contain_text("抽選を行っていません")
        await expect(foreign.locator("form[action='/officer/lottery']")).to_have_count(0)
        await check(foreign, "lottery-10-refused")
        # ... and a round sent anyway is refused in eligibility's words.
        sent = await foreign.request.post(
            f"{base}/officer/lottery",
            form={
                "csrf_token": csrf_field(await foreign.content()),
                "name": "掛川 第1期",
                "places": "3",
            },
        )
        assert sent.status == 409
        assert "この市区町村では抽選を行っていません" in await sent.text()

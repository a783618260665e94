"""The municipality officer in the portal, against the real services as processes: the
officer's account from identity's operator command, its password from the mail, the second
factor enrolled at the first login (QR code, then the authenticator app's code); the
applications queue (the longest waiting first), one application's review with the automatic
checks, the guardian's answers and the audit trail; 認定 (the guardian then gets the account
mail), a refused 認定 for a failed check until the officer says it was verified, and 却下 with
a reason. Another municipality's application is a 404; staff and guardians get 403. Every page
passes axe-core on a tablet and a phone and is photographed."""

from __future__ import annotations

import pyotp
from playwright.async_api import expect

from tests.integration.e2e.journey import (
    CHIYODA,
    KAKEGAWA,
    Applicant,
    apply,
    register_residents,
    unique_email,
)
from tests.integration.portal.harness import PHONE, check, chromium
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_guardian_journey import eligible_birth
from tests.integration.portal.test_staff_screens import set_password_and_log_in, tablet


async def officer_account(gp: GuardianPlatform, municipality: str, who: str) -> str:
    email = unique_email(who)
    created = gp.platform.run_command(
        "identity",
        *("create-account", "--role", "municipality_officer", "--municipality", municipality),
        *("--email", email),
    )
    assert created.returncode == 0, created.stderr
    return email


async def test_an_officer_reviews_certifies_and_rejects_in_the_portal(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    passing = Applicant(KAKEGAWA, unique_email("riko"), "カケガワ リコ", eligible_birth())
    unknown = Applicant(KAKEGAWA, unique_email("sora"), "カケガワ ソラ", eligible_birth())
    rejected = Applicant(KAKEGAWA, unique_email("nagi"), "カケガワ ナギ", eligible_birth())
    elsewhere = Applicant(CHIYODA, unique_email("kanda"), "チヨダ カンダ", eligible_birth())
    await register_residents(gp.platform, passing, rejected)
    await register_residents(gp.platform, elsewhere)
    for applicant in (passing, unknown, rejected, elsewhere):
        await apply(gp.platform, applicant)  # `unknown` is in no resident record
    email = await officer_account(gp, KAKEGAWA, "kakegawa-officer")

    async with chromium() as browser:
        _context, page = await tablet(browser)
        await set_password_and_log_in(gp, page, email)
        # The second factor: the first login shows the QR code (and the key) to enrol an
        # authenticator app; the app's code finishes the login. pyotp plays the app.
        await expect(page.locator("h1")).to_have_text("確認コードの入力")
        await expect(page.locator(".qr img")).to_be_visible()
        secret = (await page.locator("code.secret").inner_text()).strip()
        await check(page, "79-officer-enrol-second-factor")
        await page.fill("#code", "000000")
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.get_by_role("alert").first).to_contain_text(
            "確認コードが正しくありません"
        )
        await expect(page.locator(".qr img")).to_be_visible()  # still there to scan
        await page.fill("#code", pyotp.TOTP(secret).now())
        await page.get_by_role("button", name="ログイン", exact=True).click()
        # The officer's home is the queue of applications waiting for review.
        await expect(page.locator("h1")).to_have_text("申請一覧")
        queue = page.locator(".roster-list")
        for applicant in (passing, unknown, rejected):
            await expect(queue).to_contain_text(applicant.kana.split()[1])
        await expect(queue).not_to_contain_text("カンダ")  # Chiyoda's is not Kakegawa's
        await expect(page.locator(f"#a-{unknown.application_id}")).to_contain_text("要確認")
        await check(page, "80-officer-queue")

        # A passing application: checks, answers, then 認定.
        await page.locator(f"#a-{passing.application_id}").get_by_role("link").click()
        await expect(page.locator("h1")).to_contain_text("審査待ち")
        await expect(page.locator("main")).to_contain_text("住民登録あり")
        await expect(page.locator("main")).to_contain_text(passing.kana)
        await check(page, "81-officer-application")
        await page.get_by_role("button", name="認定する").click()
        await expect(page.locator(".notice--success")).to_contain_text("認定しました")
        await expect(page.locator("h1")).to_contain_text("認定済み")
        await expect(page.locator(".audit")).to_contain_text("認定済み")
        await check(page, "82-officer-certified")
        # The guardian gets the account mail with the set-password link.
        await gp.link_in_mail(passing.email, "/password/set")

        # Not in the resident records: 認定 is refused until the officer says it was verified.
        await page.goto(f"{base}/officer/applications/{unknown.application_id}")
        await expect(page.locator("main")).to_contain_text("住民記録に見つかりません")
        await page.get_by_role("button", name="認定する").click()
        await expect(page.get_by_role("alert")).to_contain_text("自動確認で一致しない項目")
        await check(page, "83-officer-check-refused")
        await page.get_by_label("自動確認で一致しなかった項目を確認しました").check()
        await page.get_by_role("button", name="認定する").click()
        await expect(page.locator(".notice--success")).to_contain_text("認定しました")

        # 却下 needs a reason.
        await page.goto(f"{base}/officer/applications/{rejected.application_id}")
        await page.get_by_role("button", name="却下する").click()
        await expect(page.get_by_role("alert").first).to_contain_text("却下の理由を入力")
        await check(page, "84-officer-reject-reason-missing")
        await page.fill("#reason", "同一のお子さんの申請が別に受理されているため")
        await page.get_by_role("button", name="却下する").click()
        await expect(page.locator(".notice--success")).to_contain_text("却下しました")
        await expect(page.locator("main")).to_contain_text("同一のお子さんの申請")
        await page.set_viewport_size(PHONE)
        await check(page, "85-officer-rejected-phone")

        # Another municipality's application by its id: not found, like a missing one.
        response = await page.goto(f"{base}/officer/applications/{elsewhere.application_id}")
        assert response is not None
        assert response.status == 404

        # The queue now: nothing left waiting among these three.
        await page.goto(f"{base}/officer/applications")
        for applicant in (passing, unknown, rejected):
            await expect(page.locator(f"#a-{applicant.application_id}")).to_have_count(0)
        await page.select_option("#status", "")
        await page.get_by_role("button", name="検索").click()
        await expect(page.locator(f"#a-{rejected.application_id}")).to_contain_text("却下")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Applications")
        await check(page, "86-officer-queue-en")
        await page.get_by_role("link", name="日本語").click()

        # 認定一覧: the two certified children; one certification ends (the family withdrew).
        await page.set_viewport_size({"width": 820, "height": 1180})
        await page.get_by_role("link", name="認定一覧").click()
        certified = page.locator(".roster-list > li")
        await expect(certified).to_have_count(2)
        riko = certified.filter(has_text="リコ")
        await riko.get_by_text("この認定を終了する").click()
        await riko.get_by_role("button", name="認定を終了する").click()
        await expect(page.get_by_role("alert")).to_contain_text("終了の理由")
        riko = page.locator(".roster-list > li").filter(has_text="リコ")
        await riko.get_by_text("この認定を終了する").click()
        await riko.get_by_label("保護者からの取下げ").check()
        await check(page, "87-officer-certification-end")
        await riko.get_by_role("button", name="認定を終了する").click()
        await expect(page.get_by_role("status")).to_contain_text("認定を終了しました")
        await expect(page.locator(".roster-list > li")).to_have_count(1)  # the valid ones
        await page.select_option("#status", "revoked")
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.locator(".roster-list")).to_contain_text("リコ")

        # 操作の記録: who did what, newest first.
        await page.get_by_role("link", name="操作の記録").click()
        trail = page.locator("table")
        await expect(trail).to_contain_text("認定の終了")
        await expect(trail).to_contain_text("却下")
        await expect(trail.locator("tbody tr").first).to_contain_text("認定の終了")
        await check(page, "88-officer-audit")

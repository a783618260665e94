"""The municipality officer in the portal, against the real services as processes: the
officer's account from identity's operator command, its password from the mail, the second
factor enrolled at the first login (QR code, then the authenticator app's code); the
applications queue (the longest waiting first), one application's review with the automatic
checks, the guardian's answers and the audit trail; 認定 (the guardian then gets the account
mail), a refused 認定 for a failed check until the officer says it was verified, and 却下 with
a reason. Another municipality's application is a 404; staff and guardians get 403. Every page
passes axe-core on a tablet and a phone and is photographed.

Also 変更申請: the guardian asks from the certificate (the form starts from the details on
record; a blank field is summarised and linked), the change waits, the officer compares it
with the record and approves it — the guardian is mailed — and rejects the next with a reason,
mailed too. Another family's certificate is a 404."""

from __future__ import annotations

import pyotp
from playwright.async_api import Page, expect

from tests.integration.e2e.journey import (
    CHIYODA,
    KAKEGAWA,
    Applicant,
    apply,
    approve,
    register_residents,
    unique_email,
)
from tests.integration.portal.harness import PHONE, check, chromium, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_facility_pages import log_in
from tests.integration.portal.test_guardian_journey import certified_family, eligible_birth
from tests.integration.portal.test_staff_screens import (
    PASSWORD,
    set_password_and_log_in,
    tablet,
)


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
        # Kakegawa draws no lots: its lottery page says so instead of offering a doomed form.
        await page.goto(f"{gp.portal.url}/officer/lottery")
        await expect(page.locator("main")).to_contain_text("抽選を行っていません")
        await expect(page.locator("form[action='/officer/lottery']")).to_have_count(0)
        # 規則の確認: the rules the platform applies here, as Kakegawa's policy says them.
        await page.get_by_role("link", name="規則の確認").click()
        await expect(page.locator("h1")).to_have_text("規則の確認")
        rules = page.locator("main")
        await expect(rules).to_contain_text("掛川市について")
        hours = page.locator(".summary__row", has_text="お子さん1人あたりの月の利用時間")
        await expect(hours).to_contain_text("10時間")
        deadline = page.locator(".summary__row", has_text="無料でキャンセルできる期限")
        await expect(deadline).to_contain_text("利用日の1営業日前の12:00まで")
        lottery_row = page.locator(".summary__row", has_text="抽選による選考")
        await expect(lottery_row).to_contain_text("なし")
        await check(page, "80b-officer-rules")
        await page.goto(f"{gp.portal.url}/officer")

        # A passing application: checks, answers, then 認定.
        await page.locator(f"#a-{passing.application_id}").get_by_role("link").click()
        await expect(page.locator("h1")).to_contain_text("審査待ち")
        await expect(page.locator("main")).to_contain_text("住民登録あり")
        await expect(page.locator("main")).to_contain_text(passing.kana)
        # Dates as every page writes them, not 2025-01-15.
        await expect(page.locator("main")).not_to_contain_text(passing.birth.isoformat())
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


NEW_ADDRESS = "静岡県掛川市長谷2-2-2"


async def officer_logs_in(gp: GuardianPlatform, page: Page, email: str) -> None:
    await set_password_and_log_in(gp, page, email)
    await expect(page.locator("h1")).to_have_text("確認コードの入力")
    secret = (await page.locator("code.secret").inner_text()).strip()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator("h1")).to_have_text("申請一覧")


async def test_a_guardians_change_waits_for_the_officer_who_approves_or_rejects_it(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "henko", "カケガワ ヘンコ")
    other = await certified_family(gp, "tanin", "カケガワ タニン")
    officer = await officer_account(gp, KAKEGAWA, "henko-officer")

    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)
        await page.goto(f"{base}/certificates/{family.certification_id}")
        await page.get_by_role("link", name="登録内容の変更").click()
        await expect(page.locator("h1")).to_have_text("登録内容の変更（変更申請）")
        address = page.locator("#address")
        on_record = await address.input_value()
        assert on_record  # the form starts from the details on record
        await check(page, "90-change-form")
        # A blank address is summarised at the top and linked to the field.
        await address.fill("")
        await page.get_by_role("button", name="変更申請を送信する").click()
        await expect(page.get_by_role("alert")).to_contain_text("住所を入力してください")
        await check(page, "91-change-form-error")
        await address.fill(NEW_ADDRESS)
        await page.fill("#phone", "0537-98-7654")
        await page.get_by_role("button", name="変更申請を送信する").click()
        await expect(page.locator(".notice--success")).to_contain_text("変更申請を受け付けました")
        await expect(page.locator(".booking-list")).to_contain_text("確認中")
        await expect(page.locator(".booking-list")).to_contain_text(NEW_ADDRESS)
        # While it is checked, no second one: the page says why instead of a form.
        await expect(page.locator("#address")).to_have_count(0)
        await check(page, "92-change-waiting")
        # Another family's certificate: a 404 like a missing one.
        missing = await page.goto(f"{base}/certificates/{other.certification_id}/change")
        assert missing is not None
        assert missing.status == 404

        officer_context, desk = await phone(browser)
        await officer_logs_in(gp, desk, officer)
        await (
            desk.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="変更申請")
            .click()
        )
        await expect(desk.locator("h1")).to_have_text("変更申請")
        card = desk.locator(".roster-line")
        await expect(card).to_have_count(1)
        await expect(card).to_contain_text(f"登録内容: {on_record}")
        await expect(card).to_contain_text(f"申請内容: {NEW_ADDRESS}")
        await check(page=desk, name="93-officer-changes")
        await card.get_by_role("button", name="承認して反映する").click()
        await expect(desk.locator(".notice--success")).to_contain_text("承認しました")
        await expect(desk.locator(".empty")).to_have_text("確認待ちの変更申請はありません")
        await gp.mailbox.wait_for(family.email, "変更申請の受理のお知らせ")

        # The guardian sees it applied; the form starts from the new address.
        await page.goto(f"{base}/certificates/{family.certification_id}/change")
        await expect(page.locator(".booking-list")).to_contain_text("反映済み")
        await expect(page.locator("#address")).to_have_value(NEW_ADDRESS)
        await page.fill("#guardian_name", "掛川 変子")
        await page.get_by_role("button", name="変更申請を送信する").click()
        await expect(page.locator(".notice--success")).to_contain_text("変更申請を受け付けました")

        # Rejected: a reason is needed, then the guardian is mailed it.
        await desk.goto(f"{base}/officer/changes")
        await card.get_by_role("button", name="却下する").click()
        await expect(desk.get_by_role("alert")).to_contain_text("承認しない理由を入力してください")
        await check(page=desk, name="94-officer-change-reason-missing")
        await card.get_by_label("承認しない理由").fill("戸籍の氏名と一致しません")
        await card.get_by_role("button", name="却下する").click()
        await expect(desk.locator(".notice--success")).to_contain_text("却下しました")
        [mail] = await gp.mailbox.wait_for(family.email, "変更申請の結果のお知らせ")
        assert "戸籍の氏名と一致しません" in (mail.body("plain") or "")

        await page.goto(f"{base}/certificates/{family.certification_id}/change")
        await expect(page.locator(".booking-list")).to_contain_text("承認されませんでした")
        await expect(page.locator(".booking-list")).to_contain_text("戸籍の氏名と一致しません")
        await expect(page.locator("#guardian_name")).not_to_have_value("掛川 変子")
        await check(page, "95-change-rejected")
        await page.goto(f"{base}/certificates/{family.certification_id}/change?lang=en")
        await expect(page.locator("h1")).to_have_text("Change your details")
        await check(page, "96-change-en")
        await officer_context.close()
        await context.close()


async def test_a_family_moving_here_is_the_same_child_and_keeps_its_login(
    guardians: GuardianPlatform,
):
    """転入 (issue 17.3): the child certified in Chiyoda applies in Kakegawa; the officer sees
    the Chiyoda certification, approves the move, and the guardian's login opens Kakegawa."""
    gp = guardians
    base = gp.portal.url
    email, birth = unique_email("tennyu"), eligible_birth()
    before = Applicant(CHIYODA, email, "テンニュウ ミナト", birth)
    await register_residents(gp.platform, before)
    await apply(gp.platform, before)
    chiyoda = await approve(gp.platform, before)
    officer = await officer_account(gp, KAKEGAWA, "tennyu-officer")

    async with chromium() as browser:
        _context, page = await phone(browser)
        await log_in(gp, page, chiyoda)
        await expect(page.locator("main")).to_contain_text(f"{CHIYODA}-")

        moving = Applicant(KAKEGAWA, email, "テンニュウ ミナト", birth)
        await register_residents(gp.platform, moving)
        await apply(gp.platform, moving)
        _officer_context, office = await tablet(browser)
        await officer_logs_in(gp, office, officer)
        await office.goto(f"{base}/officer/applications/{moving.application_id}")
        # The same guardian: the move from Chiyoda is chosen already; "another child" is there.
        moved = office.get_by_label("千代田区から転入", exact=False)
        await expect(moved).to_be_checked()
        await expect(office.locator("fieldset")).to_contain_text("同じ保護者")
        await expect(office.get_by_label("別のお子さま（転入ではない）")).not_to_be_checked()
        await check(office, "89a-officer-move-decision")
        await office.get_by_role("button", name="認定する").click()
        await expect(office.locator(".notice--success")).to_contain_text("認定しました")
        await office.set_viewport_size(PHONE)
        await check(office, "89b-officer-moved-in")

        # The guardian signs in again with the same address and password: Kakegawa's certificate
        # is at home now, and Chiyoda's certificate is no longer theirs to open here.
        await page.context.clear_cookies()
        await page.goto(f"{base}/login")
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("ホーム")
        await expect(page.locator("main")).to_contain_text(f"{KAKEGAWA}-")
        await expect(page.locator("main")).not_to_contain_text(f"{CHIYODA}-")
        await check(page, "89c-guardian-home-after-move")
        old = await page.goto(f"{base}/certificates/{chiyoda.certification_id}")
        assert old is not None
        assert old.status == 404

"""変更申請 in the portal, against the real services as processes: the guardian asks from the
certificate (the form starts from the details on record; a blank field is summarised and
linked), the change waits, the officer (second factor) compares it with the record and
approves it — the guardian is mailed and the next request is rejected with a reason, mailed
too. Another family's certificate is a 404. Every page and state passes axe-core at phone size
and is photographed."""

from __future__ import annotations

import pyotp
from playwright.async_api import Page, expect

from tests.integration.e2e.journey import KAKEGAWA
from tests.integration.portal.harness import check, chromium, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_facility_pages import log_in
from tests.integration.portal.test_guardian_journey import certified_family
from tests.integration.portal.test_officer_screens import officer_account
from tests.integration.portal.test_staff_screens import set_password_and_log_in

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

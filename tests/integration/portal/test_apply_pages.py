"""利用申請 on a phone, before any account exists, against the real services: choose 都道府県 →
市区町村, ask for the link, follow it from the mail, fill in the form (a proxy user, 配慮事項, a
file), check it (入力内容の確認, 修正する), send it, keep the receipt (print); a used link
explains how to get a new one. And the e-mail-change link: nothing happens on opening it, one
button confirms. Every page and state passes axe-core and is photographed."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.integration.e2e.conftest import Platform
from tests.integration.e2e.journey import (
    KAKEGAWA,
    LINK_MAIL,
    Applicant,
    ok,
    register_residents,
    unique_email,
)
from tests.integration.portal.harness import check, chromium, phone, screenshot_path
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_guardian_journey import certified_family, eligible_birth

# A 1×1 PNG: what a phone's camera would attach, only smaller.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def mailed_link(platform: Platform, email: str, subject: str, path: str, portal: str) -> str:
    """The link in the mail, on this test's portal (the services' default base is :8006)."""
    [mail] = await platform.mailbox.wait_for(email, subject)
    text = mail.body("plain") or ""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\?[^\s\"<>]+)", text)
    assert match, text
    return portal + match.group(1)


async def fill_application(page: Page, birth: str) -> None:
    await page.fill("#guardian_name", "掛川 花子")
    await page.fill("#guardian_kana", "カケガワ ハナコ")
    await page.fill("#guardian_birth_date", "1992-05-01")
    await page.fill("#guardian_address", "静岡県掛川市長谷1-1-1")
    await page.fill("#guardian_phone", "0537-21-1111")
    await page.select_option("#guardian_gender", "female")
    await page.fill("#guardian_relationship", "母")
    await page.fill("#child_name", "掛川 そら")
    await page.fill("#child_kana", "カケガワ ソラ")
    await page.fill("#child_birth_date", birth)
    await page.fill("#child_relationship", "長男")
    await page.check("#sc_present-yes")
    await page.fill("#sc_content", "卵アレルギーがあります")
    await page.fill("#proxy_0_name", "掛川 和子")
    await page.fill("#proxy_0_kana", "カケガワ カズコ")
    await page.fill("#proxy_0_relationship", "祖母")
    await page.fill("#desired_facility_note", "ひまわり保育園")
    for consent in ("#consent_terms", "#consent_personal_data", "#consent_share"):
        await page.check(consent)


async def test_a_parent_asks_for_the_link_applies_and_keeps_the_receipt(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    email = unique_email("sora")
    birth = eligible_birth()
    await register_residents(
        gp.platform, Applicant(KAKEGAWA, email, "カケガワ ソラ", eligible_birth())
    )
    async with chromium() as browser:
        _, page = await phone(browser)

        # 都道府県 → 市区町村 (with its phase and dates) → the e-mail address.
        await page.goto(f"{base}/apply/link")
        await expect(page.locator("h1")).to_have_text("利用申請")
        await check(page, "60-apply-prefectures")
        await page.get_by_role("link", name="静岡県").click()
        card = page.locator("li.card", has_text="掛川市")
        await expect(card).to_contain_text("受付中")
        await check(page, "61-apply-municipalities")
        await card.get_by_role("link", name="掛川市に申請する").click()
        await expect(page.locator("h1")).to_have_text("申請リンクの送信")
        await page.get_by_role("button", name="リンクを送信する").click()
        await expect(page.get_by_role("alert")).to_contain_text("メールアドレスを入力してください")
        await check(page, "62-apply-link-errors")
        await page.fill("#email", email)
        await page.get_by_role("button", name="リンクを送信する").click()
        await expect(page.locator("h1")).to_have_text("メールをご確認ください")
        await check(page, "63-apply-link-sent")

        # The mail's link opens the form; sent empty, every problem is listed and linked.
        link = await mailed_link(gp.platform, email, LINK_MAIL, "/apply", base)
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("利用申請")
        await check(page, "64-apply-form")
        await page.get_by_role("button", name="入力内容の確認").click()
        summary = page.get_by_role("alert")
        await expect(summary).to_contain_text("入力してください")
        await expect(summary).to_contain_text("申請するには同意が必要です")
        await check(page, "65-apply-form-errors")
        await summary.get_by_role("link").first.click()
        assert await page.evaluate("location.hash") == "#guardian_name"

        # Filled in, with a file: the confirmation screen; 修正する keeps everything.
        await fill_application(page, birth.isoformat())
        await page.set_input_files(
            "#attachments", files=[{"name": "ishi.png", "mimeType": "image/png", "buffer": PNG}]
        )
        await page.get_by_role("button", name="入力内容の確認").click()
        await expect(page.locator("h1")).to_have_text("入力内容の確認")
        await expect(page.locator("main")).to_contain_text("卵アレルギーがあります")
        await expect(page.locator("main")).to_contain_text("ishi.png")
        await expect(page.locator("main")).to_contain_text("掛川 和子")
        await check(page, "66-apply-confirm")
        await page.get_by_role("button", name="修正する").click()
        await expect(page.locator("h1")).to_have_text("利用申請")
        await expect(page.locator("#child_kana")).to_have_value("カケガワ ソラ")
        await expect(page.locator("#consent_share")).to_be_checked()
        await expect(page.locator("main")).to_contain_text("ishi.png")
        await page.fill("#guardian_phone", "0537-21-2222")
        await page.get_by_role("button", name="入力内容の確認").click()
        await expect(page.locator("main")).to_contain_text("0537-21-2222")

        # 送信する: the receipt with the application id, printable.
        await page.get_by_role("button", name="送信する").click()
        await expect(page.locator("h1")).to_have_text("申請を受け付けました")
        reference = (await page.locator(".reference").inner_text()).strip()
        await check(page, "67-apply-receipt")
        await page.emulate_media(media="print")
        await expect(page.locator(".site-header")).to_be_hidden()
        await page.screenshot(path=str(screenshot_path("68-apply-receipt-print")), full_page=True)
        await page.emulate_media(media="screen")
        async with gp.platform.client("eligibility") as eligibility:
            filed = ok(
                await eligibility.get(
                    f"/v1/municipalities/{KAKEGAWA}/applications/{reference}",
                    headers=gp.platform.officer(KAKEGAWA),
                )
            )
        assert filed["guardian_email"] == email
        assert len(filed["attachments"]) == 1

        # The same link again: used up, and the page says how to get a new one.
        await page.goto(link)
        await fill_application(page, birth.isoformat())
        await page.get_by_role("button", name="入力内容の確認").click()
        await page.get_by_role("button", name="送信する").click()
        await expect(page.locator("h1")).to_have_text("この申請リンクは使用できません")
        await check(page, "69-apply-link-used")
        await page.get_by_role("link", name="新しい申請リンクを受け取る").click()
        await expect(page.locator("h1")).to_have_text("申請リンクの送信")

        # Eligibility's own refusal (kana) comes back beside the field.
        await page.goto(link.replace("token=", "token=x"))
        await fill_application(page, birth.isoformat())
        await page.fill("#child_kana", "kakegawa sora")
        await page.get_by_role("button", name="入力内容の確認").click()
        await page.get_by_role("button", name="送信する").click()
        await expect(page.locator("h1")).to_have_text("利用申請")
        await expect(page.get_by_role("alert")).to_contain_text("カタカナで")
        await expect(page.locator("#child_kana")).to_have_attribute("aria-invalid", "true")
        await check(page, "70-apply-refused-by-eligibility")


async def test_the_email_change_link_confirms_only_with_the_button(guardians: GuardianPlatform):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "mei", "カケガワ メイ")
    new_email = unique_email("mei-new")
    async with gp.platform.client("eligibility") as eligibility:
        ok(
            await eligibility.post(
                f"/v1/municipalities/{KAKEGAWA}/certifications/{family.certification_id}/changes",
                json={"guardian_email": new_email},
                headers=gp.platform.officer(KAKEGAWA),
            )
        )
    link = await mailed_link(
        gp.platform, new_email, "メールアドレス変更の確認", "/email/confirm", base
    )
    async with chromium() as browser:
        _, page = await phone(browser)
        # Opening the link (as a mail scanner would) changes nothing.
        async with httpx.AsyncClient() as scanner:
            assert (await scanner.get(link)).status_code == 200
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("新しいメールアドレスの確認")
        await check(page, "71-email-confirm")
        await page.get_by_role("button", name="このアドレスを確認する").click()
        await expect(page.locator("h1")).to_have_text("メールアドレスを確認しました")
        await check(page, "72-email-confirmed")
        # Used once: the second press explains.
        await page.goto(link)
        await page.get_by_role("button", name="このアドレスを確認する").click()
        await expect(page.locator("h1")).to_have_text("このメールアドレスは確認済みです")
        await check(page, "73-email-confirm-used")

"""The pages a guardian sees before logging in, in Debian's Chromium at phone size, each page
and state checked with axe-core (tests/integration/portal/harness.py: ``check``).

The portal runs as a process on its own PostgreSQL database; identity is not running here, so
a correct login ends on the "service busy" page (the journey with identity is in
test_guardian_journey.py)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.integration.e2e.conftest import ServiceProcess
from tests.integration.portal.harness import check, chromium, phone


async def test_login_set_password_and_reset_pages_with_their_errors(lone_portal: ServiceProcess):
    base = lone_portal.url
    async with chromium() as browser:
        _, page = await phone(browser)

        await page.goto(f"{base}/login")
        await expect(page.locator("h1")).to_have_text("ログイン")
        assert await page.get_attribute("html", "lang") == "ja"
        await check(page, "01-login")

        # Nothing entered: the errors are summarised at the top, each linked to its field.
        await page.get_by_role("button", name="ログイン", exact=True).click()
        summary = page.get_by_role("alert")
        await expect(summary).to_contain_text("メールアドレスを入力してください")
        await expect(summary).to_contain_text("パスワードを入力してください")
        await expect(page).to_have_title("エラー: ログイン | こども誰でも通園 ポータル")
        await check(page, "02-login-errors")
        await summary.get_by_role("link", name="パスワードを入力してください").click()
        await expect(page.locator("#password")).to_be_focused()
        await expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")

        # A correct-looking login while identity is down: a plain "try again" page, not a 500.
        await page.fill("#email", "hanako@example.jp")
        await page.fill("#password", "long enough passphrase")
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("ただいま混み合っています")
        await check(page, "03-service-busy")

        # The account mail's link: the rules are explained; mistakes are summarised.
        await page.goto(f"{base}/password/set?token=abc123")
        await expect(page.locator("h1")).to_have_text("パスワードの設定")
        await expect(page.locator(".rules")).to_contain_text("8文字以上")
        await check(page, "04-password-set")
        await page.fill("#password", "short")
        await page.fill("#password_confirm", "different")
        await page.get_by_role("button", name="パスワードを設定する").click()
        summary = page.get_by_role("alert")
        await expect(summary).to_contain_text("パスワードは8文字以上にしてください")
        await expect(page.locator("#password")).to_have_value("")  # never echoed back
        await check(page, "05-password-set-errors")

        # A reset link says so in its heading.
        await page.goto(f"{base}/password/set?token=abc123&purpose=reset")
        await expect(page.locator("h1")).to_have_text("新しいパスワードの設定")

        # A link without its token: how to get a new one.
        await page.goto(f"{base}/password/set")
        await expect(page.locator("h1")).to_have_text("このリンクは使用できません")
        await check(page, "06-password-link-unusable")
        await page.get_by_role("link", name="新しいリンクを受け取る").click()
        await expect(page).to_have_url(f"{base}/password/reset")
        await check(page, "07-password-reset")
        await page.fill("#email", "not-an-address")
        await page.get_by_role("button", name="リンクを送信する").click()
        await expect(page.get_by_role("alert")).to_contain_text("name@example.jp")
        await check(page, "08-password-reset-errors")


async def test_the_language_switch_is_remembered_and_error_pages_follow_it(
    lone_portal: ServiceProcess,
):
    base = lone_portal.url
    async with chromium() as browser:
        context, page = await phone(browser)
        await page.goto(f"{base}/no-such-page")
        await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        await check(page, "09-not-found-ja")

        await page.goto(f"{base}/login")
        await page.get_by_role("link", name="English").click()
        await expect(page).to_have_url(f"{base}/login?lang=en")
        await expect(page.locator("h1")).to_have_text("Log in")
        assert await page.get_attribute("html", "lang") == "en"
        await check(page, "10-login-en")

        # Remembered: other pages, and error pages, are in English from now on.
        await page.goto(f"{base}/password/reset")
        await expect(page.locator("h1")).to_have_text("Get a link to set a new password")
        await page.goto(f"{base}/no-such-page")
        await expect(page.locator("h1")).to_have_text("Page not found")
        await check(page, "11-not-found-en")

        # The switch keeps the page's own query (a set-password link keeps its token).
        await page.goto(f"{base}/password/set?token=abc123")
        await page.get_by_role("link", name="日本語").click()
        await expect(page).to_have_url(f"{base}/password/set?token=abc123&lang=ja")
        await expect(page.locator("h1")).to_have_text("パスワードの設定")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Set your password")
        await page.goto(f"{base}/no-such-page")

        # Back to Japanese with the same switch.
        await page.get_by_role("link", name="日本語").click()
        await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        cookies = {c["name"]: c for c in await context.cookies()}
        assert cookies["tsuen_lang"]["value"] == "ja"


async def test_a_form_sent_without_its_session_is_refused_with_a_page_in_japanese(
    lone_portal: ServiceProcess,
):
    async with chromium() as browser:
        context, page = await phone(browser)
        await page.goto(f"{lone_portal.url}/login")
        await context.clear_cookies()  # the session (and with it the CSRF secret) is gone
        await page.fill("#email", "hanako@example.jp")
        await page.fill("#password", "long enough passphrase")
        response_status: list[int] = []
        page.on("response", lambda r: response_status.append(r.status))
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("送信できませんでした")
        assert 403 in response_status
        await check(page, "12-csrf-refused")

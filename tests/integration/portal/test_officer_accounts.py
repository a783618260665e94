"""The officer's facilities and staff accounts in the portal (issue 16), against the real
services as processes and the real SMTP catcher: the officer registers a facility (errors at
the top, linked to the fields), invites a staff member; the staff member reads the mail, sets a
password, logs in and sees the facility's roster; the officer disables the account — the staff
member's next page is the login page and a new login is refused exactly like a wrong password —
and enables it again. An officer cannot disable themselves; another municipality's officer gets
a 404 for these account ids and cannot invite staff to the facility. Every page passes axe-core
at phone size and is photographed.

The portal keeps its normal token lifetime: the disabled member's access token is still
minutes from its end, so the login page on their next request proves the portal ended the
session itself, not a token refresh that happened to fall due."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.integration import testbed
from tests.integration.e2e.journey import CHIYODA, KAKEGAWA
from tests.integration.portal.harness import (
    check,
    chromium,
    csrf_field,
    phone,
)
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.portal.test_guardian_journey import PASSWORD
from tests.integration.portal.test_officer_screens import officer_account

FACILITY = "すくすく保育園"


@pytest.fixture(scope="module")
async def platform(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    """The platform with attendance (the staff's roster)."""
    workdir = tmp_path_factory.mktemp("accounts")
    async with guardian_platform(kafka, postgres, workdir, attendance=True) as gp:
        yield gp


async def set_password(gp: GuardianPlatform, page: Page, base: str, email: str) -> None:
    link = await gp.link_in_mail(email, "/password/set")
    await page.goto(link.replace(gp.portal.url, base))
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="パスワードを設定する").click()
    await expect(page.locator("h1")).to_have_text("パスワードを設定しました")


async def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.get_by_role("button", name="ログイン", exact=True).click()


async def officer_logs_in(gp: GuardianPlatform, page: Page, base: str, email: str) -> None:
    """Password from the mail, then the second factor (pyotp plays the authenticator app)."""
    await set_password(gp, page, base, email)
    await log_in(page, base, email)
    secret = (await page.locator("code.secret").inner_text()).strip()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator("h1")).to_have_text("申請一覧")


async def test_an_officer_registers_a_facility_invites_staff_and_disables_the_account(
    platform: GuardianPlatform,
):
    gp = platform
    base = gp.portal.url
    officer_email = await officer_account(gp, KAKEGAWA, "kakegawa-kodomo")
    other_officer = await officer_account(gp, CHIYODA, "chiyoda-kodomo")
    staff_email = "hoikushi.sato@example.jp"

    async with chromium() as browser:
        _officer_context, officer = await phone(browser)
        await officer_logs_in(gp, officer, base, officer_email)

        # 施設: an empty form names every field at the top, each linked to its field.
        await officer.get_by_role("link", name="施設", exact=True).click()
        await expect(officer.locator("h1")).to_have_text("施設")
        await officer.locator("#day-0").uncheck()
        for day in range(1, 5):
            await officer.locator(f"#day-{day}").uncheck()
        await officer.get_by_role("button", name="施設を登録する").click()
        summary = officer.locator(".error-summary")
        await expect(summary).to_contain_text("施設名を入力してください")
        await expect(summary).to_contain_text("開所日を選択してください")
        await expect(officer.locator("#name")).to_have_attribute("aria-invalid", "true")
        await check(officer, "acct-0-officer-facility-errors")
        await summary.get_by_role("link", name="ふりがなを入力してください").click()
        await expect(officer.locator("#kana")).to_be_focused()

        await officer.fill("#name", FACILITY)
        await officer.fill("#kana", "スクスクホイクエン")
        await officer.select_option("#facility_type", "licensed_nursery")
        await officer.fill("#address", "静岡県掛川市長谷1-1-1")
        await officer.fill("#phone", "0537-21-1111")
        await officer.fill("#places", "3")
        for day in range(5):
            await officer.locator(f"#day-{day}").check()
        await officer.get_by_role("button", name="施設を登録する").click()
        await expect(officer.get_by_role("status")).to_contain_text("施設を登録しました")
        registered = officer.locator(".roster-list > li").filter(has_text=FACILITY)
        await expect(registered).to_contain_text("認可保育所")
        await expect(registered).to_contain_text("08:30–17:00")
        facility_id = (await registered.get_attribute("id") or "").removeprefix("f-")
        assert facility_id
        await check(officer, "acct-1-officer-facility-registered")

        # 職員アカウント: invite a staff member of the new facility.
        await officer.get_by_role("link", name="職員アカウント").click()
        await officer.fill("#email", "not an address")
        await officer.select_option("#facility", facility_id)
        await officer.get_by_role("button", name="招待メールを送る").click()
        await expect(officer.locator(".error-summary")).to_contain_text("name@example.jp")
        await check(officer, "acct-2-officer-invite-error")
        await officer.fill("#email", staff_email)
        await officer.get_by_role("button", name="招待メールを送る").click()
        await expect(officer.get_by_role("status")).to_contain_text("招待メールを送りました")
        line = officer.locator(".roster-list > li").filter(has_text=staff_email)
        await expect(line).to_contain_text("招待中")
        await expect(line).to_contain_text(FACILITY)
        staff_id = (await line.get_attribute("id") or "").removeprefix("a-")
        await check(officer, "acct-3-officer-staff-invited")

        # The staff member: the mail from the SMTP catcher, a password, the facility's roster.
        staff_context, staff = await phone(browser)
        await set_password(gp, staff, base, staff_email)
        await log_in(staff, base, staff_email)
        await expect(staff.locator("h1")).to_contain_text("本日の利用予定")
        await check(staff, "acct-4-staff-first-roster")

        # The officer disables the account.
        await officer.reload()
        line = officer.locator(f"#a-{staff_id}")
        await expect(line).to_contain_text("利用中")
        await line.get_by_role("button", name="利用を停止する").click()
        await expect(officer.get_by_role("status")).to_contain_text(
            "アカウントの利用を停止しました"
        )
        await expect(officer.locator(f"#a-{staff_id}")).to_contain_text("停止中")
        await expect(officer.locator("table")).to_contain_text("利用を停止")
        await check(officer, "acct-5-officer-staff-disabled")

        # The staff member's next page is the login page; the right password is refused
        # exactly like a wrong one.
        await staff.reload()
        await expect(staff).to_have_url(f"{base}/login?next=%2Fstaff")
        await log_in(staff, base, staff_email)
        refused = await staff.get_by_role("alert").first.inner_text()
        await log_in(staff, base, staff_email, "a wrong password entirely")
        assert await staff.get_by_role("alert").first.inner_text() == refused
        assert "メールアドレスまたはパスワードが正しくありません" in refused
        await check(staff, "acct-6-staff-login-refused")

        # An officer cannot disable their own account: a clear message, nothing changes.
        own = officer.locator(".roster-list > li").filter(has_text=officer_email)
        await own.get_by_role("button", name="利用を停止する").click()
        await expect(officer.get_by_role("alert")).to_contain_text(
            "ご自身のアカウントの利用は停止できません"
        )
        await expect(
            officer.locator(".roster-list > li").filter(has_text=officer_email)
        ).to_contain_text("利用中")
        await check(officer, "acct-7-officer-self-disable-refused")

        # Another municipality's officer: these ids are 404s, the facility is no choice.
        _other_context, other = await phone(browser)
        await officer_logs_in(gp, other, base, other_officer)
        response = await other.goto(f"{base}/officer/staff")
        assert response is not None
        assert response.status == 200
        await expect(other.locator("main")).not_to_contain_text(staff_email)
        token = csrf_field(await other.content())
        for action in ("disable", "enable"):
            answer = await other.request.post(
                f"{base}/officer/staff/{staff_id}/{action}", form={"csrf_token": token}
            )
            assert answer.status == 404, action
        invited = await other.request.post(
            f"{base}/officer/staff/invite",
            form={"csrf_token": token, "email": "intruder@example.jp", "facility": facility_id},
        )
        assert invited.status == 400
        assert "職員の施設を選択してください" in await invited.text()

        # Enabled again: the staff member logs in with the same password.
        await officer.get_by_role("link", name="職員アカウント").click()
        await officer.locator(f"#a-{staff_id}").get_by_role("button", name="利用を再開する").click()
        await expect(officer.get_by_role("status")).to_contain_text("利用を再開しました")
        await log_in(staff, base, staff_email)
        await expect(staff.locator("h1")).to_contain_text("本日の利用予定")
        await staff_context.close()

        await officer.goto(f"{base}/officer/staff?lang=en")
        await expect(officer.locator("h1")).to_have_text("Staff accounts")
        await check(officer, "acct-8-officer-staff-en")

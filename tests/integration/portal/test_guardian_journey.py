"""A parent with only a phone and the e-mails, against the real services (identity,
eligibility, booking, notification as processes; Debian's Chromium at 390×844): the account
mail's link sets the password, the parent logs in and sees 「ご予約はありません」, this month's
hours and the 認定証; once the facility fixes the 初回面談, that as 直近のご予約; prints the
certificate; cannot open another family's certificate; logs out. Every page and state
passes axe-core and is photographed.

The municipality's and the facility's steps (certify, fix the interview) and the interview
request go through their APIs here; those screens come later."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
from cryptography.fernet import Fernet
from playwright.async_api import Page, expect

from tests.integration.e2e.conftest import _drop_databases, free_port
from tests.integration.e2e.journey import (
    KAKEGAWA,
    Applicant,
    Family,
    apply,
    approve,
    ok,
    register_facility,
    register_residents,
    unique_email,
    wait_until_booking_knows,
)
from tests.integration.portal.harness import (
    check,
    chromium,
    phone,
    screenshot_path,
    start_portal,
)
from tests.integration.portal.platform import GuardianPlatform
from tsuen_common.timeutil import today_jst

PASSWORD = "hidamari no naka de asobu"
NEW_PASSWORD = "asagao ga saita natsu no asa"
SESSION = "tsuen_portal_session"


def eligible_birth() -> date:
    return today_jst() - timedelta(days=400)  # about 13 months old: inside 6 months – 3 years


def bookable_day() -> date:
    """A weekday at least three days ahead, outside 年末年始."""
    day = today_jst() + timedelta(days=3)
    while day.weekday() >= 5 or (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3):
        day += timedelta(days=1)
    return day


async def interview_fixed(
    gp: GuardianPlatform, family: Family, facility_id: str, day: date
) -> None:
    async with gp.platform.client("booking") as booking:
        requested = ok(
            await booking.post(
                "/v1/interviews",
                json={"facility_id": facility_id, "child_id": family.child_id},
                headers=gp.platform.guardian(family.municipality, family.guardian_id),
            ),
            201,
        )
        ok(
            await booking.post(
                f"/v1/interviews/{requested['id']}/schedule",
                json={"starts_at": f"{day.isoformat()}T10:00:00+09:00"},
                headers=gp.platform.staff(family.municipality, facility_id),
            )
        )


async def certified_family(gp: GuardianPlatform, who: str, kana: str) -> Family:
    applicant = Applicant(KAKEGAWA, unique_email(who), kana, eligible_birth())
    await register_residents(gp.platform, applicant)
    await apply(gp.platform, applicant)
    return await approve(gp.platform, applicant)


async def test_a_parent_sets_a_password_logs_in_and_sees_home_and_certificate(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "haruto", "カケガワ ハルト")
    other = await certified_family(gp, "sakura", "カケガワ サクラ")
    link = await gp.link_in_mail(family.email, "/password/set")

    async with chromium() as browser:
        context, page = await phone(browser)

        # The account mail's link: a common password is refused with identity's reason.
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("パスワードの設定")
        await page.fill("#password", "password123")
        await page.fill("#password_confirm", "password123")
        await page.get_by_role("button", name="パスワードを設定する").click()
        await expect(page.get_by_role("alert")).to_contain_text("よく使われて")
        # The answer opens on its list of problems (the shared error summary has the focus).
        await expect(page.locator(".error-summary")).to_be_focused()
        await check(page, "20-password-set-refused-by-identity")

        await page.fill("#password", PASSWORD)
        await page.fill("#password_confirm", PASSWORD)
        await page.get_by_role("button", name="パスワードを設定する").click()
        await expect(page.locator("h1")).to_have_text("パスワードを設定しました")
        await check(page, "21-password-done")

        # The link worked once; opened again it explains how to get a new one.
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("このリンクは使用できません")
        await check(page, "22-password-link-used")

        # Login: a wrong password says nothing about whether the account exists.
        await page.goto(f"{base}/login")
        before = {c["name"]: c["value"] for c in await context.cookies()}[SESSION]
        await page.fill("#email", family.email)
        await page.fill("#password", "not the password")
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "メールアドレスまたはパスワードが正しくありません"
        )
        await check(page, "23-login-wrong-password")
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("ホーム")

        # A new session id after login (no fixation); the cookie is out of scripts' reach.
        cookie = {c["name"]: c for c in await context.cookies()}[SESSION]
        assert cookie["value"] != before
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        async with httpx.AsyncClient(base_url=base, cookies={SESSION: before}) as stranger:
            planted = await stranger.get("/")
        assert planted.status_code == 303  # the pre-login id opens nothing

        # Home without a booking: 「ご予約はありません」, this month's hours, the 認定証.
        card = page.locator("section.card")
        await expect(card).to_have_count(1)
        await expect(card).to_contain_text("ご予約はありません")
        await expect(card).to_contain_text("残り時間")
        await expect(card).to_contain_text(f"認定証番号 {KAKEGAWA}-")
        await expect(card).to_contain_text("通園 ハルト")  # the card names the child
        await check(page, "24-home-no-booking")

        # The parent asks a facility for the 初回面談 and the facility fixes its date (APIs);
        # home then shows it as 直近のご予約.
        await wait_until_booking_knows(gp.platform, family)
        facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("hidamari"))
        day = bookable_day()
        await interview_fixed(gp, family, facility_id, day)
        await page.reload()
        await expect(card).to_contain_text("直近のご予約")
        await expect(card).to_contain_text("ひまわり保育園")
        await expect(card).to_contain_text(f"{day.month}月{day.day}日")
        await expect(card).to_contain_text("10:00")
        await expect(card).to_contain_text("初回面談")
        await check(page, "25-home-with-booking")

        # 予約一覧, with its filters (a GET form: no script needed).
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="予約一覧")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("予約一覧")
        listing = page.locator(".booking-list")
        await expect(listing.locator("li")).to_have_count(1)
        await expect(listing).to_contain_text("初回面談")
        await check(page, "30-bookings")
        await page.select_option("#kind", "flexible")
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.locator(".empty")).to_have_text("ご予約はありません")
        await page.select_option("#kind", "")
        await page.fill("#from", (day + timedelta(days=1)).isoformat())
        await page.fill("#to", day.isoformat())
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.get_by_role("alert")).to_contain_text("終了日は開始日と同じか")
        await check(page, "31-bookings-filter-error")
        await page.fill("#from", day.isoformat())
        await page.get_by_role("button", name="絞り込む").click()
        await expect(listing.locator("li")).to_have_count(1)

        # 施設をさがす by keyword.
        await page.get_by_role("link", name="施設をさがす").click()
        await page.fill("#q", "ひまわり")
        await page.get_by_role("button", name="検索する").click()
        results = page.locator(".facility-list > li")
        await expect(results.first).to_contain_text("ひまわり保育園")
        await expect(results.first).to_contain_text("認可保育所")
        await check(page, "32-facilities")
        await page.fill("#q", "存在しない施設名")
        await page.get_by_role("button", name="検索する").click()
        await expect(page.locator(".empty")).to_contain_text("該当する施設はありません")
        await check(page, "33-facilities-none")
        await page.get_by_role("link", name="ホーム").click()

        # The certificate, on screen and as printed.
        await card.get_by_role("link", name="認定証を表示する").click()
        await expect(page.locator("h1")).to_have_text("乳児等通園支援事業 認定証")
        await check(page, "26-certificate")
        await page.emulate_media(media="print")
        await expect(page.locator(".site-header")).to_be_hidden()
        await page.screenshot(path=str(screenshot_path("27-certificate-print")), full_page=True)
        await page.emulate_media(media="screen")

        # Another family's certificate by changing the id in the address: not found.
        response = await page.goto(f"{base}/certificates/{other.certification_id}")
        assert response is not None
        assert response.status == 404
        await expect(page.locator("h1")).to_have_text("ページが見つかりません")

        # In English.
        await page.goto(f"{base}/")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Home")
        await expect(card).to_contain_text("Your next booking")
        await check(page, "28-home-en")
        await page.get_by_role("link", name="日本語").click()

        # Logout ends the session here and at identity.
        signed_in = {c["name"]: c["value"] for c in await context.cookies()}[SESSION]
        await page.get_by_role("button", name="ログアウト").click()
        await expect(page.locator("h1")).to_have_text("ログイン")
        async with httpx.AsyncClient(base_url=base, cookies={SESSION: signed_in}) as stranger:
            replayed = await stranger.get("/")
        assert replayed.status_code == 303
        assert replayed.headers["location"].startswith("/login")


async def test_a_parent_registers_the_childs_details_from_home(guardians: GuardianPlatform):
    """お子さんの情報登録: home asks for it until it is done; the form refuses what is missing
    (summary at the top, linked to the field), saves, and shows what was saved when opened
    again; another family's child is a 404; the page is never cached."""
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "hinata", "カケガワ ヒナタ")
    other = await certified_family(gp, "aoi", "カケガワ アオイ")
    link = await gp.link_in_mail(family.email, "/password/set")
    async with chromium() as browser:
        _context, page = await phone(browser)
        await page.goto(link)
        await page.fill("#password", PASSWORD)
        await page.fill("#password_confirm", PASSWORD)
        await page.get_by_role("button", name="パスワードを設定する").click()
        await page.goto(f"{base}/login")
        await page.fill("#email", family.email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        card = page.locator("section.card")
        await expect(card).to_contain_text("初めての利用の前に")
        await check(page, "34-home-asks-for-the-childs-details")
        await card.get_by_role("link", name="お子さんの情報を登録する").click()
        await expect(page.locator("h1")).to_have_text("お子さんの情報")
        await expect(page.locator("main")).to_contain_text("通園 ヒナタ")
        await check(page, "35-child-record-empty")

        # Nothing filled in: the first emergency contact is asked for, linked to its field.
        await page.get_by_role("button", name="保存する").click()
        summary = page.get_by_role("alert").first
        await expect(summary).to_contain_text("緊急連絡先 1")
        await expect(summary.get_by_role("link").first).to_have_attribute("href", "#ec_0_name")
        await expect(page.locator("#ec_0_name")).to_have_attribute("aria-invalid", "true")
        await check(page, "36-child-record-missing-contact")

        await page.fill("#allergies", "卵\n小麦")
        await page.fill("#allergy_notes", "加熱した卵も不可")
        await page.locator("#medical_care-yes").check()
        await page.fill("#ec_0_name", "掛川 陽子")
        await page.fill("#ec_0_relation", "母")
        await page.fill("#ec_0_phone", "090-1234-5678")
        await page.fill("#pu_0_name", "掛川 和子")
        await page.fill("#pu_0_relation", "祖母")
        await page.get_by_role("button", name="保存する").click()
        # 医療的ケア without saying what it is: asked for before anything is sent.
        await expect(page.get_by_role("alert").first).to_contain_text("必要な医療的ケアの内容")
        await page.fill("#medical_care_notes", "食後に吸入")
        # A phone number eligibility refuses comes back beside its field.
        await page.fill("#ec_0_phone", "なし")
        await page.get_by_role("button", name="保存する").click()
        await expect(page.locator("#ec_0_phone-error")).to_be_visible()
        await page.fill("#ec_0_phone", "090-1234-5678")
        await page.get_by_role("button", name="保存する").click()
        await expect(page.locator(".notice--success")).to_contain_text("保存しました")
        await expect(page.locator("#allergies")).to_have_value("卵\n小麦")
        await expect(page.locator("#medical_care-yes")).to_be_checked()
        await expect(page.locator("#pu_0_name")).to_have_value("掛川 和子")
        await check(page, "37-child-record-saved")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Your child's details")
        await check(page, "38-child-record-en")
        await page.get_by_role("link", name="日本語").click()

        # Home no longer asks; it links to the details instead.
        await page.goto(f"{base}/")
        await expect(card).not_to_contain_text("初めての利用の前に")
        await expect(
            card.get_by_role("link", name="お子さんの情報（健康状態・緊急連絡先・お迎え）")
        ).to_be_visible()

        response = await page.goto(f"{base}/children/{other.child_id}/record")
        assert response is not None
        assert response.status == 404
        mine = await page.request.get(f"{base}/children/{family.child_id}/record")
        assert mine.headers["cache-control"] == "no-store"

    # The record reached eligibility as the parent typed it, and went out as an event.
    async with gp.platform.client("eligibility") as eligibility:
        saved = ok(
            await eligibility.get(
                f"/v1/municipalities/{KAKEGAWA}/children/{family.child_id}/profile",
                headers=gp.platform.guardian(family.municipality, family.guardian_id),
            )
        )
    assert saved["version"] == 1
    assert saved["profile"]["allergies"] == ["卵", "小麦"]
    assert saved["profile"]["medical_care_notes"] == "食後に吸入"
    assert saved["profile"]["pickup_persons"] == [
        {"name": "掛川 和子", "relation": "祖母", "phone": None}
    ]


async def keyboard_to(page: Page, selector: str, *, limit: int = 25) -> None:
    """Tab from where the focus is until ``selector`` has it (keyboard only, no clicks)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} not reached with Tab")


async def test_keyboard_only_login_token_refresh_reset_and_lockout(
    guardians: GuardianPlatform, postgres, tmp_path
):
    """A second portal on the same services that refreshes the access token at every request
    (its tokens encrypted at rest): the parent logs in with the keyboard alone and moves
    around; then resets the password by mail (the link works once) and finally gets locked
    out by identity after repeated wrong passwords."""
    gp = guardians
    family = await certified_family(gp, "yui", "カケガワ ユイ")
    second = await start_portal(
        postgres,
        tmp_path,
        free_port(),
        identity_url=gp.platform.url("identity"),
        eligibility_url=gp.platform.url("eligibility"),
        booking_url=gp.platform.url("booking"),
        extra_env={
            "TSUEN_PORTAL_REFRESH_MARGIN_SECONDS": "86400",
            "TSUEN_PORTAL_TOKEN_KEY": Fernet.generate_key().decode(),
        },
    )
    base = second.service.url
    try:
        link = await gp.link_in_mail(family.email, "/password/set")
        async with chromium() as browser:
            context, page = await phone(browser)
            await page.goto(link.replace(gp.portal.url, base))
            await page.fill("#password", PASSWORD)
            await page.fill("#password_confirm", PASSWORD)
            await page.keyboard.press("Enter")
            await expect(page.locator("h1")).to_have_text("パスワードを設定しました")

            # Keyboard only: from the top of the login page to home and on to 予約一覧.
            await page.goto(f"{base}/login")
            await keyboard_to(page, "#email")
            await page.keyboard.type(family.email)
            await page.keyboard.press("Tab")
            await page.keyboard.type(PASSWORD)
            await page.keyboard.press("Enter")
            await expect(page.locator("h1")).to_have_text("ホーム")
            await expect(page.locator("section.card")).to_contain_text("ご予約はありません")
            await keyboard_to(page, 'a[href="/bookings"]')
            await page.keyboard.press("Enter")
            await expect(page.locator("h1")).to_have_text("予約一覧")
            # Every request here refreshed the token (rotated refresh tokens) and still works,
            # also when the phone sends several at once: they take turns, and none presents a
            # refresh token already spent (identity would end every session of the account).
            for _ in range(3):
                await page.reload()
                await expect(page.locator("h1")).to_have_text("予約一覧")
            cookie = {c["name"]: c["value"] for c in await context.cookies()}[SESSION]
            async with httpx.AsyncClient(base_url=base, cookies={SESSION: cookie}) as same_phone:
                answers = await asyncio.gather(*(same_phone.get("/bookings") for _ in range(4)))
            assert [a.status_code for a in answers] == [200] * 4
            await page.reload()
            await expect(page.locator("h1")).to_have_text("予約一覧")
            await keyboard_to(page, "button.header-button")
            await page.keyboard.press("Enter")
            await expect(page.locator("h1")).to_have_text("ログイン")

            # Forgotten password: a reset link by mail, which works once.
            await page.get_by_role("link", name="パスワード設定のリンクを受け取る").click()
            await page.fill("#email", family.email)
            await page.get_by_role("button", name="リンクを送信する").click()
            await expect(page.locator("h1")).to_have_text("メールをご確認ください")
            await check(page, "40-password-reset-sent")
            reset = await gp.link_in_mail(family.email, "/password/set", count=2)
            assert "purpose=reset" in reset
            await page.goto(reset.replace(gp.portal.url, base))
            await expect(page.locator("h1")).to_have_text("新しいパスワードの設定")
            await check(page, "41-password-reset-set")
            await page.fill("#password", NEW_PASSWORD)
            await page.fill("#password_confirm", NEW_PASSWORD)
            await page.get_by_role("button", name="パスワードを設定する").click()
            await expect(page.locator("h1")).to_have_text("パスワードを設定しました")
            await page.goto(reset.replace(gp.portal.url, base))
            await expect(page.locator("h1")).to_have_text("このリンクは使用できません")

            # The new password opens home; the old one no longer does.
            await page.goto(f"{base}/login")
            await page.fill("#email", family.email)
            await page.fill("#password", PASSWORD)
            await page.get_by_role("button", name="ログイン", exact=True).click()
            await expect(page.get_by_role("alert")).to_contain_text("正しくありません")
            await page.fill("#password", NEW_PASSWORD)
            await page.get_by_role("button", name="ログイン", exact=True).click()
            await expect(page.locator("h1")).to_have_text("ホーム")
            await page.get_by_role("button", name="ログアウト").click()

            # Repeated wrong passwords: identity locks the account and the page says how long.
            for _ in range(10):
                await page.fill("#email", family.email)
                await page.fill("#password", "wrong guess again")
                await page.get_by_role("button", name="ログイン", exact=True).click()
                if await page.locator(".notice--warning").count():
                    break
            await expect(page.locator(".notice--warning")).to_contain_text("分後にもう一度")
            await check(page, "42-login-locked")
            # Locked means locked: even the right password waits.
            await page.fill("#password", NEW_PASSWORD)
            await page.get_by_role("button", name="ログイン", exact=True).click()
            await expect(page.locator(".notice--warning")).to_be_visible()
    finally:
        second.service.stop()
        await _drop_databases(postgres, [second.database])


async def test_facility_staff_log_in_to_the_same_portal_but_not_to_guardian_pages(
    guardians: GuardianPlatform,
):
    """Staff accounts come from identity's operator command; they log in on the same page,
    land on their roster (/staff) and get the 403 page for the guardian's pages."""
    gp = guardians
    base = gp.portal.url
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("staffed"))
    email = unique_email("staff")
    created = gp.platform.run_command(
        "identity",
        *("create-account", "--role", "facility_staff", "--municipality", KAKEGAWA),
        *("--facility-id", facility_id, "--email", email),
    )
    assert created.returncode == 0, created.stderr
    link = await gp.link_in_mail(email, "/password/set")
    async with chromium() as browser:
        _, page = await phone(browser)
        await page.goto(link)
        await page.fill("#password", PASSWORD)
        await page.fill("#password_confirm", PASSWORD)
        await page.get_by_role("button", name="パスワードを設定する").click()
        await page.goto(f"{base}/login")
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        # Their home is the facility's roster (test_staff_screens.py; no attendance here).
        await expect(page).to_have_url(f"{base}/staff")
        for path in ("/bookings", "/facilities", f"/certificates/{facility_id}"):
            response = await page.goto(f"{base}{path}")
            assert response is not None
            assert response.status == 403, path
        await expect(page.locator("h1")).to_have_text("このページは表示できません")
        await expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
        await check(page, "51-staff-forbidden")

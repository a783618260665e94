"""A certified parent on a phone, against the real services: opens a facility from 施設をさがす
(hours, type, address, comments), keeps it as a favourite, reads the week of free places, is
refused a booking in plain Japanese before the first interview, asks for the 初回面談 and sees it
in the list; once the facility has met the child (its API), books 柔軟利用, opens the booking
from 予約一覧, reads the free-cancellation deadline and cancels with a reason. Another family's
booking is a 404 like a missing one. Every page and state passes axe-core and is photographed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from playwright.async_api import Page, expect

from tests.integration.e2e.journey import (
    KAKEGAWA,
    Family,
    book,
    ok,
    register_facility,
    unique_email,
)
from tests.integration.e2e.journey import wait_until_booking_knows as booking_knows
from tests.integration.portal.harness import check, chromium, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_guardian_journey import (
    PASSWORD,
    SESSION,
    bookable_day,
    certified_family,
    keyboard_to,
)


async def accepted(gp: GuardianPlatform, family: Family, facility_id: str) -> None:
    """The facility has met the child (初回面談 held) and accepts them: its API."""
    staff = gp.platform.staff(family.municipality, facility_id)
    async with gp.platform.client("booking") as booking:
        found = ok(
            await booking.get(
                "/v1/interviews",
                headers=gp.platform.guardian(family.municipality, family.guardian_id),
            )
        )
        mine = [
            i
            for i in found
            if i["facility_id"] == facility_id and i["status"] in ("requested", "scheduled")
        ]
        if mine:
            interview_id = mine[0]["id"]
        else:
            interview_id = ok(
                await booking.post(
                    "/v1/interviews",
                    json={"facility_id": facility_id, "child_id": family.child_id},
                    headers=gp.platform.guardian(family.municipality, family.guardian_id),
                ),
                201,
            )["id"]
        start = f"{bookable_day().isoformat()}T09:00:00+09:00"
        ok(
            await booking.post(
                f"/v1/interviews/{interview_id}/schedule", json={"starts_at": start}, headers=staff
            )
        )
        ok(
            await booking.post(
                f"/v1/interviews/{interview_id}/held",
                json={"health_check": "no_concerns"},
                headers=staff,
            )
        )
        ok(
            await booking.put(
                f"/v1/facilities/{facility_id}/acceptances/{family.child_id}",
                json={"accepted": True},
                headers=staff,
            )
        )


async def log_in(gp: GuardianPlatform, page: Page, family: Family) -> None:
    link = await gp.link_in_mail(family.email, "/password/set")
    await page.goto(link)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="パスワードを設定する").click()
    await page.goto(f"{gp.portal.url}/login")
    await page.fill("#email", family.email)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator("h1")).to_have_text("ホーム")


async def test_facility_page_booking_cancel_and_interviews(guardians: GuardianPlatform):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "riku", "カケガワ リク")
    other = await certified_family(gp, "nagi", "カケガワ ナギ")
    await booking_knows(gp.platform, family)
    await booking_knows(gp.platform, other)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("asahi"))
    day = bookable_day()

    # Another family's booking, made through the API.
    await accepted(gp, other, facility_id)
    theirs = ok(await book(gp.platform, other, facility_id, day, "13:00", "14:00"), 201)

    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)

        # From 施設をさがす to the facility's page.
        await page.goto(f"{base}/facilities")
        await page.locator(f'a[href="/facilities/{facility_id}"]').click()
        await expect(page.locator("h1")).to_contain_text("ひまわり保育園")
        main = page.locator("main")
        await expect(main).to_contain_text("認可保育所")
        await expect(main).to_contain_text("静岡県掛川市長谷2-2")
        await expect(main).to_contain_text("初回面談では健康状態を確認します")
        await expect(main).to_contain_text("08:00–18:00")
        await page.goto(f"{base}/facilities/{facility_id}")
        await check(page, "80-facility")

        # Favourite: add, then remove.
        await page.get_by_role("button", name="お気に入りに追加する").click()
        await expect(page.get_by_role("status")).to_contain_text("お気に入りに追加しました")
        await page.get_by_role("button", name="お気に入りから外す").click()
        await expect(page.get_by_role("status")).to_contain_text("お気に入りから外しました")

        # The week of the bookable day, reached by the week links.
        week = day - timedelta(days=day.weekday())
        await page.goto(f"{base}/facilities/{facility_id}?week={week.isoformat()}")
        await expect(page.locator(".grid-day").first).to_contain_text(f"{week.day}日")
        await page.get_by_role("link", name="次の週").click()
        await expect(page.locator(".grid-day").first).to_contain_text(
            f"{(week + timedelta(days=7)).day}日"
        )
        await page.get_by_role("link", name="前の週").click()
        await expect(page.locator(".cell").first).to_contain_text("空き")
        await check(page, "81-facility-week")

        # Not accepted yet: booking says why, in Japanese.
        await page.select_option("#day", day.isoformat())
        await page.select_option("#start", "10:00")
        await page.select_option("#end", "12:00")
        await page.get_by_role("button", name="予約する").click()
        await expect(page.get_by_role("alert")).to_contain_text("受け入れが決まっていません")
        await check(page, "82-facility-booking-refused")
        # A form error: the end before the start.
        await page.select_option("#start", "12:00")
        await page.select_option("#end", "10:00")
        await page.get_by_role("button", name="予約する").click()
        await expect(page.get_by_role("alert")).to_contain_text("終了時刻は開始時刻より後")

        # Ask for the 初回面談 with a suggested time; the list shows it.
        await page.fill("#proposed_0", f"{day.isoformat()}T10:00")
        await page.get_by_role("button", name="初回面談を申し込む").click()
        await expect(page.locator("h1")).to_have_text("初回面談")
        await expect(page.get_by_role("status")).to_contain_text("申し込みを施設に送りました")
        await expect(page.locator(".booking-list")).to_contain_text("ひまわり保育園")
        await check(page, "83-interviews")

        # Moving it: call it off ("another time"), then ask again with a new time.
        card = page.locator(".booking-list > li").first
        await card.get_by_text("面談を取り消す・日時を変える").click()
        await card.get_by_label("別の日時にしたい").check()
        await check(page, "83a-interview-call-off")
        await card.get_by_role("button", name="面談を取り消す").click()
        await expect(page.get_by_role("status")).to_contain_text("新しい候補日時で申し込んで")
        await expect(page.locator(".booking-list")).to_contain_text("キャンセル")
        await page.goto(f"{base}/facilities/{facility_id}")
        await page.fill("#proposed_0", f"{day.isoformat()}T11:00")
        await page.get_by_role("button", name="初回面談を申し込む").click()
        await expect(page.get_by_role("status")).to_contain_text("申し込みを施設に送りました")
        await expect(page.locator(".booking-list")).to_contain_text("11:00")

        # The facility meets the child and accepts them; now the booking goes through.
        await accepted(gp, family, facility_id)
        await page.goto(f"{base}/facilities/{facility_id}?week={week.isoformat()}")
        await page.select_option("#day", day.isoformat())
        await page.select_option("#start", "10:00")
        await page.select_option("#end", "12:00")
        await page.get_by_role("button", name="予約する").click()
        await expect(page.locator("h1")).to_have_text("予約の詳細")
        await expect(page.get_by_role("status")).to_contain_text("予約しました")
        await expect(page.locator("main")).to_contain_text("無料でキャンセルできる期限")
        await expect(page.locator("main")).to_contain_text("今月の利用可能時間に戻ります")
        await check(page, "84-booking")
        mine = page.url.split("?")[0]

        # 予約一覧 links to it.
        await page.goto(f"{base}/bookings?kind=flexible")
        await page.locator(".booking-list").get_by_role("link").first.click()
        await expect(page.locator("h1")).to_have_text("予約の詳細")
        assert page.url.split("?")[0] == mine

        # Cancel: a reason is required; a confirmation page says what it does (the guide's
        # 確認画面); 「キャンセルせずに戻る」 keeps it; then the booking is cancelled.
        await page.get_by_role("button", name="確認画面に進む").click()
        await expect(page.get_by_role("alert")).to_contain_text("理由を選んでください")
        await check(page, "85-booking-cancel-error")
        await page.get_by_label("子どもの体調不良").check()
        await page.get_by_role("button", name="確認画面に進む").click()
        await expect(page.locator("h1")).to_have_text("この予約をキャンセルしますか")
        await expect(page.locator("main")).to_contain_text("子どもの体調不良")
        await expect(page.locator("main")).to_contain_text("今月の利用可能時間に戻ります")
        await check(page, "85b-booking-cancel-confirm")
        await page.get_by_role("link", name="キャンセルせずに戻る").click()
        await expect(page.locator("h1")).to_have_text("予約の詳細")
        await expect(page.locator("main")).to_contain_text("予約済")
        await page.get_by_label("子どもの体調不良").check()
        await page.get_by_role("button", name="確認画面に進む").click()
        await page.get_by_role("button", name="この予約をキャンセルする").click()
        await expect(page.get_by_role("status")).to_contain_text("予約をキャンセルしました")
        await expect(page.locator("main")).to_contain_text("子どもの体調不良")
        await check(page, "86-booking-cancelled")

        # Another family's booking, and one that does not exist: the same 404.
        for booking_id in (theirs["id"], str(uuid.uuid4())):
            response = await page.goto(f"{base}/bookings/{booking_id}")
            assert response is not None
            assert response.status == 404
            await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        response = await page.goto(f"{base}/facilities/{uuid.uuid4()}")
        assert response is not None
        assert response.status == 404

        # Every form refuses a POST without the page's CSRF token (the session cookie alone is
        # not enough), and no page may be kept by a shared browser.
        cookie = {c["name"]: c["value"] for c in await context.cookies()}[SESSION]
        async with httpx.AsyncClient(base_url=base, cookies={SESSION: cookie}) as forged:
            for path, form in (
                (f"/facilities/{facility_id}/book", {"child": family.child_id}),
                (f"/facilities/{facility_id}/favourite", {"favourite": "add"}),
                (f"/facilities/{facility_id}/interview", {"interview_child": family.child_id}),
                (mine.removeprefix(base) + "/cancel/confirm", {"reason": "illness"}),
                (mine.removeprefix(base) + "/cancel", {"reason": "illness"}),
                ("/email/confirm", {"municipality": KAKEGAWA, "token": "x" * 20}),
                ("/apply/link", {"municipality": KAKEGAWA, "email": "a@example.jp"}),
            ):
                refused = await forged.post(path, data=form)
                assert refused.status_code == 403, path
            refused = await forged.post("/apply/confirm", files={"municipality": (None, KAKEGAWA)})
            assert refused.status_code == 403
            # The language link of a page shown after a POST is a GET on the form's address.
            for path, target in (
                (f"/facilities/{facility_id}/book?lang=en", f"/facilities/{facility_id}"),
                (mine.removeprefix(base) + "/cancel?lang=en", mine.removeprefix(base)),
                (mine.removeprefix(base) + "/cancel/confirm?lang=en", mine.removeprefix(base)),
                ("/apply/send?lang=en", "/apply/link"),
            ):
                moved = await forged.get(path)
                assert moved.status_code == 303, path
                assert moved.headers["location"] == target
            for path in (mine.removeprefix(base), f"/facilities/{facility_id}", "/interviews"):
                shown = await forged.get(path)
                assert shown.status_code == 200, path
                assert shown.headers["cache-control"] == "no-store"

        # In English.
        await page.goto(f"{base}/facilities/{facility_id}")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("main")).to_contain_text("Free places")
        await check(page, "87-facility-en")


async def test_regular_use_applied_from_the_facility_page_answered_and_ended(
    guardians: GuardianPlatform,
):
    """定期利用: the parent applies on the facility's page (a missing weekday is asked for;
    booking's refusal for hours the facility is closed is shown in its words), sees the
    application waiting, then approved by the facility with its bookings made, and ends it."""
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "kaito", "カケガワ カイト")
    await booking_knows(gp.platform, family)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("tsubame"))
    await accepted(gp, family, facility_id)
    first_day = bookable_day()

    async with chromium() as browser:
        _context, page = await phone(browser)
        await log_in(gp, page, family)
        await page.goto(f"{base}/facilities/{facility_id}#regular")
        form = page.locator(f'form[action="/facilities/{facility_id}/regular"]')
        await form.locator("#regular_start").select_option("09:00")
        await form.locator("#regular_end").select_option("11:00")
        await form.locator("#valid_from").fill(first_day.isoformat())
        await form.get_by_role("button", name="定期利用を申し込む").click()
        await expect(page.get_by_role("alert").first).to_contain_text("曜日を選んでください")
        await check(page, "88-regular-weekday-missing")

        # Sunday: the facility is closed, and booking says so.
        form = page.locator(f'form[action="/facilities/{facility_id}/regular"]')
        await form.locator("#weekday").select_option("6")
        await form.get_by_role("button", name="定期利用を申し込む").click()
        await expect(page.get_by_role("alert").first).to_contain_text("開いていません")

        form = page.locator(f'form[action="/facilities/{facility_id}/regular"]')
        await form.locator("#weekday").select_option(str(first_day.weekday()))
        await form.get_by_role("button", name="定期利用を申し込む").click()
        await expect(page.locator("h1")).to_have_text("定期利用")
        await expect(page.get_by_role("status")).to_contain_text("申込みを施設に送りました")
        plan = page.locator(".booking-list > li")
        await expect(plan).to_have_count(1)
        await expect(plan).to_contain_text("施設の回答待ち")
        await expect(plan).to_contain_text("09:00–11:00")
        await check(page, "89-regular-applied")

        # The facility approves (its API); the parent sees it approved and its bookings.
        async with gp.platform.client("booking") as booking:
            plans = ok(
                await booking.get(
                    "/v1/regular-plans",
                    headers=gp.platform.guardian(family.municipality, family.guardian_id),
                )
            )
            ok(
                await booking.post(
                    f"/v1/regular-plans/{plans[0]['id']}/approve",
                    headers=gp.platform.staff(family.municipality, facility_id),
                )
            )
        await page.reload()
        await expect(plan).to_contain_text("承認済み")
        await page.goto(f"{base}/bookings?kind=regular")
        await expect(page.locator(".booking-list")).to_contain_text("定期利用")

        # 一括キャンセル: two of the plan's bookings at once, each shown with its deadline.
        await page.goto(f"{base}/bookings")
        await page.get_by_role("link", name="複数の予約をまとめてキャンセルする").click()
        await expect(page.locator("h1")).to_have_text("まとめてキャンセル")
        boxes = page.locator('input[name="booking"]')
        assert await boxes.count() >= 2
        await expect(page.locator("main form")).to_contain_text("無料でキャンセルできます")
        await page.get_by_role("button", name="選んだ予約をキャンセルする").click()
        await expect(page.get_by_role("alert").first).to_contain_text("キャンセルする予約を選んで")
        await check(page, "90a-bulk-cancel-nothing-chosen")
        before = await boxes.count()
        await boxes.nth(0).check()
        await boxes.nth(1).check()
        await page.get_by_label("家庭の都合").check()
        await page.get_by_role("button", name="選んだ予約をキャンセルする").click()
        await expect(page.get_by_role("status")).to_contain_text("2件の予約をキャンセルしました")
        await check(page, "90b-bulk-cancelled")
        await page.goto(f"{base}/bookings/cancel-many")
        await expect(page.locator('input[name="booking"]')).to_have_count(before - 2)

        # Ending it cancels what comes after the last day.
        await page.goto(f"{base}/plans")
        await plan.get_by_role("button", name="定期利用を終了する").click()
        await expect(page.get_by_role("status")).to_contain_text("定期利用を終了しました")
        await check(page, "90-regular-ended")


async def _choose(page: Page, selector: str, value: str) -> None:
    """A <select> by the keyboard alone: focus it, then arrow down until ``value`` is chosen."""
    await keyboard_to(page, selector)
    for _ in range(60):
        if await page.evaluate(f"document.querySelector({selector!r}).value") == value:
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reached in {selector} with the arrow keys")


async def test_the_guardians_journey_by_the_keyboard_alone(guardians: GuardianPlatform):
    """Issue 15: menu → 施設をさがす → the facility → 柔軟利用 booked → cancelled with a reason,
    with Tab, the arrow keys, Space and Enter only (login by keyboard has its own test)."""
    gp = guardians
    family = await certified_family(gp, "kibo", "カケガワ キボウ")
    await booking_knows(gp.platform, family)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("kibo-en"))
    await accepted(gp, family, facility_id)
    day = bookable_day()

    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)
        await keyboard_to(page, 'a.main-nav__link[href="/facilities"]')
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_contain_text("施設をさがす")
        await keyboard_to(page, f'a[href="/facilities/{facility_id}"]', limit=80)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_contain_text("ひまわり保育園")
        # The bookable day's week, by the 次の週 link.
        week = day - timedelta(days=day.weekday())
        while not await page.locator(f'#day option[value="{day.isoformat()}"]').count():
            await keyboard_to(page, ".week-nav a:last-of-type")
            await page.keyboard.press("Enter")
            await expect(page.locator("h1")).to_contain_text("ひまわり保育園")
            assert page.url.split("week=")[1][:10] <= week.isoformat()
        await _choose(page, "#day", day.isoformat())
        await _choose(page, "#start", "10:00")
        await _choose(page, "#end", "11:00")
        await keyboard_to(page, "form[action$='/book'] button[type=submit]")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("予約の詳細")
        await expect(page.get_by_role("status")).to_contain_text("予約しました")

        # Cancel: Tab to the first reason, Space chooses it, Tab on to the button, Enter.
        await keyboard_to(page, "input[type=radio]", limit=60)
        await page.keyboard.press("Space")
        await keyboard_to(page, "form[action$='/cancel/confirm'] button[type=submit]")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("この予約をキャンセルしますか")
        await keyboard_to(page, "form[action$='/cancel'] button[type=submit]")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("予約をキャンセルしました")
        await context.close()

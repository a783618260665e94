"""空き待ち on a phone, against the real services (issue 17): a parent refused because the only
place is taken joins the wait list from the refusal; the other family cancels; notification
mails the offer with the hold's deadline; the mail's link, opened signed out, goes through
the login and back to the offer; 予約する books it. Another family's entry is a 404 like a
missing one. Every state passes axe-core and is photographed."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.async_api import expect

from tests.integration.conftest import eventually
from tests.integration.e2e.journey import KAKEGAWA, book, ok, register_facility, unique_email
from tests.integration.e2e.journey import wait_until_booking_knows as booking_knows
from tests.integration.portal.harness import check, chromium, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_facility_pages import accepted, log_in
from tests.integration.portal.test_guardian_journey import PASSWORD, bookable_day, certified_family

OFFER_SUBJECT = "空き待ちの施設に空きが出ました"


async def test_a_parent_waits_for_a_full_hour_and_books_the_offered_place(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "mio", "カケガワ ミオ")
    other = await certified_family(gp, "sota", "カケガワ ソウタ")
    third = await certified_family(gp, "yui", "カケガワ ユイ")
    for f in (family, other, third):
        await booking_knows(gp.platform, f)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("wl"))
    async with gp.platform.client("booking") as booking:
        ok(
            await booking.patch(
                f"/v1/facilities/{facility_id}",
                json={"places_per_slot": 1},
                headers=gp.platform.officer(KAKEGAWA),
            )
        )
    for f in (family, other, third):
        await accepted(gp, f, facility_id)
    day = bookable_day()
    theirs = ok(await book(gp.platform, other, facility_id, day, "10:00", "11:00"), 201)

    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)

        # The only place is taken: refused, with the way to wait for it.
        week = day - timedelta(days=day.weekday())
        await page.goto(f"{base}/facilities/{facility_id}?week={week.isoformat()}")
        await page.select_option("#day", day.isoformat())
        await page.select_option("#start", "10:00")
        await page.select_option("#end", "11:00")
        await page.get_by_role("button", name="予約する").click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("空きがありません")
        await check(page, "wl-01-full")
        await alert.get_by_role("button", name="空き待ちに登録する").click()
        await expect(page.locator("h1")).to_have_text("空き待ち")
        await expect(page.get_by_role("status")).to_contain_text("空き待ちに登録しました")
        await expect(page.locator(".booking-list")).to_contain_text("空き待ち中 (1番目)")
        await check(page, "wl-02-list")
        mine = await page.locator(".booking-list a").first.get_attribute("href")
        assert mine is not None

        # A third family waits behind: their entry is not this family's to open or answer.
        async with gp.platform.client("booking") as booking:
            theirs_waiting = ok(
                await booking.post(
                    "/v1/waitlist",
                    json={
                        "facility_id": facility_id,
                        "child_id": third.child_id,
                        "use_date": day.isoformat(),
                        "start": "10:00",
                        "end": "11:00",
                    },
                    headers=gp.platform.guardian(KAKEGAWA, third.guardian_id),
                ),
                201,
            )
        for path in (f"/waitlist/{theirs_waiting['id']}", f"/waitlist/{uuid.uuid4()}"):
            response = await page.goto(f"{base}{path}")
            assert response is not None
            assert response.status == 404
        await context.close()

        # The other family cancels: the place is held for this family and mailed.
        async with gp.platform.client("booking") as booking:
            ok(
                await booking.post(
                    f"/v1/bookings/{theirs['id']}/cancel",
                    json={"reason": "家庭の都合"},
                    headers=gp.platform.guardian(KAKEGAWA, other.guardian_id),
                )
            )
        [mail] = await gp.mailbox.wait_for(family.email, OFFER_SUBJECT, within=90)
        text = mail.body("plain") or ""
        assert "確保の期限:" in text
        link = re.search(re.escape(base) + r"/waitlist/[0-9a-f-]{36}", text)
        assert link is not None
        assert link.group(0).endswith(mine)

        # The link on a phone signed out: the login, then back to the offer.
        context, page = await phone(browser)
        await page.goto(link.group(0))
        await expect(page.locator("h1")).to_have_text("ログイン")
        await page.fill("#email", family.email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("空きが出ました")
        main = page.locator("main")
        await expect(main).to_contain_text("空きを確保しています")
        await expect(main).to_contain_text("確保の期限")
        await check(page, "wl-03-offer")

        # 予約する: booked through the normal rules; the place is no longer anyone else's.
        await page.get_by_role("button", name="予約する").click()
        await expect(page.locator("h1")).to_have_text("予約の詳細")
        await expect(page.get_by_role("status")).to_contain_text("予約しました")
        await expect(main).to_contain_text("10:00–11:00")
        await check(page, "wl-04-booked")
        await page.goto(f"{base}{mine}")
        await expect(main).to_contain_text("予約済")
        await check(page, "wl-05-entry-booked")

        async def third_waits() -> bool:
            async with gp.platform.client("booking") as booking:
                entry = ok(
                    await booking.get(
                        f"/v1/waitlist/{theirs_waiting['id']}",
                        headers=gp.platform.guardian(KAKEGAWA, third.guardian_id),
                    )
                )
            return bool(entry["status"] == "waiting" and entry["position"] == 1)

        await eventually(third_waits, within=10, what="the third family next in line")

        # The list in English too.
        await page.goto(f"{base}/waitlist?lang=en")
        await expect(page.locator("h1")).to_have_text("Wait list")
        await expect(page.locator(".booking-list")).to_contain_text("Booked")
        await check(page, "wl-06-list-en")
        await context.close()

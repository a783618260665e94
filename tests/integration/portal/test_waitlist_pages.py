"""空き待ち on a phone, against the real services (issue 17): a parent refused because the only
place is taken joins the wait list from the refusal; the other family cancels; notification
mails the offer with the hold's deadline; the mail's link, opened signed out, goes through
the login and back to the offer; 予約する books it. Another family's entry is a 404 like a
missing one. The facility's staff see the list per slot (空き待ち, read-only): the child in
line, then the offer with its deadline; another facility's staff and another municipality's
officer get 404 for it. Every state passes axe-core and is photographed."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.integration.conftest import eventually
from tests.integration.e2e.journey import (
    CHIYODA,
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
from tests.integration.portal.test_facility_pages import accepted, log_in
from tests.integration.portal.test_guardian_journey import PASSWORD, bookable_day, certified_family
from tests.integration.portal.test_staff_screens import staff_account
from tsuen_common.timeutil import JST

OFFER_SUBJECT = "空き待ちの施設に空きが出ました"


async def one_place_taken(
    gp: GuardianPlatform, families: tuple[Family, ...], tag: str
) -> tuple[str, date, dict[str, Any]]:
    """A facility with one place an hour that accepted every family, and its 10:00–11:00 on a
    bookable day taken by the second family: (facility id, the day, that booking)."""
    for f in families:
        await booking_knows(gp.platform, f)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email(tag))
    async with gp.platform.client("booking") as booking:
        ok(
            await booking.patch(
                f"/v1/facilities/{facility_id}",
                json={"places_per_slot": 1},
                headers=gp.platform.officer(KAKEGAWA),
            )
        )
    for f in families:
        await accepted(gp, f, facility_id)
    day = bookable_day()
    theirs = ok(await book(gp.platform, families[1], facility_id, day, "10:00", "11:00"), 201)
    return facility_id, day, theirs


async def test_a_parent_waits_for_a_full_hour_and_books_the_offered_place(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "mio", "カケガワ ミオ")
    other = await certified_family(gp, "sota", "カケガワ ソウタ")
    third = await certified_family(gp, "yui", "カケガワ ユイ")
    facility_id, day, theirs = await one_place_taken(gp, (family, other, third), "wl")

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


async def test_the_staff_see_who_waits_per_slot_then_the_offer_and_its_deadline(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "hana", "カケガワ ハナ")
    other = await certified_family(gp, "riku", "カケガワ リク")
    facility_id, day, theirs = await one_place_taken(gp, (family, other), "wls")

    # The family is refused for the full hour and joins its wait list.
    assert (await book(gp.platform, family, facility_id, day, "10:00", "11:00")).status_code == 409
    async with gp.platform.client("booking") as booking:
        entry = ok(
            await booking.post(
                "/v1/waitlist",
                json={
                    "facility_id": facility_id,
                    "child_id": family.child_id,
                    "use_date": day.isoformat(),
                    "start": "10:00",
                    "end": "11:00",
                },
                headers=gp.platform.guardian(KAKEGAWA, family.guardian_id),
            ),
            201,
        )

        # Another facility's staff and another municipality's officer: this facility's list
        # is the 404 of a missing one (only the id in the path changed).
        another = await register_facility(gp.platform, KAKEGAWA, unique_email("wlo"))
        for who in (gp.platform.staff(KAKEGAWA, another), gp.platform.officer(CHIYODA)):
            refused = await booking.get(f"/v1/facilities/{facility_id}/waitlist", headers=who)
            assert refused.status_code == 404, refused.text

    email = await staff_account(gp, facility_id, "wl-staff")
    async with chromium() as browser:
        context, page = await phone(browser)
        await page.goto(await gp.link_in_mail(email, "/password/set"))
        await page.fill("#password", PASSWORD)
        await page.fill("#password_confirm", PASSWORD)
        await page.get_by_role("button", name="パスワードを設定する").click()
        await expect(page.locator("h1")).to_have_text("パスワードを設定しました")
        await page.goto(f"{base}/login?next=/staff/waitlist")
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()

        # The slot with the child in line: first, waiting, named and read as on the roster.
        await expect(page.locator("h1")).to_have_text("空き待ち")
        nav = page.get_by_role("navigation", name="メニュー")
        await expect(nav.get_by_role("link", name="空き待ち")).to_have_attribute(
            "aria-current", "page"
        )
        slot = page.locator(".slot", has=page.locator(f"#w-{entry['id']}"))
        await expect(slot.locator("h3")).to_contain_text("10:00–11:00")
        await expect(slot.locator("h3")).to_contain_text(f"{day.month}月{day.day}日")
        line = page.locator(f"#w-{entry['id']}")
        await expect(line).to_contain_text("1番目")
        await expect(line).to_contain_text("通園 ハナ")
        await expect(line).to_contain_text("カケガワ ハナ")
        await expect(line).to_contain_text("待機中")
        await expect(line).not_to_contain_text(entry["child_id"])
        await check(page, "wl-10-staff-waiting")

        # Filtered by a day: that day has the slot, the next has nobody waiting.
        await page.fill("#date", (day + timedelta(days=1)).isoformat())
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.locator(".empty")).to_have_text("この日に空き待ちのお子さんはいません")
        await check(page, "wl-11-staff-other-day")
        await page.fill("#date", day.isoformat())
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.locator(f"#w-{entry['id']}")).to_contain_text("待機中")
        response = await page.goto(f"{base}/staff/waitlist?date=2027-02-31")
        assert response is not None
        assert response.status == 400
        await expect(page.get_by_role("alert")).to_contain_text("正しい日付")
        await check(page, "wl-12-staff-bad-day")

        # The other family cancels: the place is offered and held; the page shows until when.
        async with gp.platform.client("booking") as booking:
            ok(
                await booking.post(
                    f"/v1/bookings/{theirs['id']}/cancel",
                    json={"reason": "家庭の都合"},
                    headers=gp.platform.guardian(KAKEGAWA, other.guardian_id),
                )
            )
            offered = ok(
                await booking.get(
                    f"/v1/waitlist/{entry['id']}",
                    headers=gp.platform.guardian(KAKEGAWA, family.guardian_id),
                )
            )
        assert offered["status"] == "offered"
        hold = datetime.fromisoformat(offered["hold_until"]).astimezone(JST)
        await page.goto(f"{base}/staff/waitlist?date={day.isoformat()}")
        line = page.locator(f"#w-{entry['id']}")
        await expect(line).to_contain_text("空きを案内中")
        await expect(line).to_contain_text(f"{hold.month}月{hold.day}日")
        await expect(line).to_contain_text(f"{hold:%H:%M}まで確保")
        await expect(line).not_to_contain_text("番目")
        await check(page, "wl-13-staff-offered")

        # English too.
        await page.goto(f"{base}/staff/waitlist?date={day.isoformat()}&lang=en")
        await expect(page.locator("h1")).to_have_text("Wait list")
        line = page.locator(f"#w-{entry['id']}")
        await expect(line).to_contain_text("Place offered")
        await expect(line).to_contain_text(f"Held until {hold:%a} {hold.day} {hold:%b %Y %H:%M}")
        await check(page, "wl-14-staff-offered-en")
        await context.close()

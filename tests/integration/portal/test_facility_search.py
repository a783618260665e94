"""施設をさがす in every way (issue 15), on a phone against the real services: keyword, 現在地から
(Chromium's geolocation: granted, refused, and no JavaScript at all), 都道府県・市区町村から
(another municipality refused in plain Japanese where the guardian's own does not allow
広域利用), お気に入り (add with htmx without a reload, list, remove) and 利用・面談の履歴 (most
recent first); the keyboard alone from the search to a facility's favourite button; and the
same pages on a portal without htmx installed. Every state passes axe-core and is
photographed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.integration import testbed
from tests.integration.e2e.conftest import _drop_databases, free_port
from tests.integration.e2e.journey import (
    CHIYODA,
    KAKEGAWA,
    Applicant,
    Family,
    apply,
    approve,
    book,
    facility_body,
    ok,
    register_residents,
    unique_email,
)
from tests.integration.e2e.journey import wait_until_booking_knows as booking_knows
from tests.integration.portal.harness import PHONE, check, chromium, csrf_field, start_portal
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_facility_pages import accepted, log_in
from tests.integration.portal.test_guardian_journey import (
    PASSWORD,
    bookable_day,
    certified_family,
    eligible_birth,
)

# Where the phone stands in the tests: 掛川駅 (Kakegawa station).
HERE = {"latitude": 34.7692, "longitude": 138.0146}


async def facility_at(
    gp: GuardianPlatform, municipality: str, name: str, lat: float | None, lon: float | None
) -> str:
    """A facility registered by the municipality at (lat, lon), or with no coordinates."""
    body: dict[str, Any] = {
        **facility_body(municipality, name, unique_email("facility")),
        "lat": lat,
        "lon": lon,
    }
    async with gp.platform.client("booking") as booking:
        created = ok(
            await booking.post(
                f"/v1/municipalities/{municipality}/facilities",
                json=body,
                headers=gp.platform.officer(municipality),
            ),
            201,
        )
    return str(created["id"])


async def located_phone(browser: Browser, *, allow: bool) -> tuple[BrowserContext, Page]:
    """A phone at 掛川駅 whose owner allows (or refuses) sharing the location."""
    context = await browser.new_context(
        viewport=PHONE,
        locale="ja-JP",
        device_scale_factor=1,
        geolocation=HERE,
        permissions=["geolocation"] if allow else [],
    )
    return context, await context.new_page()


async def titles(page: Page) -> list[str]:
    return [t.strip() for t in await page.locator("#search-results .card__title").all_inner_texts()]


async def tab_to(page: Page, selector: str, *, most: int = 60) -> None:
    """Tab (the keyboard alone) until the element matching ``selector`` has the focus."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_every_way_to_search_on_a_phone_with_htmx(guardians: GuardianPlatform):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "minato", "カケガワ ミナト")
    await booking_knows(gp.platform, family)
    tag = unique_email("x").split("@")[0][-6:]
    near = await facility_at(gp, KAKEGAWA, f"ちかく保育園 {tag}", 34.7700, 138.0150)
    far = await facility_at(gp, KAKEGAWA, f"とおく保育園 {tag}", 34.8300, 138.1200)
    nowhere = await facility_at(gp, KAKEGAWA, f"ばしょ未登録園 {tag}", None, None)
    day = bookable_day()

    async with chromium() as browser:
        _context, page = await located_phone(browser, allow=True)
        # The strict CSP refuses inline styles and eval: htmx must be configured not to need them.
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        await log_in(gp, page, family)

        # キーワード: htmx swaps the results in place (the page itself stays: no reload).
        await page.goto(f"{base}/facilities")
        await expect(page.get_by_role("link", name="キーワード")).to_have_attribute(
            "aria-current", "page"
        )
        await page.evaluate("window.stayed = true")
        await page.fill("#q", f"ちかく保育園 {tag}")
        await page.get_by_role("button", name="検索する").click()
        await expect(page.locator("#results")).to_contain_text("1件")
        assert await titles(page) == [f"ちかく保育園 {tag}"]
        assert await page.evaluate("window.stayed === true"), "the search reloaded the page"
        assert "q=" in page.url  # the address follows, so it can be shared or reloaded
        await check(page, "90-search-keyword")

        # 現在地から: the nearest first, the distance in km with one decimal, the facility
        # without coordinates after every located one.
        await page.get_by_role("link", name="現在地から").click()
        await expect(page.locator("h1")).to_have_text("施設をさがす")
        await check(page, "91-search-near-start")
        await page.get_by_role("button", name="現在地から探す").click()
        await expect(page.locator("#results")).to_contain_text("近い順")
        found = await titles(page)
        mine = [f"ちかく保育園 {tag}", f"とおく保育園 {tag}", f"ばしょ未登録園 {tag}"]
        assert [t for t in found if t in mine] == mine, found
        located = await page.locator("#search-results .card").evaluate_all(
            "cards => cards.map(c => c.querySelector('.distance') !== null)"
        )
        assert located == sorted(located, reverse=True), "a facility without a place came first"
        near_card = page.locator(".card", has_text=mine[0])
        await expect(near_card).to_contain_text("約0.1 km")
        await expect(page.locator(".card", has_text=mine[1])).to_contain_text("約11.7 km")
        await expect(page.locator(".card", has_text=mine[2])).to_contain_text(
            "位置情報が登録されていません"
        )
        assert "lat=34.769" in page.url
        assert "lng=138.015" in page.url
        await check(page, "91-search-near")

        # 都道府県・市区町村から: the guardian's own municipality is chosen first.
        await page.get_by_role("link", name="都道府県・市区町村から").click()
        await expect(page.locator("#municipality")).to_have_value(KAKEGAWA)
        await page.get_by_role("button", name="施設を表示する").click()
        await expect(page.locator("#results")).to_contain_text("掛川市の施設")
        for name in mine:
            await expect(page.locator("#search-results")).to_contain_text(name)
        await check(page, "92-search-area")

        # お気に入り: added on the facility's page without a reload (htmx), listed, removed.
        await page.goto(f"{base}/facilities/{near}")
        await page.evaluate("window.stayed = true")
        await page.get_by_role("button", name="お気に入りに追加する").click()
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りに追加しました")
        ).to_be_visible()
        await expect(page.get_by_role("button", name="お気に入りから外す")).to_be_visible()
        assert await page.evaluate("window.stayed === true"), "the favourite reloaded the page"
        await page.goto(f"{base}/facilities/{far}")
        await page.get_by_role("button", name="お気に入りに追加する").click()
        await expect(page.get_by_role("button", name="お気に入りから外す")).to_be_visible()
        await page.goto(f"{base}/facilities?mode=favourites")
        assert sorted(await titles(page)) == sorted(mine[:2])
        await check(page, "93-search-favourites")
        await page.get_by_role("button", name=f"{mine[1]}をお気に入りから外す").click()
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りから外しました")
        ).to_be_visible()
        await expect(page.locator("#search-results")).not_to_contain_text(mine[1])
        assert await titles(page) == [mine[0]]
        await check(page, "93a-search-favourite-removed")

        # 利用・面談の履歴: a first interview asked at `far` for two weeks ahead, a booking at
        # `near` (after its interview was held): the most recent day first; `nowhere`, never
        # contacted, is not there.
        guardian = gp.platform.guardian(family.municipality, family.guardian_id)
        async with gp.platform.client("booking") as booking:
            ok(
                await booking.post(
                    "/v1/interviews",
                    json={
                        "facility_id": far,
                        "child_id": family.child_id,
                        "proposed_times": [
                            f"{(day + timedelta(days=14)).isoformat()}T10:00:00+09:00"
                        ],
                    },
                    headers=guardian,
                ),
                201,
            )
        await accepted(gp, family, near)
        ok(await book(gp.platform, family, near, day, "10:00", "11:00"), 201)
        await page.get_by_role("link", name="利用・面談の履歴").click()
        await expect(page.locator("#results")).to_contain_text("最近の順: 2件")
        assert await titles(page) == [mine[1], mine[0]]
        await expect(page.locator(".card", has_text=mine[1])).to_contain_text("初回面談")
        await expect(page.locator(".card", has_text=mine[0])).to_contain_text("利用")
        await check(page, "94-search-history")
        assert nowhere not in await page.content()

        # The same page in English.
        await page.goto(f"{base}/facilities?mode=history&lang=en")
        await expect(page.locator("h1")).to_have_text("Find a facility")
        await expect(page.locator("#results")).to_contain_text("Most recent first: 2")
        await expect(page.locator(".card", has_text=mine[1])).to_contain_text("First interview")
        await check(page, "94b-search-history-en")
        assert refused == [], refused


async def test_the_keyboard_alone_from_the_search_to_a_favourite(guardians: GuardianPlatform):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "kaede", "カケガワ カエデ")
    tag = unique_email("x").split("@")[0][-6:]
    name = f"けやき保育園 {tag}"
    facility_id = await facility_at(gp, KAKEGAWA, name, 34.7710, 138.0160)

    async with chromium() as browser:
        _context, page = await located_phone(browser, allow=True)
        await log_in(gp, page, family)
        await page.goto(f"{base}/facilities")
        await tab_to(page, "#q")
        await page.keyboard.type(name)
        await page.keyboard.press("Enter")
        await expect(page.locator("#results")).to_contain_text("1件")
        await tab_to(page, f'a[href="/facilities/{facility_id}"]')
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text(name)
        await tab_to(page, "#favourite-button")
        await page.keyboard.press("Enter")
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りに追加しました")
        ).to_be_visible()
        # The button changed in place and kept the focus: Enter again takes it back off.
        # (expect retries: htmx puts the focus back when its swap settles, a moment after the
        # status region it swaps out of band.)
        await expect(page.locator("#favourite-button")).to_be_focused()
        await expect(page.locator("#favourite-button")).to_have_text("お気に入りから外す")
        await page.keyboard.press("Enter")
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りから外しました")
        ).to_be_visible()
        await expect(page.locator("#favourite-button")).to_be_focused()
        await expect(page.locator("#favourite-button")).to_have_text("お気に入りに追加する")
        await check(page, "95-search-keyboard-favourite")

        # Again a favourite, then taken off the お気に入り list: the focus lands on the list's
        # heading, not lost with the removed button.
        await page.keyboard.press("Enter")
        await expect(page.locator("#favourite-button")).to_have_text("お気に入りから外す")
        await page.goto(f"{base}/facilities?mode=favourites")
        await tab_to(page, "#search-results button")
        await page.keyboard.press("Enter")
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りから外しました")
        ).to_be_visible()
        await expect(page.locator("#results")).to_be_focused()
        await expect(page.locator("#search-results .card")).to_have_count(0)
        await check(page, "95a-search-keyboard-favourite-removed")


async def test_refused_location_and_no_javascript_explain_and_other_ways_work(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    family = await certified_family(gp, "hinata", "カケガワ ヒナタ")
    tag = unique_email("x").split("@")[0][-6:]
    name = f"もみじ保育園 {tag}"
    facility_id = await facility_at(gp, KAKEGAWA, name, 34.7720, 138.0170)

    async with chromium() as browser:
        # The guardian says no to sharing the location.
        _context, page = await located_phone(browser, allow=False)
        await log_in(gp, page, family)
        await page.goto(f"{base}/facilities?mode=near")
        await page.get_by_role("button", name="現在地から探す").click()
        await expect(page.get_by_role("alert")).to_contain_text("位置情報の利用が許可されなかった")
        await expect(page.locator("#search-results .card")).to_have_count(0)
        await check(page, "96-search-near-refused")
        # The other ways still work.
        await page.get_by_role("link", name="キーワード").click()
        await page.fill("#q", name)
        await page.get_by_role("button", name="検索する").click()
        await expect(page.locator("#results")).to_contain_text(name)
        assert await titles(page) == [name]

        # No JavaScript at all: the same form arrives without coordinates and says why.
        scripted = page
        plain = await browser.new_context(
            viewport=PHONE, locale="ja-JP", device_scale_factor=1, java_script_enabled=False
        )
        page = await plain.new_page()
        await page.goto(f"{base}/login")
        await page.fill("#email", family.email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_have_text("ホーム")
        await page.goto(f"{base}/facilities?mode=near")
        await page.get_by_role("button", name="現在地から探す").click()
        await expect(page.get_by_role("alert")).to_contain_text("JavaScript")
        assert "locate=1" in page.url
        no_script_url = page.url
        # Keyword, area and the favourite toggle are plain forms: they work without scripts.
        await page.goto(f"{base}/facilities?q={name}")
        assert await titles(page) == [name]
        await page.goto(f"{base}/facilities/{facility_id}")
        await page.get_by_role("button", name="お気に入りに追加する").click()
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りに追加しました")
        ).to_be_visible()
        await page.goto(f"{base}/facilities?mode=favourites")
        await page.get_by_role("button", name=f"{name}をお気に入りから外す").click()
        await expect(
            page.get_by_role("status").filter(has_text="お気に入りから外しました")
        ).to_be_visible()
        await page.goto(f"{base}/facilities?mode=area&municipality={KAKEGAWA}")
        await expect(page.locator("#search-results")).to_contain_text(name)
        # axe-core needs scripts to run: the same address (what the script-less form sent)
        # is checked in the scripted phone.
        await scripted.goto(no_script_url)
        await expect(scripted.get_by_role("alert")).to_contain_text("JavaScript")
        await check(scripted, "97-search-near-no-javascript")


async def chiyoda_family(gp: GuardianPlatform) -> Family:
    applicant = Applicant(CHIYODA, unique_email("chiyoda"), "チヨダ ミオ", eligible_birth())
    await register_residents(gp.platform, applicant)
    await apply(gp.platform, applicant)
    return await approve(gp.platform, applicant)


async def test_another_municipality_is_refused_clearly_and_its_ids_are_404(
    guardians: GuardianPlatform,
):
    """Chiyoda does not allow 広域利用: a Chiyoda guardian choosing 掛川市 is told so, and a
    Kakegawa facility's id is a 404 on its page and in the favourite form, like a missing one."""
    gp = guardians
    base = gp.portal.url
    family = await chiyoda_family(gp)
    tag = unique_email("x").split("@")[0][-6:]
    kakegawa = await facility_at(gp, KAKEGAWA, f"かけがわ園 {tag}", 34.7700, 138.0150)
    chiyoda = await facility_at(gp, CHIYODA, f"かんだ園 {tag}", 35.6938, 139.7710)

    async with chromium() as browser:
        _context, page = await located_phone(browser, allow=True)
        await log_in(gp, page, family)
        await page.goto(f"{base}/facilities?mode=area")
        await expect(page.locator("#municipality")).to_have_value(CHIYODA)
        await page.get_by_role("button", name="施設を表示する").click()
        await expect(page.locator("#search-results")).to_contain_text(f"かんだ園 {tag}")
        await page.select_option("#municipality", KAKEGAWA)
        await page.get_by_role("button", name="施設を表示する").click()
        await expect(page.get_by_role("alert")).to_contain_text("広域利用")
        await expect(page.get_by_role("alert")).to_contain_text("掛川市の施設は表示できません")
        await expect(page.locator("#search-results .card")).to_have_count(0)
        await check(page, "98-search-area-not-allowed")

        # 現在地から in Kakegawa: only what booking lets a Chiyoda family use (Chiyoda's).
        await page.goto(f"{base}/facilities?mode=near&locate=1&lat=34.769&lng=138.015")
        found = await titles(page)
        assert f"かんだ園 {tag}" in found
        assert f"かけがわ園 {tag}" not in found
        await expect(page.locator(".card", has_text=f"かんだ園 {tag}")).to_contain_text("約")

        # Another municipality's facility id: 404 on its page and in the favourite form.
        token = csrf_field(await page.content())
        for facility_id in (kakegawa, "7a1c0e52-1f0b-4a53-9d6c-0000000fffff"):
            response = await page.goto(f"{base}/facilities/{facility_id}")
            assert response is not None
            assert response.status == 404
            answer = await page.request.post(
                f"{base}/facilities/{facility_id}/favourite",
                form={"favourite": "add", "csrf_token": token},
                max_redirects=0,
            )
            assert answer.status == 404, (facility_id, answer.status)
        await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        await page.goto(f"{base}/facilities?mode=favourites")
        assert await titles(page) == []
        assert chiyoda


async def test_without_htmx_installed_the_portal_starts_and_the_pages_work(
    guardians: GuardianPlatform, postgres: testbed.PostgresHandle, tmp_path: Path
):
    """A portal whose node_modules is missing serves no htmx and includes no script tag for
    it; search and favourites work by full page loads. The usual portal serves htmx."""
    gp = guardians
    family = await certified_family(gp, "sumire", "カケガワ スミレ")
    tag = unique_email("x").split("@")[0][-6:]
    name = f"すみれ保育園 {tag}"
    facility_id = await facility_at(gp, KAKEGAWA, name, 34.7700, 138.0150)
    empty = tmp_path / "no-node-modules"
    empty.mkdir()
    bare = await start_portal(
        postgres,
        tmp_path,
        free_port(),
        identity_url=gp.platform.url("identity"),
        eligibility_url=gp.platform.url("eligibility"),
        booking_url=gp.platform.url("booking"),
        extra_env={"TSUEN_PORTAL_VENDOR_DIR": str(empty)},
    )
    try:
        async with httpx.AsyncClient() as client:
            served = await client.get(f"{gp.portal.url}/static/vendor/htmx/htmx.min.js")
            assert served.status_code == 200
            assert "htmx" in served.text
            missing = await client.get(f"{bare.service.url}/static/vendor/htmx/htmx.min.js")
            assert missing.status_code == 404
        base = bare.service.url
        async with chromium() as browser:
            _setup, first = await located_phone(browser, allow=True)
            await log_in(gp, first, family)  # sets the password (mailed link), main portal
            _context, page = await located_phone(browser, allow=True)
            await page.goto(f"{base}/login")
            await page.fill("#email", family.email)
            await page.fill("#password", PASSWORD)
            await page.get_by_role("button", name="ログイン", exact=True).click()
            await expect(page.locator("h1")).to_have_text("ホーム")
            await page.goto(f"{base}/facilities")
            assert "htmx" not in await page.content()
            await page.fill("#q", name)
            await page.get_by_role("button", name="検索する").click()
            await expect(page.locator("#results")).to_contain_text(name)
            assert await titles(page) == [name]
            await page.get_by_role("link", name="現在地から").click()
            await page.get_by_role("button", name="現在地から探す").click()
            await expect(page.locator(".card", has_text=name)).to_contain_text("約0.1 km")
            await page.goto(f"{base}/facilities/{facility_id}")
            assert "htmx" not in await page.content()
            await page.get_by_role("button", name="お気に入りに追加する").click()
            await expect(
                page.get_by_role("status").filter(has_text="お気に入りに追加しました")
            ).to_be_visible()
            await check(page, "99-facility-favourite-without-htmx")
    finally:
        bare.service.stop()
        await _drop_databases(postgres, [bare.database])

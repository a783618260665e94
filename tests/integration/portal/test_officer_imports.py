"""住民記録・在籍の取込み in the portal, against the real services as processes: the officer
(second factor) uploads a CSV; a file with a bad line shows the line number at the top and
nothing is applied; a good file previews its new records and then imports them; an enrollment
file that ends a certification names it (certificate number and child) before anything
changes, then ends it. Another municipality's officer sees none of it and cannot apply this
municipality's preview. Every page passes axe-core at phone size and is photographed."""

from __future__ import annotations

from datetime import timedelta

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
from tests.integration.portal.harness import check, chromium, phone
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_guardian_journey import eligible_birth
from tests.integration.portal.test_officer_screens import officer_account, officer_logs_in
from tsuen_common.timeutil import today_jst

RESIDENTS = "child_kana,child_birth_date,moved_in_on,moved_out_on\n"
ENROLLMENTS = "child_kana,child_birth_date,facility_type,enrolled_from,enrolled_until\n"


async def upload(page: Page, base: str, kind_label: str, name: str, csv: str) -> None:
    await page.goto(f"{base}/officer/imports")
    await page.get_by_label(kind_label).check()
    await page.set_input_files(
        "#file", files=[{"name": name, "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    await page.get_by_role("button", name="内容を確認する").click()
    await expect(page.locator("h1")).to_have_text("取込み内容の確認")


async def test_an_officer_previews_then_imports_residents_and_enrollments(
    guardians: GuardianPlatform,
):
    gp = guardians
    base = gp.portal.url
    child = Applicant(KAKEGAWA, unique_email("torikomi"), "カケガワ トリコミ", eligible_birth())
    await register_residents(gp.platform, child)
    await apply(gp.platform, child)
    family = await approve(gp.platform, child)
    officer = await officer_account(gp, KAKEGAWA, "imports-officer")
    elsewhere = await officer_account(gp, CHIYODA, "imports-chiyoda")
    born = eligible_birth().isoformat()
    good = RESIDENTS + f"カケガワ アラタ,{born},{born},\nカケガワ ミライ,{born},{born},\n"
    bad = good + "Kakegawa,2025-13-01,,\n"  # line 4: neither kana nor a date
    enrolled_from = (today_jst() + timedelta(days=7)).isoformat()
    enrollment = (
        ENROLLMENTS + f"{child.kana},{child.birth.isoformat()},licensed_nursery,{enrolled_from},\n"
    )

    async with chromium() as browser:
        context, page = await phone(browser)
        await officer_logs_in(gp, page, officer)
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="住民記録・在籍の取込み")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("住民記録・在籍の取込み")
        template = await page.request.get(f"{base}/officer/imports/enrollments.csv")
        assert template.status == 200
        assert (await template.text()).lstrip("\ufeff").strip() == ENROLLMENTS.strip()
        await check(page, "imp-01-upload")
        await page.goto(f"{base}/officer/imports?lang=en")
        await expect(page.locator("h1")).to_have_text("Registry imports")
        await check(page, "imp-01-upload-en")
        await page.goto(f"{base}/officer/imports?lang=ja")

        # Nothing chosen: summarised at the top and linked to the fields.
        await page.get_by_role("button", name="内容を確認する").click()
        await expect(page.get_by_role("alert")).to_contain_text("CSVファイルを選んでください")
        await check(page, "imp-02-upload-errors")

        # A file with one bad line: the line number at the top, and no import button.
        await upload(page, base, "住民記録", "residents.csv", bad)
        summary = page.locator(".error-summary")
        await expect(summary).to_contain_text("4行目")
        await expect(summary).to_contain_text("生年月日")
        await expect(page.get_by_role("button", name="取り込む")).to_have_count(0)
        await check(page, "imp-03-preview-errors")

        # The good file: both children are new, so the bad one imported nothing.
        await upload(page, base, "住民記録", "residents.csv", good)
        await expect(page.locator(".error-summary")).to_have_count(0)
        rows = page.locator("table tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text("新規")
        await expect(rows.nth(0)).to_contain_text("カケガワ アラタ")
        await check(page, "imp-04-preview-new")
        await page.get_by_role("button", name="取り込む").click()
        await expect(page.locator("h1")).to_have_text("取り込みました")
        await expect(page.locator("main")).to_contain_text("2行を取り込みました")
        await check(page, "imp-05-done")
        # The same file again changes nothing: it was applied.
        await upload(page, base, "住民記録", "residents.csv", good)
        await expect(page.locator(".empty")).to_have_text("変わる記録はありません")

        # The certification the enrollment file would end, named before anything changes.
        await page.goto(f"{base}/officer/certifications")
        line = page.locator(f"#c-{family.certification_id}")
        number = (await line.locator(".roster-line__kana").inner_text()).strip()
        await upload(page, base, "保育所等の在籍", "enrollments.csv", enrollment)
        ending = page.locator("section.notice--warning")
        await expect(ending).to_contain_text("この取込みで終了する認定: 1件")
        await expect(ending).to_contain_text(number)
        await check(page, "imp-06-preview-ending")
        fingerprint = await page.locator("input[name=fingerprint]").input_value()
        carried = await page.locator("input[name=csv]").input_value()

        # Chiyoda's officer: the same file names nothing of Kakegawa's, and Kakegawa's
        # preview posted from Chiyoda's session is refused.
        other_context, desk = await phone(browser)
        await officer_logs_in(gp, desk, elsewhere)
        await upload(desk, base, "保育所等の在籍", "enrollments.csv", enrollment)
        await expect(desk.locator("section.notice--warning")).to_have_count(0)
        await expect(desk.locator("main")).not_to_contain_text(number)
        await desk.locator("input[name=fingerprint]").evaluate("(e, v) => e.value = v", fingerprint)
        await desk.locator("input[name=csv]").evaluate("(e, v) => e.value = v", carried)
        await desk.get_by_role("button", name="取り込む").click()
        await expect(desk.get_by_role("alert")).to_contain_text("一致しません")
        await check(desk, "imp-07-other-municipality-refused")
        await other_context.close()

        await page.get_by_role("button", name="取り込んで、これらの認定を終了する").click()
        await expect(page.locator("main")).to_contain_text("終了した認定: 1件")
        await page.goto(f"{base}/officer/certifications?status=revoked")
        await expect(page.locator(f"#c-{family.certification_id}")).to_contain_text(number)
        await context.close()

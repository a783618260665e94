"""The money pages against the real services (identity, eligibility, booking, attendance,
notification and billing as processes, on a test clock): two families of Kakegawa use two
facilities for a morning (the staff register arrival and pickup at attendance, booking settles
the visits, billing takes the settlements), the month ends and billing's close command bills
it. Then the guardian reads 利用料のお知らせ and the printable statement, the facility's staff
the claim, its lines and the CSV streamed from billing, and the month's fees per family, and
the officer billing's totals by facility and the month's CSV, and marks a family 要支援家庭.
Before the close the staff set the facility's 実費 (a lunch per day) on 実費の設定; the
statement then carries it and the guardian's 利用料のしくみ shows the household's fee
category, the hourly fee and the facility's items. Every amount on a page is
billing's answer written in yen. Another family's statement, another facility's claim and
another municipality's claim are 404s exactly like a missing id. Every page passes axe-core
on a phone and is photographed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.integration import testbed
from tests.integration.conftest import eventually
from tests.integration.e2e.journey import (
    CHIYODA,
    KAKEGAWA,
    Family,
    ok,
    register_facility,
    unique_email,
    wait_until_booking_knows,
)
from tests.integration.portal.harness import check, chromium, phone, screenshot_path
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.portal.test_guardian_journey import PASSWORD, certified_family
from tests.integration.portal.test_officer_screens import officer_account
from tests.integration.portal.test_staff_screens import clinic_day, staff_account
from tsuen_billing.entrypoints.csv_export import COLUMNS
from tsuen_common.timeutil import JST

DAY = clinic_day()
MONTH = f"{DAY.year:04d}-{DAY.month:02d}"
MONTH_JA = f"{DAY.year}年{DAY.month}月"


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JST)


def next_month() -> datetime:
    """A morning early in the month after DAY's: the month is over and can be closed."""
    first = (DAY.replace(day=1) + timedelta(days=32)).replace(day=6)
    return datetime.combine(first, time(10, 0), tzinfo=JST)


def yen(amount: int) -> str:
    return f"{amount:,}円"


@pytest.fixture(scope="module")
async def billed(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    async with guardian_platform(
        kafka,
        postgres,
        tmp_path_factory.mktemp("money"),
        attendance=True,
        billing=True,
        clock=at(8, 0),
    ) as gp:
        yield gp


async def accepted_on_day(gp: GuardianPlatform, family: Family, facility_id: str) -> None:
    """The facility meets the child on the morning of DAY and accepts them (its API)."""
    staff = gp.platform.staff(family.municipality, facility_id)
    parent = gp.platform.guardian(family.municipality, family.guardian_id)
    async with gp.platform.client("booking") as booking:
        interview = ok(
            await booking.post(
                "/v1/interviews",
                json={"facility_id": facility_id, "child_id": family.child_id},
                headers=parent,
            ),
            201,
        )
        path = f"/v1/interviews/{interview['id']}"
        ok(
            await booking.post(
                f"{path}/schedule", json={"starts_at": at(8, 15).isoformat()}, headers=staff
            )
        )
        ok(await booking.post(f"{path}/held", json={"health_check": "no_concerns"}, headers=staff))
        ok(
            await booking.put(
                f"/v1/facilities/{facility_id}/acceptances/{family.child_id}",
                json={"accepted": True},
                headers=staff,
            )
        )


async def use_morning(gp: GuardianPlatform, family: Family, facility_id: str) -> str:
    """09:00–11:00 booked; the staff register arrival and pickup at attendance (the roster's
    代理で利用開始/終了), so booking settles the visit and billing gets a usage line."""
    parent = gp.platform.guardian(family.municipality, family.guardian_id)
    staff = gp.platform.staff(family.municipality, facility_id)
    async with gp.platform.client("booking") as booking:
        booked = ok(
            await booking.post(
                "/v1/bookings",
                json={
                    "facility_id": facility_id,
                    "child_id": family.child_id,
                    "use_date": DAY.isoformat(),
                    "start": "09:00",
                    "end": "11:00",
                    "kind": "flexible",
                },
                headers=parent,
            ),
            201,
        )
    booking_id = str(booked["id"])
    async with gp.platform.client("attendance") as attendance:

        async def on_roster() -> bool:
            response = await attendance.get(
                f"/v1/facilities/{facility_id}/roster",
                params={"day": DAY.isoformat()},
                headers=staff,
            )
            lines = response.json().get("lines", []) if response.status_code == 200 else []
            return any(line["booking_id"] == booking_id for line in lines)

        await eventually(on_roster, within=60, what="the booking on attendance's roster")
    return booking_id


async def register(gp: GuardianPlatform, facility_id: str, booking_id: str, action: str) -> None:
    async with gp.platform.client("attendance") as attendance:
        ok(
            await attendance.post(
                f"/v1/facilities/{facility_id}/staff-registrations",
                json={"booking_id": booking_id, "action": action},
                headers=gp.platform.staff(KAKEGAWA, facility_id),
            )
        )


async def billing_has_lines(gp: GuardianPlatform, count: int) -> None:
    """Billing learns of the settlements by event only; its month must not be closed before
    they have arrived (a late line would wait for the next close), so the test waits for
    them in billing's own table."""
    dsn = gp.platform.envs["billing"]["TSUEN_DATABASE_URL"].replace("+asyncpg", "")

    async def arrived() -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM usage_lines")) >= count
        finally:
            await conn.close()

    await eventually(arrived, within=90, what=f"{count} usage lines at billing")


async def billing_get(gp: GuardianPlatform, path: str, who: dict[str, str], **params: Any) -> Any:
    async with gp.platform.client("billing") as billing:
        return ok(await billing.get(path, headers=who, params=params))


async def set_password(gp: GuardianPlatform, page: Page, email: str) -> None:
    link = await gp.link_in_mail(email, "/password/set")
    await page.goto(link)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="パスワードを設定する").click()
    await expect(page.locator("h1")).to_have_text("パスワードを設定しました")


async def log_in(gp: GuardianPlatform, page: Page, email: str) -> None:
    await page.goto(f"{gp.portal.url}/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン", exact=True).click()


async def officer_logs_in(gp: GuardianPlatform, page: Page, email: str) -> None:
    """Password, then the second factor enrolled at this first login: the authenticator app
    (pyotp) reads the real time, as identity does for codes."""
    await log_in(gp, page, email)
    await expect(page.locator("h1")).to_have_text("確認コードの入力")
    secret = (await page.locator("code.secret").inner_text()).strip()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator("h1")).to_have_text("申請一覧")


async def status_of(page: Page, url: str) -> int:
    response = await page.goto(url)
    assert response is not None
    return response.status


async def downloaded_csv(page: Page, link_name: str) -> str:
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name=link_name).click()
    download = await downloading.value
    return Path(await download.path()).read_text(encoding="utf-8-sig")  # noqa: ASYNC240


async def test_a_closed_month_in_the_guardians_staffs_and_officers_pages(
    billed: GuardianPlatform,
) -> None:
    gp = billed
    base = gp.portal.url
    hinata = await register_facility(gp.platform, KAKEGAWA, unique_email("hinata"))
    asahi = await register_facility(gp.platform, KAKEGAWA, unique_email("asahi"))
    haruto = await certified_family(gp, "haruto", "カケガワ ハルト")
    mei = await certified_family(gp, "mei", "カケガワ メイ")
    for family in (haruto, mei):
        await wait_until_booking_knows(gp.platform, family)
    await accepted_on_day(gp, haruto, hinata)
    await accepted_on_day(gp, mei, asahi)
    staff_email = await staff_account(gp, hinata, "hinata-staff")
    officer_email = await officer_account(gp, KAKEGAWA, "kakegawa-money")
    chiyoda_email = await officer_account(gp, CHIYODA, "chiyoda-money")

    # The morning: each child comes 09:00–11:00, registered by the staff.
    used = {
        hinata: await use_morning(gp, haruto, hinata),
        asahi: await use_morning(gp, mei, asahi),
    }
    gp.platform.set_clock(at(9, 0))
    for facility_id, booking_id in used.items():
        await register(gp, facility_id, booking_id, "check_in")
    gp.platform.set_clock(at(11, 0))
    for facility_id, booking_id in used.items():
        await register(gp, facility_id, booking_id, "check_out")
    await billing_has_lines(gp, 2)

    async with chromium() as browser:
        # Passwords are set from the account mails while their links are fresh.
        pages = {}
        for email in (haruto.email, staff_email, officer_email, chiyoda_email):
            _context, page = await phone(browser)
            await set_password(gp, page, email)
            pages[email] = page

        # Before the close, the staff set the facility's 実費 from the month's first day: a
        # mistake is explained at its field first, then the item is saved and listed.
        _context, costs_page = await phone(browser)
        await log_in(gp, costs_page, staff_email)
        await expect(costs_page.locator("h1")).to_contain_text("本日の利用予定")
        await costs_page.goto(f"{base}/staff/costs")
        await expect(costs_page.locator("h1")).to_have_text("実費")
        await expect(costs_page.locator(".empty")).to_have_text("実費はありません")
        await costs_page.fill("#yen", "300")
        await costs_page.get_by_role("button", name="保存").click()
        await expect(costs_page.locator("#name-error")).to_contain_text("項目名を入力してください")
        await check(costs_page, "money-89a-staff-costs-error")
        await costs_page.fill("#name", "昼食")
        await costs_page.get_by_label("1日あたり（1日に1回）").check()
        await costs_page.fill("#yen", "300")
        await costs_page.fill("#effective_from", DAY.replace(day=1).isoformat())
        await costs_page.get_by_role("button", name="保存").click()
        await expect(costs_page.get_by_role("status")).to_contain_text("保存しました")
        await expect(costs_page.locator("dl.summary")).to_contain_text("昼食")
        await expect(costs_page.locator("dl.summary")).to_contain_text("300円 1日あたり")
        await check(costs_page, "money-89b-staff-costs")
        await _context.close()

        # The month ends; billing's monthly close (cron on the 1st) bills it.
        gp.platform.set_clock(next_month())
        closed = gp.platform.run_command("billing", "close", "--month", MONTH)
        assert closed.returncode == 0, closed.stdout + closed.stderr

        # What billing answers is what the pages must show.
        mine = await billing_get(
            gp, "/v1/statements", gp.platform.guardian(KAKEGAWA, haruto.guardian_id)
        )
        theirs = await billing_get(
            gp, "/v1/statements", gp.platform.guardian(KAKEGAWA, mei.guardian_id)
        )
        assert [s["month"] for s in mine] == [MONTH]
        assert mine[0]["minutes"] == 120
        # The visit's 実費 (hinata's lunch) is the guardian's; Mei's facility set none.
        assert (mine[0]["actual_cost_yen"], theirs[0]["actual_cost_yen"]) == (300, 0)
        claims = await billing_get(
            gp, f"/v1/municipalities/{KAKEGAWA}/claims", gp.platform.officer(KAKEGAWA), month=MONTH
        )
        claim_of = {c["facility_id"]: c for c in claims}
        assert set(claim_of) == {hinata, asahi}
        totals = await billing_get(
            gp,
            f"/v1/municipalities/{KAKEGAWA}/claims/totals",
            gp.platform.officer(KAKEGAWA),
            month=MONTH,
        )

        # --- the guardian: 利用料のお知らせ and the printable statement --------------------
        page = pages[haruto.email]
        await log_in(gp, page, haruto.email)
        await expect(page.locator("h1")).to_have_text("ホーム")
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="利用料のお知らせ")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("利用料のお知らせ")
        listed = page.locator(f"#s-{mine[0]['id']}")
        await expect(page.locator(f"#m-{MONTH}")).to_have_text(MONTH_JA)
        await expect(listed).to_contain_text("2時間")
        await expect(listed).to_contain_text(yen(mine[0]["total_yen"]))
        await check(page, "money-90-guardian-statements")
        await listed.get_by_role("link").click()
        await expect(page.locator("h1")).to_have_text(f"利用料のお知らせ {MONTH_JA}")
        await expect(page.locator("#statement-total")).to_have_text(yen(mine[0]["total_yen"]))
        lines = page.locator(".statement-lines > li")
        await expect(lines).to_have_count(mine[0]["line_count"])
        await expect(lines.first).to_contain_text("09:00–11:00")  # attendance's times
        await expect(page.locator("#statement-costs")).to_have_text(yen(300))
        await expect(lines.first).to_contain_text("昼食")
        await check(page, "money-91-guardian-statement")
        # Printed, the menus and links are left out (the certificate's print styles).
        await page.emulate_media(media="print")
        await expect(page.get_by_role("navigation", name="メニュー")).to_be_hidden()
        await expect(page.locator("#statement-total")).to_be_visible()
        await page.screenshot(
            path=str(screenshot_path("money-92-guardian-statement-print")), full_page=True
        )
        await page.emulate_media(media="screen")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("#statement-total")).to_have_text(f"¥{mine[0]['total_yen']:,}")
        await check(page, "money-93-guardian-statement-en")
        await page.get_by_role("link", name="日本語").click()
        # Another family's statement is a 404 exactly like a missing one.
        for other in (theirs[0]["id"], str(uuid.uuid4()), "not-an-id"):
            assert await status_of(page, f"{base}/statements/{other}") == 404, other
            await expect(page.locator("h1")).to_have_text("ページが見つかりません")
        await check(page, "money-94-guardian-other-statement-404")
        # 利用料のしくみ: the household's category and hourly fee (billing's), and the 実費 of
        # the facility the family uses.
        await page.goto(f"{base}/statements")
        await page.get_by_role("link", name="利用料のしくみ").click()
        await expect(page.locator("h1")).to_have_text("利用料のしくみ")
        (fee,) = await billing_get(
            gp, "/v1/fees", gp.platform.guardian(KAKEGAWA, haruto.guardian_id)
        )
        assert (fee["category"], fee["fee_per_hour"]) == ("standard", 300)
        child_fee = page.locator(f"#fee-{haruto.child_id}")
        await expect(child_fee).to_contain_text("標準")
        await expect(child_fee).to_contain_text(yen(fee["fee_per_hour"]))
        await expect(page.locator(f"#f-{hinata}")).to_be_visible()
        await expect(page.locator(f"#f-{asahi}")).to_have_count(0)
        await expect(page.get_by_text("昼食")).to_be_visible()
        await check(page, "money-94b-guardian-fees")

        # --- the facility's staff: claims, a claim's lines and CSV, fees per family ---------
        page = pages[staff_email]
        await log_in(gp, page, staff_email)
        await expect(page.locator("h1")).to_contain_text("本日の利用予定")
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="請求・利用料")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("請求・利用料")
        await expect(page.locator("#month")).to_have_value(MONTH)
        mine_claim = claim_of[hinata]
        row = page.locator(f"#c-{mine_claim['id']}")
        await expect(row).to_contain_text(KAKEGAWA)
        await expect(row).to_contain_text("確定")
        await expect(row).to_contain_text(yen(mine_claim["total_yen"]))
        await expect(page.locator(f"#c-{claim_of[asahi]['id']}")).to_have_count(0)
        fees = page.locator(f"#s-{mine[0]['id']}")
        await expect(fees).to_contain_text("ハルト")
        await expect(fees).to_contain_text(yen(mine[0]["total_yen"]))
        await check(page, "money-95-staff-claims")
        await row.get_by_role("link").click()
        await expect(page.locator("h1")).to_have_text(f"請求 {MONTH_JA}")
        await expect(page.locator("#claim-total")).to_have_text(yen(mine_claim["total_yen"]))
        await expect(page.locator("table tbody tr")).to_have_count(mine_claim["line_count"])
        await check(page, "money-96-staff-claim")
        content = await downloaded_csv(page, "CSVでダウンロード")
        assert content.splitlines()[0] == ",".join(COLUMNS)
        assert used[hinata] in content
        assert used[asahi] not in content
        await page.goto(f"{base}/staff/claims")
        await fees.get_by_role("link").click()
        await expect(page.locator("#statement-total")).to_have_text(yen(mine[0]["total_yen"]))
        back = page.get_by_role("link", name="請求の一覧に戻る")
        await expect(back).to_have_attribute("href", f"/staff/claims?month={MONTH}")
        await check(page, "money-97-staff-statement")
        # Another facility's claim (and its CSV) and another facility's family's statement.
        for path in (
            f"/staff/claims/{claim_of[asahi]['id']}",
            f"/staff/claims/{claim_of[asahi]['id']}/lines.csv",
            f"/staff/statements/{theirs[0]['id']}",
            f"/staff/claims/{uuid.uuid4()}",
        ):
            answer = await page.request.get(f"{base}{path}")
            assert answer.status == 404, (path, answer.status)
        assert await status_of(page, f"{base}/staff/claims/{claim_of[asahi]['id']}") == 404
        await check(page, "money-98-staff-other-claim-404")
        # A guardian gets none of the staff's or the officer's money pages.
        guardian_page = pages[haruto.email]
        for path in ("/staff/claims", "/staff/costs", "/officer/claims", "/officer/claims.csv"):
            assert await status_of(guardian_page, f"{base}{path}") == 403, path

        # --- the officer: totals by facility, each claim, the month's CSV -------------------
        page = pages[officer_email]
        await officer_logs_in(gp, page, officer_email)
        await (
            page.get_by_role("navigation", name="メニュー").get_by_role("link", name="請求").click()
        )
        await expect(page.locator("h1")).to_have_text("請求")
        for facility in totals["facilities"]:
            line = page.locator(f"#f-{facility['facility_id']}")
            await expect(line).to_contain_text(facility["facility_name"])
            await expect(line).to_contain_text(yen(facility["total_yen"]))
        await expect(page.locator("#totals-all")).to_contain_text(yen(totals["total_yen"]))
        await check(page, "money-99-officer-claims")
        content = await downloaded_csv(page, "CSVでダウンロード")
        assert content.splitlines()[0] == ",".join(COLUMNS)
        assert used[hinata] in content
        assert used[asahi] in content
        await page.locator(f"#c-{claim_of[asahi]['id']}").get_by_role("link").click()
        await expect(page.locator("#claim-total")).to_have_text(yen(claim_of[asahi]["total_yen"]))
        await check(page, "money-99b-officer-claim")
        content = await downloaded_csv(page, "CSVでダウンロード")
        assert content.splitlines()[0] == ",".join(COLUMNS)
        assert used[asahi] in content
        # 要支援家庭: from the certifications list, the officer marks Haruto's family for the
        # rest of his certification; eligibility announces it for billing's next close.
        await page.goto(f"{base}/officer/certifications")
        await (
            page.locator(f"#c-{haruto.certification_id}")
            .get_by_role("link", name="要支援家庭")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("要支援家庭")
        await page.fill("#to", "2099-12-31")  # beyond the certification: eligibility says no
        await page.get_by_role("button", name="要支援家庭として設定する").click()
        await expect(page.get_by_role("alert")).to_contain_text("認定の有効期間")
        await page.fill("#from", next_month().date().isoformat())
        await page.fill("#to", (next_month().date() + timedelta(days=20)).isoformat())
        await page.get_by_role("button", name="要支援家庭として設定する").click()
        await expect(page.get_by_role("status")).to_contain_text("設定しました")
        await check(page, "money-99d-officer-family-support")

        # Another municipality's officer: Kakegawa's claims are 404s, its own month is empty.
        page = pages[chiyoda_email]
        await officer_logs_in(gp, page, chiyoda_email)
        for path in (
            f"/officer/claims/{claim_of[hinata]['id']}",
            f"/officer/claims/{claim_of[hinata]['id']}/lines.csv",
            f"/officer/certifications/{haruto.certification_id}/family-support",
        ):
            assert await status_of(page, f"{base}{path}") == 404, path
        await page.goto(f"{base}/officer/claims?month={MONTH}")
        await expect(page.locator(".empty")).to_contain_text("この月の請求はありません")
        await check(page, "money-99c-officer-other-municipality")

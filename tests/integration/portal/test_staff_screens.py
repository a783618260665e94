"""The facility's staff in the portal, against the real services (identity, eligibility,
booking, attendance, notification as processes; the whole platform on a test clock set to a
weekday morning): the staff account from identity's operator command, its password from the
mail; the requests inbox (fix the 初回面談 date, record it with the health check, accept the
child, approve a 定期利用 plan); today's roster with 代理で利用開始/終了, a late pickup and a
no-show; the facility's bookings and a cancellation on the guardian's behalf at the time they
phoned, and the facility's own; 臨時休園 with the preview of who is affected. Staff of another
facility get 404 for every id of this one; a guardian gets 403. Every page and state passes
axe-core on a tablet or a phone and is photographed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.integration import testbed
from tests.integration.conftest import eventually
from tests.integration.e2e.journey import (
    CHIYODA,
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
from tests.integration.portal.harness import PHONE, check, chromium, csrf_field, phone
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.portal.test_facility_pages import log_in
from tests.integration.portal.test_guardian_journey import (
    PASSWORD,
    certified_family,
    eligible_birth,
)
from tsuen_common.timeutil import JST, _test_clock, today_jst

TABLET = {"width": 820, "height": 1180}


def clinic_day() -> date:
    """A Tuesday–Thursday at least a week ahead (outside 年末年始): the platform's "today"."""
    day = today_jst() + timedelta(days=7)
    while (
        day.weekday() not in (1, 2, 3)
        or (day.month, day.day) >= (12, 28)
        or (
            day.month,
            day.day,
        )
        <= (1, 4)
    ):
        day += timedelta(days=1)
    return day


DAY = clinic_day()


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JST)


@pytest.fixture(scope="module")
async def staffed(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    async with guardian_platform(
        kafka,
        postgres,
        tmp_path_factory.mktemp("staff"),
        attendance=True,
        clock=at(8, 0),
    ) as gp:
        yield gp


async def tablet(browser: Browser) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=TABLET, locale="ja-JP", device_scale_factor=1)
    return context, await context.new_page()


async def staff_account(gp: GuardianPlatform, facility_id: str, who: str) -> str:
    """identity's operator command creates the account; the holder sets the password from
    the mail, as a guardian does."""
    email = unique_email(who)
    created = gp.platform.run_command(
        "identity",
        *("create-account", "--role", "facility_staff", "--municipality", KAKEGAWA),
        *("--facility-id", facility_id, "--email", email),
    )
    assert created.returncode == 0, created.stderr
    return email


async def set_password_and_log_in(gp: GuardianPlatform, page: Page, email: str) -> None:
    link = await gp.link_in_mail(email, "/password/set")
    await page.goto(link)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="パスワードを設定する").click()
    await expect(page.locator("h1")).to_have_text("パスワードを設定しました")
    await page.goto(f"{gp.portal.url}/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン", exact=True).click()


async def api(gp: GuardianPlatform, method: str, path: str, who: dict[str, str], **kw: Any) -> Any:
    async with gp.platform.client("booking") as booking:
        response = await booking.request(method, path, headers=who, **kw)
    return ok(
        response,
        201
        if method == "POST" and path in ("/v1/interviews", "/v1/bookings", "/v1/regular-plans")
        else 200,
    )


async def advance(gp: GuardianPlatform, page: Page, to: datetime) -> None:
    """Move the platform's clock to ``to`` the way a morning passes: in steps shorter than the
    portal's idle timeout (30 minutes), the tablet showing the roster at each step."""
    while True:
        now = _test_clock(gp.platform.clock_file)
        assert now is not None
        step = min(to, now + timedelta(minutes=20))
        gp.platform.set_clock(step)
        await page.goto(f"{gp.portal.url}/staff")
        await expect(page.locator("h1")).to_contain_text("利用予定")
        if step >= to:
            return


async def roster_lines(gp: GuardianPlatform, facility_id: str, count: int) -> None:
    async with gp.platform.client("attendance") as attendance:

        async def listed() -> bool:
            response = await attendance.get(
                f"/v1/facilities/{facility_id}/roster",
                params={"day": DAY.isoformat()},
                headers=gp.platform.staff(KAKEGAWA, facility_id),
            )
            return response.status_code == 200 and len(response.json()["lines"]) >= count

        await eventually(listed, within=60, what=f"{count} roster lines at attendance")


RECORD = {
    "allergies": ["卵", "小麦"],
    "medical_care": True,
    "medical_care_notes": "食後に吸入",
    "emergency_contacts": [{"name": "掛川 陽子", "relation": "母", "phone": "090-1234-5678"}],
    "pickup_persons": [{"name": "掛川 和子", "relation": "祖母"}],
}


async def roster_record(gp: GuardianPlatform, facility_id: str, booking_id: str) -> None:
    """Wait until attendance has the guardian's record for the booking (by event)."""
    async with gp.platform.client("attendance") as attendance:

        async def arrived() -> bool:
            response = await attendance.get(
                f"/v1/facilities/{facility_id}/roster",
                params={"day": DAY.isoformat()},
                headers=gp.platform.staff(KAKEGAWA, facility_id),
            )
            lines = {line["booking_id"]: line for line in response.json()["lines"]}
            return bool(lines.get(booking_id, {}).get("record"))

        await eventually(arrived, within=60, what="the child's record on attendance's roster")


async def certified_by_the_officer_in_the_portal(
    gp: GuardianPlatform, applicant: Applicant
) -> Family:
    """The municipality's officer reviews the application in the portal (second factor, the
    automatic checks, the guardian's answers) and certifies it with 認定する."""
    # Here, not at the top: test_officer_screens imports this module's helpers.
    from tests.integration.portal.test_officer_screens import officer_account, officer_logs_in

    officer = await officer_account(gp, applicant.municipality, "review-officer")
    async with chromium() as browser:
        context, page = await tablet(browser)
        await officer_logs_in(gp, page, officer)
        await page.locator(f"#a-{applicant.application_id}").get_by_role("link").click()
        await expect(page.locator("h1")).to_contain_text("審査待ち")
        await expect(page.locator("main")).to_contain_text("住民登録あり")
        await expect(page.locator("main")).to_contain_text(applicant.kana)
        await page.get_by_role("button", name="認定する").click()
        await expect(page.locator(".notice--success")).to_contain_text("認定しました")
        await check(page, "59-officer-certifies-for-the-facility-day")
        await context.close()
    code = applicant.municipality
    async with gp.platform.client("eligibility") as eligibility:
        application = ok(
            await eligibility.get(
                f"/v1/municipalities/{code}/applications/{applicant.application_id}",
                headers=gp.platform.officer(code),
            )
        )
        certification = ok(
            await eligibility.get(
                f"/v1/municipalities/{code}/certifications/{application['certification_id']}",
                headers=gp.platform.officer(code),
            )
        )
    return Family(
        municipality=code,
        email=applicant.email,
        application_id=applicant.application_id,
        certification_id=str(certification["certification_id"]),
        child_id=str(certification["child_id"]),
        guardian_id=str(certification["guardian_id"]),
    )


async def test_facility_staff_run_their_day_in_the_portal(staffed: GuardianPlatform):
    """With test_officer_lottery.py (Chiyoda's lottery and its promotion from the waiting list:
    only Chiyoda's policy has one), this is issue 16's "done when": the officer certifies in the
    portal, the facility is mailed the interview request and runs the child's days."""
    gp = staffed
    base = gp.portal.url
    facility_email = unique_email("hinata")
    facility_id = await register_facility(gp.platform, KAKEGAWA, facility_email)
    other_facility = await register_facility(gp.platform, KAKEGAWA, unique_email("other"))
    applicant = Applicant(KAKEGAWA, unique_email("haruto"), "カケガワ ハルト", eligible_birth())
    await register_residents(gp.platform, applicant)
    await apply(gp.platform, applicant)
    haruto = await certified_by_the_officer_in_the_portal(gp, applicant)
    mei = await certified_family(gp, "mei", "カケガワ メイ")
    for family in (haruto, mei):
        await wait_until_booking_knows(gp.platform, family)
    email = await staff_account(gp, facility_id, "hoikushi")
    other_email = await staff_account(gp, other_facility, "other-hoikushi")

    def guardian(f: Family) -> dict[str, str]:
        return gp.platform.guardian(f.municipality, f.guardian_id)

    # Both families ask for the 初回面談; Haruto's parent proposes a time.
    asked = {
        f.child_id: await api(
            gp,
            "POST",
            "/v1/interviews",
            guardian(f),
            json={
                "facility_id": facility_id,
                "child_id": f.child_id,
                "proposed_times": [at(8, 45).isoformat()] if f is haruto else [],
            },
        )
        for f in (haruto, mei)
    }
    # The facility is told of each request by mail.
    await gp.mailbox.wait_for(facility_email, "初回面談の申込みのお知らせ(施設向け)", count=2)

    async with chromium() as browser:
        context, page = await tablet(browser)
        await set_password_and_log_in(gp, page, email)
        # The staff's home is the roster of today.
        await expect(page.locator("h1")).to_contain_text("本日の利用予定")
        await expect(page.locator(".empty")).to_have_text("この日のご予約はありません")
        await check(page, "60-staff-roster-empty")

        # --- requests inbox -------------------------------------------------------------
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="申込み")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("申込み")
        cards = page.locator(".request-list > li")
        await expect(cards).to_have_count(2)
        await check(page, "61-staff-requests")
        haruto_card = page.locator(f"#i-{asked[haruto.child_id]['id']}")
        mei_card = page.locator(f"#i-{asked[mei.child_id]['id']}")
        await expect(haruto_card).to_contain_text("保護者の希望日時")
        await expect(mei_card).to_contain_text("希望日時の指定はありません")
        # A date left out is summarised at the top and linked to the field.
        await mei_card.locator("input[type=date]").fill("")
        await mei_card.get_by_role("button", name="この日時で確定する").click()
        await expect(page.get_by_role("alert").first).to_contain_text("面談日を入力してください")
        await check(page, "62-staff-requests-date-missing")
        for card in (haruto_card, mei_card):
            await card.locator("input[type=date]").fill(DAY.isoformat())
            await card.get_by_role("button", name="この日時で確定する").click()
            await expect(page.locator(".notice--success")).to_contain_text("面談日時を確定しました")
        await expect(haruto_card).to_contain_text("面談の記録")
        # Recording without the health check's result asks for it.
        await haruto_card.get_by_role("button", name="面談の実施を記録する").click()
        await expect(page.get_by_role("alert").first).to_contain_text(
            "健康診断の結果を選んでください"
        )
        await check(page, "63-staff-requests-health-missing")
        for card in (haruto_card, mei_card):
            await card.get_by_label("問題なし").check()
            await card.get_by_role("button", name="面談の実施を記録する").click()
            await expect(page.locator(".notice--success")).to_contain_text("記録しました")
        await check(page, "64-staff-requests-held")
        for card in (haruto_card, mei_card):
            await card.get_by_role("button", name="受け入れる").click()
            await expect(page.locator(".notice--success")).to_contain_text("受け入れを登録しました")
            # Decided: the card says so; changing it is one step apart (a mis-tap mails them).
            await expect(card).to_contain_text("受け入れ済み")
            await expect(card.get_by_role("button", name="受け入れる")).to_have_count(0)
            await expect(card.get_by_role("button", name="お断りする")).to_be_hidden()

        # 定期利用: Haruto's parent applies (API); the facility approves it here.
        plan = await api(
            gp,
            "POST",
            "/v1/regular-plans",
            guardian(haruto),
            json={
                "facility_id": facility_id,
                "child_id": haruto.child_id,
                "weekday": DAY.weekday(),
                "start": "13:00",
                "end": "15:00",
                "valid_from": (DAY + timedelta(days=1)).isoformat(),
            },
        )
        await page.reload()
        plan_card = page.locator(f"#p-{plan['id']}")
        await expect(plan_card).to_contain_text("13:00–15:00")
        await check(page, "65-staff-requests-plan")
        await plan_card.get_by_role("button", name="承認して予約する").click()
        await expect(page.locator(".notice--success")).to_contain_text("定期利用を承認しました")
        await check(page, "66-staff-requests-plan-approved")

        # --- today's roster -------------------------------------------------------------
        booked = {
            f.child_id: await api(
                gp,
                "POST",
                "/v1/bookings",
                guardian(f),
                json={
                    "facility_id": facility_id,
                    "child_id": f.child_id,
                    "use_date": DAY.isoformat(),
                    "start": "09:00",
                    "end": "10:00",
                    "kind": "flexible",
                },
            )
            for f in (haruto, mei)
        }
        # Haruto's parent has registered お子さんの情報 (eligibility's API; the guardian's page
        # has its own test); Mei's has not.
        async with gp.platform.client("eligibility") as eligibility:
            ok(
                await eligibility.put(
                    f"/v1/municipalities/{KAKEGAWA}/children/{haruto.child_id}/profile",
                    json={"profile": RECORD},
                    headers=guardian(haruto),
                )
            )
        await roster_lines(gp, facility_id, 2)
        await roster_record(gp, facility_id, booked[haruto.child_id]["id"])
        # Mei's parent tells the facility, from the booking's page on a phone, that the
        # arrival will be late (遅れる連絡): the roster shows it.
        parent_context, parent = await phone(browser)
        await log_in(gp, parent, mei)
        await parent.goto(f"{base}/bookings/{booked[mei.child_id]['id']}")
        await parent.get_by_label("登園が遅れる").check()
        await parent.select_option("#late_minutes", "20")
        await parent.fill("#late_note", "病院に寄ります")
        await parent.get_by_role("button", name="施設に連絡する").click()
        await expect(parent.get_by_role("status")).to_contain_text("施設に連絡しました")
        await check(parent, "66b-guardian-late-notice")
        await parent_context.close()
        await advance(gp, page, at(8, 50))
        await expect(page.locator(".roster-line")).to_have_count(2)
        haruto_line = page.locator(f"#b-{booked[haruto.child_id]['id']}")
        mei_line = page.locator(f"#b-{booked[mei.child_id]['id']}")
        # The roster names the child with reading and age, flags the allergy and 医療的ケア,
        # and keeps contacts and pickup one tap away.
        await expect(haruto_line).to_contain_text("カケガワ ハルト")
        await expect(haruto_line).to_contain_text("歳")
        await expect(haruto_line).to_contain_text("アレルギー：卵、小麦")
        await expect(haruto_line).to_contain_text("医療的ケア")
        await expect(mei_line).to_contain_text("お子さんの情報 未登録")
        await expect(mei_line).to_contain_text("連絡あり：登園20分遅れ（病院に寄ります）")
        await haruto_line.get_by_text("緊急連絡先・お迎え・配慮事項").click()
        await expect(haruto_line).to_contain_text("090-1234-5678")
        await expect(haruto_line).to_contain_text("掛川 和子（祖母）")
        await check(page, "67-staff-roster-morning")
        await haruto_line.get_by_role("button", name="代理で利用開始").click()
        await expect(page.locator(".notice--success")).to_have_text("利用開始を登録しました。")
        await expect(haruto_line).to_contain_text("利用中")
        await expect(haruto_line).to_contain_text("職員が代理登録")
        await advance(gp, page, at(10, 15))
        await haruto_line.get_by_role("button", name="代理で利用終了").click()
        await expect(haruto_line).to_contain_text("お迎え遅れ 15分")
        await expect(mei_line).to_contain_text("無断欠席")
        # Once the child has gone home the record leaves the roster.
        await expect(haruto_line).not_to_contain_text("アレルギー")
        await expect(haruto_line.locator("details")).to_have_count(0)
        await expect(page.locator(".counts")).to_contain_text("お迎え遅れ1")
        await check(page, "68-staff-roster-late-and-no-show")

        # 月の利用実績: the month so far per child, and the same as a CSV download.
        await page.get_by_role("link", name="月の利用実績").click()
        await page.select_option("#month", f"{DAY.year:04d}-{DAY.month:02d}")
        await page.get_by_role("button", name="絞り込む").click()
        report = page.locator("table")
        await expect(report.locator("tbody tr")).to_have_count(2)
        await expect(report.locator("tr", has_text="通園 ハルト")).to_contain_text("15分")
        await check(page, "68b-staff-month-report")
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="CSVでダウンロード").click()
        download = await downloading.value
        content = Path(await download.path()).read_text(encoding="utf-8-sig")  # noqa: ASYNC240
        assert content.splitlines()[0].startswith("児童ID,氏名,予約件数")
        assert "通園 メイ" in content
        await page.get_by_role("link", name="利用予定").click()

        # The same on a phone and in English.
        await page.set_viewport_size(PHONE)
        await check(page, "69-staff-roster-phone")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_contain_text("Today's roster")
        await check(page, "70-staff-roster-en")
        await page.get_by_role("link", name="日本語").click()
        await page.set_viewport_size(TABLET)

        # --- the entrance tablet's 2D code, opened from the staff's session ---------------
        # Its reloading script is held back here, so the page stays put while axe-core reads
        # it (the page works without it: the button shows the next code).
        await page.route("**/static/display.js", lambda route: route.abort())
        await page.get_by_role("link", name="2次元コード").click()
        code = page.locator(".display-code img")
        await expect(code).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        async with gp.platform.client("attendance") as attendance:
            now = ok(
                await attendance.get(
                    f"/v1/facilities/{facility_id}/code",
                    headers=gp.platform.staff(KAKEGAWA, facility_id),
                )
            )
        shown_step = int(await code.get_attribute("data-step") or 0)
        assert abs(shown_step - now["step"]) <= 1
        await check(page, "70b-staff-2d-code")
        await page.get_by_role("link", name="最新のコードを表示する").click()
        await expect(code).to_be_visible()
        await page.unroute("**/static/display.js")

        # --- bookings of the facility ---------------------------------------------------
        later = {
            f.child_id: await api(
                gp,
                "POST",
                "/v1/bookings",
                guardian(f),
                json={
                    "facility_id": facility_id,
                    "child_id": f.child_id,
                    "use_date": (DAY + timedelta(days=2)).isoformat(),
                    "start": "10:00",
                    "end": "12:00",
                    "kind": "flexible",
                },
            )
            for f in (haruto, mei)
        }
        await page.get_by_role("link", name="予約一覧").click()
        await expect(page.locator("h1")).to_have_text("施設の予約一覧")
        row = page.locator(f"#b-{later[haruto.child_id]['id']}")
        await expect(row).to_contain_text("10:00–12:00")
        await check(page, "71-staff-bookings")
        await row.get_by_role("link", name="キャンセル").click()
        await expect(page.locator("h1")).to_have_text("予約のキャンセル")
        await expect(page.locator("#called_time")).to_have_value("10:15")
        # Kakegawa: free until 12:00 the business day before; the staff member can say so.
        await expect(page.locator(".summary")).to_contain_text("無料でキャンセルできる期限")
        await page.get_by_role("button", name="この予約をキャンセルする").click()
        await expect(page.get_by_role("alert").first).to_contain_text("理由を入力してください")
        await check(page, "72-staff-cancel-reason-missing")
        await page.fill("#called_time", "09:40")
        await page.fill("#reason", "発熱のため")
        await page.get_by_role("button", name="この予約をキャンセルする").click()
        await expect(page.locator("h1")).to_have_text("予約をキャンセルしました")
        await expect(page.locator("main")).to_contain_text("09:40")
        await expect(page.locator("main")).to_contain_text("利用時間は消費されません")
        await check(page, "73-staff-cancelled-for-guardian")
        cancelled = await api(
            gp, "GET", f"/v1/bookings/{later[haruto.child_id]['id']}", guardian(haruto)
        )
        assert cancelled["status"] == "cancelled"
        assert datetime.fromisoformat(cancelled["called_at"]) == at(9, 40)

        # 代理予約 for Mei's guardian, who phoned: the child must be chosen first.
        await page.get_by_role("link", name="予約一覧", exact=True).click()
        await page.get_by_role("link", name="代理予約").click()
        await expect(page.locator("h1")).to_have_text("代理予約")
        await page.fill("#date", (DAY + timedelta(days=1)).isoformat())
        await page.get_by_role("button", name="予約する", exact=True).click()
        await expect(page.get_by_role("alert").first).to_contain_text("お子さんを選んでください")
        await check(page, "79-staff-book-error")
        await page.select_option("#child", mei.child_id)
        await page.select_option("#start", "10:00")
        await page.select_option("#end", "12:00")
        await page.get_by_role("button", name="予約する", exact=True).click()
        await expect(page.locator("h1")).to_have_text("代理予約しました")
        await expect(page.locator("main")).to_contain_text("メイ")
        # Tomorrow's booking at 10:15: free to cancel until 12:00 today, and the page says so.
        deadline = page.locator(".summary__row", has_text="無料でキャンセルできる期限")
        await expect(deadline).to_contain_text("12:00")
        await expect(page.locator("main")).not_to_contain_text("すでに過ぎています")
        await check(page, "80-staff-booked")
        proxied = await api(
            gp,
            "GET",
            "/v1/bookings",
            guardian(mei),
            params={"from": (DAY + timedelta(days=1)).isoformat()},
        )
        assert any(b["by_proxy"] and b["start"] == "10:00" for b in proxied)

        # --- 臨時休園 --------------------------------------------------------------------
        closed_day = DAY + timedelta(days=2)
        await page.get_by_role("link", name="臨時休園").click()
        await expect(page.locator("h1")).to_have_text("臨時休園")
        await check(page, "74-staff-closure-form")
        await page.fill("#from", closed_day.isoformat())
        await page.get_by_role("button", name="対象のご予約を確認する").click()
        await expect(page.get_by_role("alert").first).to_contain_text("理由を入力してください")
        await check(page, "75-staff-closure-error")
        await page.fill("#reason", "台風のため")
        await page.get_by_role("button", name="対象のご予約を確認する").click()
        await expect(page.locator("#affected")).to_have_text("キャンセルされるご予約：1件")
        await check(page, "76-staff-closure-preview")
        await page.get_by_role("button", name="休園にして予約をキャンセルする").click()
        await expect(page.locator("h1")).to_have_text("臨時休園を登録しました")
        await expect(page.locator("main")).to_contain_text(
            "すべての保護者にメールでお知らせしました"
        )
        await check(page, "77-staff-closed")
        gone = await api(gp, "GET", f"/v1/bookings/{later[mei.child_id]['id']}", guardian(mei))
        assert gone["status"] == "cancelled"
        assert gone["cancel_cause"] == "facility"
        assert gone["consumed_minutes"] == 0  # the facility's cancellation costs no hours

        async def mailed() -> bool:
            return any("休園" in (m.body("plain") or "") for m in gp.mailbox.to(mei.email))

        await eventually(mailed, within=60, what="the closure mail to Mei's guardian")

        # --- boundaries -----------------------------------------------------------------
        # Staff of another facility: every id of this one is a 404, in URLs and in forms.
        other_context, other = await phone(browser)
        await set_password_and_log_in(gp, other, other_email)
        await expect(other.locator("h1")).to_contain_text("本日の利用予定")
        await expect(other.locator(".roster-line")).to_have_count(0)
        token = csrf_field(await other.content())
        response = await other.goto(f"{base}/staff/bookings/{later[mei.child_id]['id']}/cancel")
        assert response is not None
        assert response.status == 404
        await expect(other.locator("h1")).to_have_text("ページが見つかりません")
        await check(other, "78-staff-other-facility-404")
        haruto_interview = asked[haruto.child_id]["id"]
        for path, form in (
            (f"/staff/roster/{booked[mei.child_id]['id']}/check-in", {"date": DAY.isoformat()}),
            (
                f"/staff/bookings/{later[mei.child_id]['id']}/cancel",
                {"reason": "x", "cause": "facility"},
            ),
            (
                f"/staff/interviews/{haruto_interview}/schedule",
                {
                    f"date-{haruto_interview}": (DAY + timedelta(days=1)).isoformat(),
                    f"time-{haruto_interview}": "10:00",
                },
            ),
            (f"/staff/interviews/{haruto_interview}/held", {"health_check": "no_concerns"}),
            (f"/staff/children/{haruto.child_id}/acceptance", {"decision": "decline"}),
            (f"/staff/plans/{plan['id']}/decline", {}),
        ):
            answer = await other.request.post(
                f"{base}{path}", form={**form, "csrf_token": token}, max_redirects=0
            )
            assert answer.status == 404, (path, answer.status)
        await other_context.close()

        # A guardian is refused every staff page.
        parent_context, parent = await phone(browser)
        await set_password_and_log_in(gp, parent, haruto.email)
        await expect(parent.locator("h1")).to_have_text("ホーム")
        for path in ("/staff", "/staff/requests", "/staff/bookings", "/staff/closures"):
            response = await parent.goto(f"{base}{path}")
            assert response is not None
            assert response.status == 403, path
            assert response.headers["cache-control"] == "no-store"
        await parent_context.close()
        await context.close()


async def test_the_facility_reads_the_considerations_and_records_the_consultation(
    staffed: GuardianPlatform,
):
    """Issue 17.7: the application's 配慮事項 reach the facility before it accepts the child,
    and Chiyoda's 医療的ケア needs the prior consultation recorded first."""
    gp = staffed
    facility_id = await register_facility(gp.platform, CHIYODA, unique_email("kanda-en"))
    applicant = Applicant(
        CHIYODA,
        unique_email("iryo"),
        "チヨダ イリョウ",
        eligible_birth(),
        considerations={
            "present": True,
            "content": "食後に吸入が必要です",
            "diagnosis": "気管支喘息",
            "required_care": "吸入の見守り",
            "medical_care": True,
        },
    )
    await register_residents(gp.platform, applicant)
    await apply(gp.platform, applicant)
    family = await approve(gp.platform, applicant)
    await wait_until_booking_knows(gp.platform, family)
    asked = await api(
        gp,
        "POST",
        "/v1/interviews",
        gp.platform.guardian(CHIYODA, family.guardian_id),
        json={"facility_id": facility_id, "child_id": family.child_id},
    )
    staff_headers = gp.platform.staff(CHIYODA, facility_id)
    now = _test_clock(gp.platform.clock_file)
    assert now is not None
    soon = (now + timedelta(hours=2)).isoformat()
    await api(
        gp,
        "POST",
        f"/v1/interviews/{asked['id']}/schedule",
        staff_headers,
        json={"starts_at": soon},
    )
    await api(
        gp,
        "POST",
        f"/v1/interviews/{asked['id']}/held",
        staff_headers,
        json={"health_check": "no_concerns"},
    )
    email = unique_email("kanda-hoikushi")
    created = gp.platform.run_command(
        "identity",
        *("create-account", "--role", "facility_staff", "--municipality", CHIYODA),
        *("--facility-id", facility_id, "--email", email),
    )
    assert created.returncode == 0, created.stderr

    async with chromium() as browser:
        context, page = await tablet(browser)
        await set_password_and_log_in(gp, page, email)
        await page.goto(f"{gp.portal.url}/staff/requests")
        card = page.locator(f"#i-{asked['id']}")
        await expect(card).to_contain_text("医療的ケア")
        await expect(card).to_contain_text("食後に吸入が必要です")
        await expect(card).to_contain_text("気管支喘息")
        await check(page, "67-staff-requests-considerations")
        await card.get_by_role("button", name="受け入れる").click()
        await expect(page.get_by_role("alert").first).to_contain_text("事前相談")
        await card.get_by_label("医療的ケアについて事前相談を行いました").check()
        await card.get_by_role("button", name="受け入れる").click()
        await expect(page.locator(".notice--success")).to_contain_text("受け入れを登録しました")
        await context.close()


async def test_the_officers_dashboard_adds_up_the_facilities_month(staffed: GuardianPlatform):
    """Issue 16: the municipality's month — hours booked against hours available, per
    facility, with no-shows and late pickups — equal to what attendance and eligibility say,
    and only the officer's own municipality."""
    # Here, not at the top: both modules import this one's helpers.
    from tests.integration.portal.test_officer_screens import officer_account, officer_logs_in

    gp = staffed
    base = gp.portal.url
    month = DAY.strftime("%Y-%m")
    officer = await officer_account(gp, KAKEGAWA, "dashboard-officer")
    await certified_family(gp, "dash", "カケガワ ダッシュ")  # at least one child this month
    await register_facility(gp.platform, KAKEGAWA, unique_email("dash-en"))  # and one facility
    async with gp.platform.client("booking") as booking:
        facilities = ok(
            await booking.get(
                "/v1/facilities",
                params={"municipality": KAKEGAWA},
                headers=gp.platform.officer(KAKEGAWA),
            )
        )
    booked = no_shows = 0
    async with gp.platform.client("attendance") as attendance:
        for facility in facilities:
            lines = ok(
                await attendance.get(
                    f"/v1/facilities/{facility['id']}/report",
                    params={"month": month},
                    headers=gp.platform.officer(KAKEGAWA),
                )
            )
            booked += sum(line["booked_minutes"] for line in lines)
            no_shows += sum(line["no_shows"] for line in lines)
    async with gp.platform.client("eligibility") as eligibility:
        stats = ok(
            await eligibility.get(
                f"/v1/municipalities/{KAKEGAWA}/stats",
                params={"month": month},
                headers=gp.platform.officer(KAKEGAWA),
            )
        )
    assert stats["certifications_valid"] >= 1
    assert stats["minutes_available"] == stats["certifications_valid"] * 600  # Kakegawa: 10 h

    async with chromium() as browser:
        context, page = await tablet(browser)
        await officer_logs_in(gp, page, officer)
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="ダッシュボード")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("ダッシュボード")
        hours = page.locator("dl.summary").first
        h, m = divmod(booked, 60)
        await expect(hours).to_contain_text(f"{h}時間" + (f"{m}分" if m else ""))
        await expect(hours).to_contain_text(
            f"その月に認定されている児童{stats['certifications_valid']}"
        )
        await expect(hours).to_contain_text(f"無断欠席{no_shows}")
        rows = page.locator("#facility-caption ~ tbody tr")
        await expect(rows).to_have_count(len(facilities))
        await expect(page.locator("svg.chart__svg").first).to_be_visible()
        await check(page, "68-officer-dashboard")
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="CSVでダウンロード").click()
        download = await download_info.value
        text = Path(await download.path()).read_text("utf-8-sig")  # noqa: ASYNC240
        header, *body = text.strip().splitlines()
        assert header.startswith("month,facility_id,facility_name")
        assert len(body) == len(facilities) + 1  # each facility, then the total
        assert body[-1].split(",")[5] == str(booked)
        await page.set_viewport_size(PHONE)
        await page.reload()
        await check(page, "69-officer-dashboard-phone")

        # 操作の記録: what the facility's staff did earlier in this module is in the officer's
        # trail (booking's staff audit merged with eligibility's), under the staff's e-mail.
        await page.get_by_role("link", name="操作の記録").click()
        rows = page.locator("tbody tr")
        closure = rows.filter(has_text="臨時休園").first
        await expect(closure).to_contain_text(re.compile(r"hoikushi\.[0-9a-f]{8}@example\.jp"))
        await expect(closure).to_contain_text("ひまわり保育園")  # the facility's name
        for action in (
            "面談日時の確定",
            "面談・健康状態の確認の記録",
            "受け入れ",
            "定期利用の承認",
            "代理予約",
            "電話連絡による代理キャンセル",
        ):
            await expect(rows.filter(has_text=action).first).to_be_visible()
        await expect(rows.filter(has_text="認定").first).to_be_visible()  # eligibility's too
        await check(page, "69b-officer-audit-with-staff-actions")
        await context.close()

        # Chiyoda's officer sees Chiyoda's facilities only.
        chiyoda = await officer_account(gp, CHIYODA, "dashboard-chiyoda")
        context, page = await tablet(browser)
        await officer_logs_in(gp, page, chiyoda)
        await page.goto(f"{base}/officer/dashboard")
        for facility in facilities:
            await expect(page.locator("main")).not_to_contain_text(facility["name"])
        await context.close()


async def test_the_entrance_tablet_is_kept_to_the_2d_code(staffed: GuardianPlatform):
    """Parents stand at the entrance tablet: once staff keep it to the 2D code, it shows no
    menu and no other page (the roster holds every child's allergies and contacts), also after
    its tokens are refreshed, until someone logs out."""
    gp = staffed
    base = gp.portal.url
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("genkan"))
    email = await staff_account(gp, facility_id, "genkan-staff")
    async with chromium() as browser:
        context, page = await tablet(browser)
        await set_password_and_log_in(gp, page, email)
        await page.route("**/static/display.js", lambda route: route.abort())
        await page.goto(f"{base}/staff/display")
        await expect(page.locator(".main-nav")).to_be_visible()
        await page.get_by_role("button", name="この端末を玄関の表示専用にする").click()
        await expect(page.locator(".display-code img")).to_be_visible()
        await expect(page.locator(".main-nav")).to_have_count(0)
        await expect(page.locator("main")).to_contain_text("2次元コードだけを表示します")
        await check(page, "70c-entrance-tablet-code-only")

        async def closed() -> None:
            for path in ("/staff", "/staff/bookings", "/staff/requests", "/officer", "/bookings"):
                response = await page.goto(base + path)
                assert response is not None
                assert response.status == 403, path
            await page.goto(base + "/")
            assert page.url == f"{base}/staff/display"
            await expect(page.locator(".display-code img")).to_be_visible()

        await closed()
        # Past the access token's lifetime (10 min) the portal refreshes it: still closed.
        now = _test_clock(gp.platform.clock_file)
        assert now is not None
        gp.platform.set_clock(now + timedelta(minutes=15))
        await closed()
        # Logging out ends it; the staff member's own login opens the staff pages again.
        await page.get_by_role("button", name="ログアウト").click()
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.get_by_role("button", name="ログイン", exact=True).click()
        await expect(page.locator("h1")).to_contain_text("利用予定")
        await context.close()

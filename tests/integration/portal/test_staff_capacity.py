"""利用枠と開所時間 in the portal (issue 16), against the real services on a test clock: the
facility's staff reduce the places of a day below what is booked, see who would be cancelled
(by name and booking) before anything changes, confirm, and the guardian whose booking was made
last has it cancelled as the facility's cancellation — hours kept, a mail sent — while the
family that booked first keeps theirs. Staff of another facility posting the same form change
nothing here; a guardian gets 403. Every state passes axe-core on a phone and is photographed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import expect

from tests.integration import testbed
from tests.integration.conftest import eventually
from tests.integration.e2e.journey import (
    KAKEGAWA,
    Family,
    register_facility,
    unique_email,
    wait_until_booking_knows,
)
from tests.integration.portal.harness import check, chromium, csrf_field, phone
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.portal.test_guardian_journey import certified_family
from tests.integration.portal.test_staff_screens import (
    DAY,
    api,
    at,
    set_password_and_log_in,
    staff_account,
)

NEXT_DAY = DAY + timedelta(days=1)  # DAY is a Tuesday–Thursday: this is a weekday too


@pytest.fixture(scope="module")
async def staffed(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    async with guardian_platform(
        kafka,
        postgres,
        tmp_path_factory.mktemp("capacity"),
        attendance=True,
        clock=at(8, 0),
    ) as gp:
        yield gp


async def accepted(gp: GuardianPlatform, family: Family, facility_id: str) -> None:
    """The 初回面談 held and the child accepted (the requests inbox's own test clicks this)."""
    guardian = gp.platform.guardian(family.municipality, family.guardian_id)
    staff = gp.platform.staff(KAKEGAWA, facility_id)
    asked = await api(
        gp,
        "POST",
        "/v1/interviews",
        guardian,
        json={"facility_id": facility_id, "child_id": family.child_id},
    )
    path = f"/v1/interviews/{asked['id']}"
    await api(gp, "POST", f"{path}/schedule", staff, json={"starts_at": at(9).isoformat()})
    await api(gp, "POST", f"{path}/held", staff, json={"health_check": "no_concerns"})
    await api(
        gp,
        "PUT",
        f"/v1/facilities/{facility_id}/acceptances/{family.child_id}",
        staff,
        json={"accepted": True},
    )


async def test_staff_reduce_places_see_who_is_affected_and_confirm(staffed: GuardianPlatform):
    gp = staffed
    base = gp.portal.url
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("komorebi"))
    other_facility = await register_facility(gp.platform, KAKEGAWA, unique_email("other"))
    haruto = await certified_family(gp, "haruto", "カケガワ ハルト")
    mei = await certified_family(gp, "mei", "カケガワ メイ")
    booked = {}
    for family in (haruto, mei):  # Haruto's family books first, Mei's second
        await wait_until_booking_knows(gp.platform, family)
        await accepted(gp, family, facility_id)
        booked[family.child_id] = await api(
            gp,
            "POST",
            "/v1/bookings",
            gp.platform.guardian(family.municipality, family.guardian_id),
            json={
                "facility_id": facility_id,
                "child_id": family.child_id,
                "use_date": NEXT_DAY.isoformat(),
                "start": "10:00",
                "end": "11:00",
                "kind": "flexible",
            },
        )
    email = await staff_account(gp, facility_id, "hoikushi")
    other_email = await staff_account(gp, other_facility, "other-hoikushi")

    def guardian(f: Family) -> dict[str, str]:
        return gp.platform.guardian(f.municipality, f.guardian_id)

    async with chromium() as browser:
        context, page = await phone(browser)
        await set_password_and_log_in(gp, page, email)
        await expect(page.locator("h1")).to_contain_text("本日の利用予定")
        await (
            page.get_by_role("navigation", name="メニュー")
            .get_by_role("link", name="利用枠・開所時間")
            .click()
        )
        await expect(page.locator("h1")).to_have_text("利用枠と開所時間")
        now = page.get_by_role("region", name="現在の設定")
        await expect(now.get_by_role("row", name="月曜日")).to_contain_text("08:00–18:00")
        await expect(now.get_by_role("row", name="月曜日")).to_contain_text("3")
        await expect(now.get_by_role("row", name="土曜日")).to_contain_text("休み")
        await check(page, "90-staff-capacity-form")

        # One place per slot from the next day, without a reason first.
        await page.fill("#from", NEXT_DAY.isoformat())
        for d in range(5):
            await page.fill(f"#places-{d}", "1")
        await page.fill("#close-4", "")
        await page.get_by_role("button", name="対象のご予約を確認する").click()
        alert = page.get_by_role("alert").first
        await expect(alert).to_contain_text("理由を入力してください")
        await expect(alert).to_contain_text("閉所時刻を入力してください")
        await check(page, "91-staff-capacity-errors")
        await page.fill("#close-4", "18:00")
        await page.fill("#reason", "保育士の欠員のため")
        await page.get_by_role("button", name="対象のご予約を確認する").click()
        await expect(page.locator("#affected")).to_have_text("キャンセルされるご予約：1件")
        affected = page.locator(".booking-list")
        await expect(affected).to_contain_text("メイ")
        await expect(affected).not_to_contain_text("ハルト")
        await expect(affected).to_contain_text("変更後の定員を超えるため（後から予約）")
        await expect(affected).to_contain_text("10:00–11:00")
        await check(page, "92-staff-capacity-preview")

        # Staff of another facility send the same confirmation with their own session: it acts
        # on their facility only (the preview was not theirs), and nothing changes here.
        other_context, other = await phone(browser)
        await set_password_and_log_in(gp, other, other_email)
        await expect(other.locator("h1")).to_contain_text("本日の利用予定")
        await other.goto(f"{base}/staff/capacity")
        form = {
            "csrf_token": csrf_field(await other.content()),
            "fingerprint": await page.locator("input[name=fingerprint]").get_attribute("value"),
            "from": NEXT_DAY.isoformat(),
            "reason": "x",
        }
        for d in range(7):
            form |= {
                f"open-{d}": "08:00" if d < 5 else "",
                f"close-{d}": "18:00" if d < 5 else "",
                f"places-{d}": "1" if d < 5 else "",
            }
        answer = await other.request.post(f"{base}/staff/capacity", form=form, max_redirects=0)
        assert answer.status == 409, answer.status
        assert "もう一度確認" in await answer.text()
        still = await api(gp, "GET", f"/v1/bookings/{booked[mei.child_id]['id']}", guardian(mei))
        assert still["status"] == "confirmed"
        await other_context.close()

        await page.get_by_role("button", name="変更して、これらのご予約をキャンセルする").click()
        await expect(page.locator("h1")).to_have_text("利用枠と開所時間を変更しました")
        await expect(page.locator("main")).to_contain_text(
            "すべての保護者にメールでお知らせしました"
        )
        await expect(page.locator(".booking-list")).to_contain_text("メイ")
        await check(page, "93-staff-capacity-done")

        gone = await api(gp, "GET", f"/v1/bookings/{booked[mei.child_id]['id']}", guardian(mei))
        assert (gone["status"], gone["cancel_cause"], gone["consumed_minutes"]) == (
            "cancelled",
            "facility",
            0,
        )
        kept = await api(
            gp, "GET", f"/v1/bookings/{booked[haruto.child_id]['id']}", guardian(haruto)
        )
        assert kept["status"] == "confirmed"
        month = NEXT_DAY.strftime("%Y-%m")
        quota = await api(
            gp, "GET", f"/v1/children/{mei.child_id}/quota", guardian(mei), params={"month": month}
        )
        assert (quota["held_minutes"], quota["consumed_minutes"]) == (0, 0)  # hours kept

        async def mailed() -> bool:
            return any("保育士の欠員" in (m.body("plain") or "") for m in gp.mailbox.to(mei.email))

        await eventually(mailed, within=60, what="the cancellation mail to Mei's guardian")

        # The page shows the week from that day on, next to the one in force.
        await page.get_by_role("link", name="利用枠と開所時間に戻る").click()
        later = page.get_by_role("region", name=f"{NEXT_DAY.year}年", exact=False)
        await expect(later.get_by_role("row", name="月曜日")).to_contain_text("1")
        await check(page, "94-staff-capacity-later")
        await page.goto(f"{base}/staff/capacity?lang=en")
        await expect(page.locator("h1")).to_have_text("Places and opening hours")
        await check(page, "95-staff-capacity-en")
        await context.close()

        # A guardian is refused the page.
        parent_context, parent = await phone(browser)
        await set_password_and_log_in(gp, parent, haruto.email)
        await expect(parent.locator("h1")).to_have_text("ホーム")
        response = await parent.goto(f"{base}/staff/capacity")
        assert response is not None
        assert response.status == 403
        await parent_context.close()

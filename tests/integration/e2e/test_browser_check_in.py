"""Issue 5: a real browser at the facility's door, with the whole platform behind it.

Four service processes (``tsuen-<svc> all``) on real Kafka, PostgreSQL and SMTP, as in
``test_journeys``. A Kakegawa family is certified, accepted by a facility and books one hour
for the test clock's "today"; then Debian's Chromium (driven by Playwright) shows the facility's
display page, the 2D code is read from a screenshot of it with zxing-cpp, and the guardian opens
the decoded URL on a phone-sized page, logs in, taps 利用開始登録 and, once the clock has passed
the booked end, 利用終了登録 on a freshly scanned code. Booking's ledger (the child's quota)
then shows the booked hour consumed.
"""

from __future__ import annotations

import io
from typing import Any

import zxingcpp
from PIL import Image
from playwright.async_api import Page, async_playwright

from tests.integration.conftest import eventually
from tests.integration.e2e.conftest import Platform
from tests.integration.e2e.journey import (
    ACCEPTED_MAIL,
    ACCOUNT_MAIL,
    KAKEGAWA,
    Applicant,
    Family,
    apply,
    approve,
    book,
    d,
    day,
    jst,
    ok,
    register_facility,
    register_residents,
    unique_email,
    wait_for_quota,
    wait_until_attendance_knows,
    wait_until_booking_knows,
)
from tsuen_common.auth import Principal, Role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def accepted_at(platform: Platform, family: Family, facility_id: str) -> None:
    """初回面談 asked by the guardian, scheduled and held by the facility, then 受入可."""
    async with platform.client("booking") as booking:
        requested = ok(
            await booking.post(
                "/v1/interviews",
                json={"facility_id": facility_id, "child_id": family.child_id},
                headers=platform.guardian(family.municipality, family.guardian_id),
            ),
            201,
        )
        staff = platform.staff(family.municipality, facility_id)
        ok(
            await booking.post(
                f"/v1/interviews/{requested['id']}/schedule",
                json={"starts_at": d("2027-01-07T10:00:00+09:00")},
                headers=staff,
            )
        )
        ok(
            await booking.post(
                f"/v1/interviews/{requested['id']}/held",
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
    await platform.mailbox.wait_for(family.email, ACCEPTED_MAIL)


async def booking_status(platform: Platform, family: Family, booking_id: str) -> Any:
    async with platform.client("booking") as booking:
        return ok(
            await booking.get(
                f"/v1/bookings/{booking_id}",
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
        )


async def scanned_url(tablet: Page, base: str, facility_id: str) -> str:
    """What the phone's camera reads off the display: the code decoded from a screenshot."""
    shot = await tablet.locator("#code").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert len(decoded) == 1, decoded
    url = str(decoded[0].text)
    assert url.startswith(f"{base}/scan?t=1.{facility_id}.")
    return url


async def test_guardian_checks_in_and_out_in_a_real_browser_and_booking_consumes_the_hour(
    platform: Platform,
) -> None:
    # Tuesday 5 January 2027, 10:00: certification, facility, acceptance.
    platform.set_clock(jst(2027, 1, 5, 10, 0))
    applicant = Applicant(KAKEGAWA, unique_email("mei"), "カケガワ メイ", day(2025, 1, 20))
    await register_residents(platform, applicant)
    await apply(platform, applicant)
    family = await approve(platform, applicant)
    await platform.mailbox.wait_for(family.email, ACCOUNT_MAIL)
    await wait_until_booking_knows(platform, family)
    facility_id = await register_facility(platform, KAKEGAWA, unique_email("browser-en"))
    await accepted_at(platform, family, facility_id)

    # 柔軟利用 for Wednesday 13 January 09:00–10:00, booked the evening before (Kakegawa's
    # deadline is noon one business day before the use).
    platform.set_clock(jst(2027, 1, 12, 19, 0))
    booked = ok(await book(platform, family, facility_id, day(2027, 1, 13), "09:00", "10:00"), 201)
    booking_id = str(booked["id"])
    assert booked["held_minutes"] == 60
    month = d("2027-01")
    await wait_for_quota(
        platform, family, month, held_minutes=60, consumed_minutes=0, remaining_minutes=540
    )

    # The day: the platform's "today" is 13 January, 08:50.
    platform.set_clock(jst(2027, 1, 13, 8, 50))
    await wait_until_attendance_knows(platform, family, facility_id, booking_id)

    base = platform.url("attendance")
    display_token = platform.issuer.mint(
        Principal(
            subject=f"display-{facility_id}",
            role=Role.FACILITY_STAFF,
            municipality=KAKEGAWA,
            facility_id=facility_id,
        )
    )
    guardian_token = platform.issuer.mint(
        Principal(
            subject=family.guardian_id,
            role=Role.GUARDIAN,
            municipality=KAKEGAWA,
            guardian_id=family.guardian_id,
        )
    )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The facility's tablet: opened once with the display token (moved into a cookie).
            tablet = await browser.new_page(viewport={"width": 1024, "height": 768})
            await tablet.goto(
                f"{base}/facilities/{facility_id}/display?access_token={display_token}"
            )
            assert tablet.url == f"{base}/facilities/{facility_id}/display"
            assert "ひまわり保育園" in await tablet.content()
            url = await scanned_url(tablet, base, facility_id)

            # The guardian's phone: opens the decoded URL, logs in, taps 利用開始登録.
            phone = await browser.new_page(viewport={"width": 390, "height": 844})
            await phone.goto(url)
            assert "/login" in phone.url
            await phone.fill("textarea[name=token]", guardian_token)
            await phone.click("button[type=submit]")
            await phone.wait_for_url(url)
            card = phone.locator(f'[data-booking-id="{booking_id}"]')
            await card.get_by_role("button", name="利用開始登録").click()
            await phone.wait_for_selector("#result")
            assert await phone.locator("#result").get_attribute("data-code") == "check_in"
            assert "利用開始を登録しました" in await phone.locator("#result").inner_text()

            # Booking hears of the arrival (CheckedIn over Kafka); nothing is consumed yet.
            async def in_use() -> bool:
                return (await booking_status(platform, family, booking_id))["status"] == "in_use"

            await eventually(in_use, within=60, what="booking to consume CheckedIn")
            await wait_for_quota(platform, family, month, held_minutes=60, consumed_minutes=0)

            # Pickup just after the booked end (10:00; on time, under 10 minutes late). The
            # tablet shows the code of the new time; the guardian scans it and taps 利用終了登録.
            platform.set_clock(jst(2027, 1, 13, 10, 2))
            await tablet.reload()
            url = await scanned_url(tablet, base, facility_id)
            await phone.goto(url)
            assert phone.url == url  # still logged in (session cookie)
            card = phone.locator(f'[data-booking-id="{booking_id}"]')
            await card.get_by_role("button", name="利用終了登録").click()
            await phone.wait_for_selector("#result")
            assert await phone.locator("#result").get_attribute("data-code") == "check_out"
            result = await phone.locator("#result").inner_text()
            assert "利用終了を登録しました" in result
            assert "追加で算定" not in result  # not a late pickup
        finally:
            await browser.close()

    # The ledger: the booked hour moved from held to consumed (CheckedOut over Kafka).
    settled = await wait_for_quota(
        platform, family, month, held_minutes=0, consumed_minutes=60, remaining_minutes=540
    )
    assert settled.get("over_cap_minutes", 0) == 0
    used = await booking_status(platform, family, booking_id)
    assert (used["status"], used["consumed_minutes"], used["penalty_minutes"]) == ("used", 60, 0)

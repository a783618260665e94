"""A real browser at the facility's door: Debian's Chromium (driven by Playwright) shows the
facility display page served by a real uvicorn, the code is read from a screenshot with
zxing-cpp, and a guardian opens the decoded URL, logs in and taps 利用開始登録."""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import uvicorn
import zxingcpp
from fastapi import FastAPI
from PIL import Image
from playwright.async_api import async_playwright

from tests.integration.attendance.harness import CHIYODA, attendance_stack, new_booking
from tests.integration.conftest import eventually
from tests.integration.testbed import free_port
from tsuen_common.auth import Principal, Role
from tsuen_common.events.attendance import CheckedIn
from tsuen_common.timeutil import JST, now_jst

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


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="uvicorn to listen")
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def test_guardian_checks_in_by_scanning_the_display_in_a_real_browser(
    kafka, topic_prefix, new_database, capsys
):
    # Real time throughout: the page, the code and the check-in all use the wall clock.
    now = now_jst()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    facility = uuid.uuid4()
    booking = new_booking(
        facility, max(midnight, now - timedelta(minutes=5)), now + timedelta(hours=1)
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Short steps so the test sees the display replace its code; four grace steps leave the
    # guardian 20-25 s from screenshot to tap on a busy machine.
    async with attendance_stack(
        kafka.bootstrap_servers,
        topic_prefix,
        await new_database("attendance"),
        code_step_seconds=5,
        code_grace_steps=4,
    ) as stack:
        stack.service.public_base_url = base
        await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        staff_token = stack.token_for(
            Principal(
                subject=f"display-{facility}",
                role=Role.FACILITY_STAFF,
                municipality=CHIYODA,
                facility_id=str(facility),
            )
        )
        guardian_token = stack.token_for(
            Principal(
                subject=str(booking.guardian_id),
                role=Role.GUARDIAN,
                municipality=CHIYODA,
                guardian_id=str(booking.guardian_id),
            )
        )
        async with served(stack.app, port), async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                # The tablet: opened once with the display token, which moves into a cookie.
                tablet = await browser.new_page(viewport={"width": 1024, "height": 768})
                await tablet.goto(
                    f"{base}/facilities/{facility}/display?access_token={staff_token}"
                )
                assert tablet.url == f"{base}/facilities/{facility}/display"
                # uvicorn's access log has the line, and the shared log redaction masked it.
                logged = capsys.readouterr().out
                assert f"/facilities/{facility}/display?access_token=***" in logged
                assert staff_token not in logged
                assert staff_token.split(".")[2] not in logged
                first_step = await tablet.locator("#code").get_attribute("data-step")
                shot = await tablet.locator("#code").screenshot()
                decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
                assert len(decoded) == 1
                url = decoded[0].text
                assert url.startswith(f"{base}/scan?t=1.{facility}.")

                # The guardian's phone: opens the URL, logs in, taps the button.
                phone = await browser.new_page(viewport={"width": 390, "height": 844})
                await phone.goto(url)
                assert "/login" in phone.url
                await phone.fill("textarea[name=token]", guardian_token)
                await phone.click("button[type=submit]")
                await phone.wait_for_url(url)
                await phone.get_by_role("button", name="利用開始登録").click()
                await phone.wait_for_selector("#result")
                assert await phone.locator("#result").get_attribute("data-code") == "check_in"
                assert "利用開始を登録しました" in await phone.locator("#result").inner_text()

                # The guardian's home now says 利用中.
                await phone.goto(f"{base}/home")
                assert "利用中" in await phone.locator(".status").inner_text()

                # Meanwhile the tablet has replaced its code by itself (before the step ended).
                await tablet.wait_for_function(
                    "step => document.getElementById('code').dataset.step !== step",
                    arg=first_step,
                    timeout=20_000,
                )
            finally:
                await browser.close()

        async def checked_in_published() -> bool:
            return bool(stack.reader.of(CheckedIn, booking.booking_id))

        await eventually(checked_in_published, what="CheckedIn on the attendance topic")
        event = stack.reader.of(CheckedIn, booking.booking_id)[0]
        assert isinstance(event, CheckedIn)
        assert event.registered_by_staff is None
        assert event.facility_id == facility
        assert event.checked_in_at.astimezone(JST).date() == booking.starts_at.date()

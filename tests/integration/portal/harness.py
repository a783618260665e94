"""The portal as operators run it (``tsuen-portal all --migrate``, its own database), and a
phone-sized Chromium that checks every page it shows with axe-core and keeps a screenshot.

Reuses the end-to-end platform's process helpers (tests/integration/e2e/conftest.py) and the
project's Chromium launch settings (Debian's browser, no downloads, no sandbox as root)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.integration import testbed
from tests.integration.e2e.conftest import (
    ServiceProcess,
    _base_env,
    _create_database,
    start_service,
    wait_healthy,
)
from tests.integration.e2e.test_browser_check_in import CHROMIUM, CHROMIUM_ARGS

SCREENSHOTS = Path(__file__).with_name("screenshots")
PHONE = {"width": 390, "height": 844}
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens

_axe = Axe()


@dataclass
class PortalProcess:
    service: ServiceProcess
    database: str
    env: dict[str, str]  # what an operator command (tsuen-portal purge-sessions) needs


async def start_portal(
    postgres: testbed.PostgresHandle,
    workdir: Path,
    port: int,
    *,
    identity_url: str = UNREACHABLE,
    eligibility_url: str = UNREACHABLE,
    booking_url: str = UNREACHABLE,
    extra_env: dict[str, str] | None = None,
) -> PortalProcess:
    """A portal process on 127.0.0.1:``port`` with a fresh database (drop it when done)."""
    portal = await launch_portal(
        postgres,
        workdir,
        port,
        identity_url=identity_url,
        eligibility_url=eligibility_url,
        booking_url=booking_url,
        extra_env=extra_env,
    )
    try:
        await wait_healthy([portal.service], within=60)
    except BaseException:
        portal.service.stop()
        raise
    return portal


async def launch_portal(
    postgres: testbed.PostgresHandle,
    workdir: Path,
    port: int,
    *,
    identity_url: str = UNREACHABLE,
    eligibility_url: str = UNREACHABLE,
    booking_url: str = UNREACHABLE,
    extra_env: dict[str, str] | None = None,
) -> PortalProcess:
    """As :func:`start_portal` but returns as soon as the process runs, so that a platform
    starts it together with the services it calls (it needs only their addresses)."""
    db_name, url = await _create_database(postgres, "portal")
    env = {
        **_base_env(),
        "TSUEN_ENVIRONMENT": "test",
        "TSUEN_DATABASE_URL": url,
        "TSUEN_PORTAL_IDENTITY_URL": identity_url,
        "TSUEN_PORTAL_ELIGIBILITY_URL": eligibility_url,
        "TSUEN_PORTAL_BOOKING_URL": booking_url,
        **(extra_env or {}),
    }
    portal = start_service(
        "portal",
        ("all", "--migrate", "--host", testbed.HOST),
        {**env, "TSUEN_HTTP_PORT": str(port)},
        port,
        workdir,
    )
    return PortalProcess(portal, db_name, env)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def phone(browser: Browser) -> tuple[BrowserContext, Page]:
    """A new phone: its own cookies, 390×844, Japanese as the phone's language."""
    context = await browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=1)
    return context, await context.new_page()


# Elements a finger must hit: WCAG 2.2's 24 px is the floor; the portal promises 44 px.
_TOO_SMALL = """
() => [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, .button, .header-link, .site-name'
  )].filter(e => e.offsetParent !== null)
   .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
   .filter(([, r]) => r.height < 44 || r.width < 44)
   .map(([html, r]) => `${html} ${Math.round(r.width)}×${Math.round(r.height)}`)
"""


async def check(page: Page, name: str) -> None:
    """axe-core on the page as it is now (no violation allowed), touch targets ≥ 44 px, no
    horizontal scrolling at phone width, and a full-page screenshot for a person to look at."""
    results = await _axe.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    too_small = await page.evaluate(_TOO_SMALL)
    assert too_small == [], f"{name}: touch targets under 44 px: {too_small}"
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at phone width"
    await page.screenshot(path=str(screenshot_path(name)), full_page=True)


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def csrf_field(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]

"""Issue 15's keyboard-only and no-JavaScript checks of three guardian pages, against the real
services (one platform for the module): the application form from the link mail (every field,
the radio groups with the 医療的ケア question, the file input), お子さんの情報登録 and the
scan page (利用開始/利用終了).

With the keyboard alone (Tab, Shift+Tab, Enter, Space; the arrow keys only inside a radio group
or a <select>, as a keyboard user does): every control is reached, in the order it is seen on
the phone, Shift+Tab walks the same way back, and the focused element always shows the portal's
focus indicator (a solid outline of 2 px or more, or a box-shadow). After a bad submit the
error summary has the focus and each of its links moves the focus to its field (WCAG 3.3.1,
2.4.3). And each page can be completed in a browser with JavaScript turned off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    ViewportSize,
    expect,
)

from tests.integration import testbed
from tests.integration.e2e.journey import (
    KAKEGAWA,
    Applicant,
    Family,
    link_token_from_mail,
    ok,
    register_facility,
    register_residents,
    unique_email,
    wait_until_booking_knows,
)
from tests.integration.portal.harness import PHONE, check, chromium, phone, screenshot_path
from tests.integration.portal.platform import GuardianPlatform, guardian_platform
from tests.integration.portal.test_apply_pages import PNG, fill_application
from tests.integration.portal.test_facility_pages import _choose, log_in
from tests.integration.portal.test_guardian_journey import (
    certified_family,
    eligible_birth,
    keyboard_to,
)
from tests.integration.portal.test_scan_pages import (
    code_url,
    met_and_accepted_after_request,
    sign_in_again,
)
from tests.integration.portal.test_staff_screens import DAY, api, at, roster_lines

SUBMIT = "main form button[type=submit]"  # not the header's ログアウト
DOCTORS_LETTER = FilePayload(name="shijisho.png", mimeType="image/png", buffer=PNG)


@pytest.fixture(scope="module")
async def keyboard(
    kafka: testbed.KafkaHandle,
    postgres: testbed.PostgresHandle,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[GuardianPlatform]:
    """Attendance too (the scan page), on the clock of the staff and scan tests' day."""
    async with guardian_platform(
        kafka, postgres, tmp_path_factory.mktemp("keyboard"), attendance=True, clock=at(8, 0)
    ) as gp:
        yield gp


# What has the focus, where it is on the page and how its focus is drawn. A radio group is one
# stop for Tab (its checked button), so radios are keyed by their group's name.
_FOCUSED = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const key = e.type === 'radio' ? `radio:${e.name}`
    : e.id || `${e.tagName.toLowerCase()}:${e.getAttribute('href') || e.textContent.trim()}`;
  return {
    key,
    html: e.outerHTML.slice(0, 100),
    outline: s.outlineStyle === 'solid' && parseFloat(s.outlineWidth) >= 2,
    shadow: s.boxShadow !== 'none',
    top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right,
    onScreen: r.bottom > 0 && r.top < innerHeight && r.width > 0 && r.height > 0,
  };
}
"""

# Every control a keyboard user must reach in a form, keyed as _FOCUSED keys them.
_CONTROLS = """
(selector) => [...document.querySelector(selector).elements]
  .filter(e => e.matches('input:not([type=hidden]), select, textarea, button'))
  .filter(e => !e.disabled && e.offsetParent !== null)
  .map(e => e.type === 'radio' ? `radio:${e.name}` : e.id
    || `${e.tagName.toLowerCase()}:${e.textContent.trim()}`)
"""


# Where each of the error summary's links leads, down the page (None: a link to nothing).
_SUMMARY_TARGETS = """
() => [...document.querySelectorAll('.error-summary a')].map(a => {
  const target = document.getElementById(decodeURIComponent(a.hash.slice(1)));
  return target ? Math.round(target.getBoundingClientRect().top + scrollY) : null;
})
"""


async def assert_summary_in_page_order(page: Page) -> None:
    """The summary lists the problems in the order their fields come on the page."""
    tops = await page.evaluate(_SUMMARY_TARGETS)
    assert tops, "no links in the error summary"
    assert None not in tops, f"a summary link leads nowhere: {tops}"
    assert tops == sorted(tops), f"the summary's order is not the page's: {tops}"


async def focused(page: Page) -> dict[str, Any]:
    now = await page.evaluate(_FOCUSED)
    assert now is not None, "the focus is nowhere (on the body)"
    return dict(now)


def assert_focus_visible(stop: dict[str, Any]) -> None:
    assert stop["outline"] or stop["shadow"], f"no visible focus indicator on {stop['html']}"
    assert stop["onScreen"], f"the focused element is off screen: {stop['html']}"


async def tab_walk(page: Page, until: str, *, limit: int = 150) -> list[dict[str, Any]]:
    """Tab from the top of the page to ``until``, every stop checked for a visible focus;
    the stops in order (a date field's year/month/day segments are one stop)."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        stop = await focused(page)
        assert_focus_visible(stop)
        if not stops or stops[-1]["key"] != stop["key"]:
            stops.append(stop)
        if await page.evaluate(f"document.activeElement.matches({until!r})"):
            return stops
    raise AssertionError(f"{until} not reached with Tab: {[s['key'] for s in stops]}")


async def shift_tab_walk(page: Page, back_to: str, *, limit: int = 150) -> list[str]:
    """Shift+Tab from where the focus is until the element keyed ``back_to`` has it."""
    keys = [(await focused(page))["key"]]
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab")
        stop = await focused(page)
        assert_focus_visible(stop)
        if keys[-1] != stop["key"]:
            keys.append(stop["key"])
        if stop["key"] == back_to:
            return keys
    raise AssertionError(f"{back_to} not reached with Shift+Tab: {keys}")


def assert_visual_order(stops: list[dict[str, Any]]) -> None:
    """Each stop is below the one before, or beside it on the same line to its right. The skip
    link comes first and is drawn over the header when focused: it is left out."""
    shown = [s for s in stops if "skip-link" not in s["html"]]
    for before, after in pairwise(shown):
        below = after["top"] >= before["bottom"] - 1
        same_line = after["top"] < before["bottom"] and before["top"] < after["bottom"]
        assert below or (same_line and after["left"] >= before["right"] - 1), (
            f"focus jumps against the visual order: {before['html']} → {after['html']}"
        )


async def walk_the_form(page: Page, form: str) -> list[dict[str, Any]]:
    """From the top: every control of ``form`` reached by Tab in the visual order, and Shift+Tab
    goes back the same way. Ends with the focus on the form's submit button."""
    await page.evaluate("window.scrollTo(0, 0)")
    stops = await tab_walk(page, f"{form} button[type=submit]")
    assert_visual_order(stops)
    keys = [s["key"] for s in stops]
    missing = [c for c in await page.evaluate(_CONTROLS, form) if c not in keys]
    assert missing == [], f"not reachable with Tab: {missing}"
    back = await shift_tab_walk(page, keys[0])
    assert back == keys[::-1], f"Shift+Tab does not retrace Tab:\n{keys}\n{back[::-1]}"
    await keyboard_to(page, f"{form} button[type=submit]", limit=len(stops) + 30)
    return stops


async def type_into(page: Page, selector: str, text: str) -> None:
    await keyboard_to(page, selector, limit=40)
    await page.keyboard.type(text)


async def type_date(page: Page, selector: str, iso: str) -> None:
    """A date field by the keyboard: Debian's Chromium orders its segments month, day, year."""
    year, month, day = iso.split("-")
    await type_into(page, selector, f"{month}{day}{year}")
    assert await page.locator(selector).input_value() == iso, f"{selector}: typed {iso}"


async def no_js_phone(browser: Browser) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        viewport=ViewportSize(width=PHONE["width"], height=PHONE["height"]),
        locale="ja-JP",
        device_scale_factor=1,
        java_script_enabled=False,
    )
    return context, await context.new_page()


async def application_link(gp: GuardianPlatform, who: str, kana: str) -> tuple[str, str]:
    """A resident's application link from the mail, on this portal; and the e-mail address."""
    email = unique_email(who)
    await register_residents(gp.platform, Applicant(KAKEGAWA, email, kana, eligible_birth()))
    token = await link_token_from_mail(gp.platform, KAKEGAWA, email)
    return f"{gp.portal.url}/apply?municipality={KAKEGAWA}&token={token}", email


async def filed(gp: GuardianPlatform, reference: str) -> dict[str, Any]:
    async with gp.platform.client("eligibility") as eligibility:
        return dict(
            ok(
                await eligibility.get(
                    f"/v1/municipalities/{KAKEGAWA}/applications/{reference}",
                    headers=gp.platform.officer(KAKEGAWA),
                )
            )
        )


async def test_the_application_form_by_the_keyboard_alone(keyboard: GuardianPlatform) -> None:
    gp = keyboard
    link, _email = await application_link(gp, "kb-apply", "カケガワ ヒナタ")
    form = "form[action='/apply/confirm']"
    async with chromium() as browser:
        context, page = await phone(browser)
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("利用申請")
        stops = [s["key"] for s in await walk_the_form(page, form)]
        for control in ("radio:sc_present", "radio:sc_medical", "attachments", "consent_share"):
            assert control in stops

        # Sent empty with Enter: the summary has the focus, and its links move it to the field.
        await page.keyboard.press("Enter")
        summary = page.locator(".error-summary")
        await expect(summary).to_be_focused()
        assert_focus_visible(await focused(page))
        await check(page, "kb-01-apply-errors-focused")
        await assert_summary_in_page_order(page)
        await keyboard_to(page, '.error-summary a[href="#consent_terms"]', limit=30)
        await page.keyboard.press("Enter")
        await expect(page.locator("#consent_terms")).to_be_focused()
        assert_focus_visible(await focused(page))
        await page.keyboard.press("Space")
        await expect(page.locator("#consent_terms")).to_be_checked()
        await shift_tab_walk(page, "a:#guardian_name")
        await page.keyboard.press("Enter")
        await expect(page.locator("#guardian_name")).to_be_focused()

        # Filled in from there on, in the form's order.
        await page.keyboard.type("掛川 花子")
        await type_into(page, "#guardian_kana", "カケガワ ハナコ")
        await type_date(page, "#guardian_birth_date", "1992-05-01")
        assert_focus_visible(await focused(page))  # the date field draws the ring too
        await page.screenshot(path=str(screenshot_path("kb-01a-apply-date-focused")))
        await type_into(page, "#guardian_address", "静岡県掛川市長谷1-1-1")
        await type_into(page, "#guardian_phone", "0537-21-1111")
        await _choose(page, "#guardian_gender", "female")
        await type_into(page, "#guardian_relationship", "母")
        await type_into(page, "#child_name", "掛川 ひなた")
        await type_into(page, "#child_kana", "カケガワ ヒナタ")
        await type_date(page, "#child_birth_date", eligible_birth().isoformat())
        await type_into(page, "#child_relationship", "長女")
        # The radio groups: Tab stops on the checked answer, the arrow key moves to はい.
        await keyboard_to(page, 'input[name="sc_present"]')
        await page.keyboard.press("ArrowRight")
        await expect(page.locator("#sc_present-yes")).to_be_checked()
        await keyboard_to(page, 'input[name="sc_medical"]')
        await page.keyboard.press("ArrowRight")
        await expect(page.locator("#sc_medical-yes")).to_be_checked()
        assert_focus_visible(await focused(page))
        await type_into(page, "#sc_content", "食後にたんの吸引が必要です")
        assert_focus_visible(await focused(page))  # and a textarea
        await page.screenshot(path=str(screenshot_path("kb-01b-apply-textarea-focused")))
        await type_into(page, "#sc_care", "たんの吸引")
        await type_into(page, "#proxy_0_name", "掛川 和子")
        await type_into(page, "#proxy_0_kana", "カケガワ カズコ")
        await type_into(page, "#proxy_0_relationship", "祖母")
        # The file input opens the phone's chooser with Space.
        await keyboard_to(page, "#attachments", limit=40)
        async with page.expect_file_chooser() as chooser:
            await page.keyboard.press("Space")
        await (await chooser.value).set_files(files=[DOCTORS_LETTER])
        for consent in ("#consent_personal_data", "#consent_share"):
            await keyboard_to(page, consent)
            await page.keyboard.press("Space")
        await keyboard_to(page, f"{form} button[type=submit]")
        await page.keyboard.press("Enter")

        # 入力内容の確認: 修正する and 送信する in order, then sent with Enter.
        await expect(page.locator("h1")).to_have_text("入力内容の確認")
        main = page.locator("main")
        await expect(main).to_contain_text("食後にたんの吸引が必要です")
        await expect(main).to_contain_text("shijisho.png")
        stops = await tab_walk(page, "form[action='/apply/send'] button[formaction]")
        assert_visual_order(stops)
        assert "送信する" in stops[-2]["html"]
        await page.keyboard.press("Shift+Tab")
        assert "送信する" in (await focused(page))["html"]
        await check(page, "kb-02-apply-confirm-focused")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("申請を受け付けました")
        await check(page, "kb-03-apply-receipt")
        reference = (await page.locator(".reference").inner_text()).strip()
        await context.close()

    application = await filed(gp, reference)
    answers = application["form"]
    assert answers["special_considerations"]["medical_care"] is True
    assert answers["special_considerations"]["required_care"] == "たんの吸引"
    assert answers["consents"] == {
        "terms": True,
        "personal_data": True,
        "share_with_facility": True,
    }
    assert len(application["attachments"]) == 1


async def test_the_childs_details_by_the_keyboard_alone(keyboard: GuardianPlatform) -> None:
    gp = keyboard
    family = await certified_family(gp, "kb-child", "カケガワ ミオ")
    form = f"form[action='/children/{family.child_id}/record']"
    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)
        await page.goto(f"{gp.portal.url}/children/{family.child_id}/record")
        await expect(page.locator("h1")).to_have_text("お子さんの情報")
        stops = [s["key"] for s in await walk_the_form(page, form)]
        for control in ("allergies", "radio:medical_care", "ec_0_phone", "pu_1_phone"):
            assert control in stops

        # Saved without an emergency contact: the summary has the focus, its link the field.
        await page.keyboard.press("Enter")
        await expect(page.locator(".error-summary")).to_be_focused()
        assert_focus_visible(await focused(page))
        await check(page, "kb-04-child-errors-focused")
        await assert_summary_in_page_order(page)
        await keyboard_to(page, '.error-summary a[href="#ec_0_name"]')
        await page.keyboard.press("Enter")
        await expect(page.locator("#ec_0_name")).to_be_focused()
        await page.keyboard.type("掛川 花子")
        await type_into(page, "#ec_0_relation", "母")
        await type_into(page, "#ec_0_phone", "090-1234-5678")
        # Back up with Shift+Tab to the 医療的ケア question: はい, and what is needed.
        await shift_tab_walk(page, "radio:medical_care")
        await page.keyboard.press("ArrowRight")
        await expect(page.locator("#medical_care-yes")).to_be_checked()
        await type_into(page, "#medical_care_notes", "食後のたんの吸引")
        await keyboard_to(page, f"{form} button[type=submit]", limit=40)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("保存しました")
        await expect(page.locator("#medical_care-yes")).to_be_checked()
        await expect(page.locator("#medical_care_notes")).to_have_value("食後のたんの吸引")
        await expect(page.locator("#ec_0_phone")).to_have_value("090-1234-5678")
        await check(page, "kb-05-child-saved")
        await context.close()


async def met_and_accepted_now(gp: GuardianPlatform, family: Family, facility_id: str) -> None:
    """The guardian asks for the 初回面談; the facility fixes it half an hour from the platform's
    clock, holds it and accepts the child (test_scan_pages' ``met_and_accepted`` fixes 08:30,
    past for a later test)."""
    who = gp.platform.guardian(family.municipality, family.guardian_id)
    await api(
        gp,
        "POST",
        "/v1/interviews",
        who,
        json={"facility_id": facility_id, "child_id": family.child_id},
    )
    await met_and_accepted_after_request(gp, family, facility_id)


async def booked_today(
    gp: GuardianPlatform, who: str, kana: str, start: str, end: str
) -> tuple[Family, str]:
    """A family accepted at a new facility with a booking today; attendance knows it."""
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email(f"{who}-en"))
    family = await certified_family(gp, who, kana)
    await wait_until_booking_knows(gp.platform, family)
    await met_and_accepted_now(gp, family, facility_id)
    await api(
        gp,
        "POST",
        "/v1/bookings",
        gp.platform.guardian(family.municipality, family.guardian_id),
        json={
            "facility_id": facility_id,
            "child_id": family.child_id,
            "use_date": DAY.isoformat(),
            "start": start,
            "end": end,
            "kind": "flexible",
        },
    )
    await roster_lines(gp, facility_id, 1)
    return family, facility_id


async def test_the_scan_page_by_the_keyboard_alone(keyboard: GuardianPlatform) -> None:
    gp = keyboard
    family, facility_id = await booked_today(gp, "kb-scan", "カケガワ レン", "09:00", "10:00")
    gp.platform.set_clock(at(8, 50))
    async with chromium() as browser:
        context, page = await phone(browser)
        await log_in(gp, page, family)
        await page.goto(await code_url(gp, facility_id))
        await expect(page.locator("h1")).to_have_text("利用開始・終了")
        stops = await tab_walk(page, SUBMIT)
        assert_visual_order(stops)
        assert "利用開始" in stops[-1]["html"]
        await check(page, "kb-06-scan-start-focused")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("利用を開始しました")
        await expect(page.locator(".notice--success")).to_contain_text("利用開始 08:50")

        # A forged code: the refusal has the focus (its heading is the page's h1).
        await page.goto(f"{gp.portal.url}/scan?t=not-a-real-code")
        await expect(page.locator(".error-summary")).to_be_focused()
        assert_focus_visible(await focused(page))
        await check(page, "kb-07-scan-refused-focused")

        # At pickup, a fresh code: Space on 利用終了（お迎え）.
        gp.platform.set_clock(at(9, 10))
        await page.goto(await code_url(gp, facility_id))
        await keyboard_to(page, SUBMIT)
        assert "利用終了" in (await focused(page))["html"]
        await page.keyboard.press("Space")
        await expect(page.locator("h1")).to_have_text("利用を終了しました")
        await expect(page.locator(".notice--success")).to_contain_text("利用終了 09:10")
        await keyboard_to(page, "main a[href='/visits']")
        assert_focus_visible(await focused(page))
        await check(page, "kb-08-scan-ended")
        await context.close()


async def test_the_three_pages_work_without_javascript(keyboard: GuardianPlatform) -> None:
    """The application form (errors, confirmation, receipt, a file), お子さんの情報 and the
    scan page, completed in a phone whose browser runs no script at all. (axe-core is a script:
    the same pages are checked by it in the tests above; here they are only photographed.)"""
    gp = keyboard
    link, _email = await application_link(gp, "nojs-apply", "カケガワ アオイ")
    family, facility_id = await booked_today(gp, "nojs-scan", "カケガワ ユウ", "10:00", "11:00")
    async with chromium() as browser:
        context, page = await no_js_phone(browser)

        await page.goto(link)
        await page.get_by_role("button", name="入力内容の確認").click()
        await expect(page.locator(".error-summary")).to_be_focused()  # autofocus: no script
        await fill_application(page, eligible_birth().isoformat())
        await page.fill("#child_kana", "カケガワ アオイ")
        await page.check("#sc_medical-yes")
        await page.set_input_files("#attachments", files=[DOCTORS_LETTER])
        await page.get_by_role("button", name="入力内容の確認").click()
        await expect(page.locator("h1")).to_have_text("入力内容の確認")
        await page.get_by_role("button", name="送信する").click()
        await expect(page.locator("h1")).to_have_text("申請を受け付けました")
        await page.screenshot(path=str(screenshot_path("kb-09-nojs-apply-receipt")), full_page=True)
        reference = (await page.locator(".reference").inner_text()).strip()
        application = await filed(gp, reference)
        assert application["form"]["special_considerations"]["medical_care"] is True
        assert len(application["attachments"]) == 1

        await log_in(gp, page, family)
        await page.get_by_role("link", name="お子さんの情報を登録する").click()
        await page.get_by_role("button", name="保存する").click()
        await expect(page.locator(".error-summary")).to_be_focused()
        await page.check("#medical_care-yes")
        await page.fill("#medical_care_notes", "経管栄養")
        await page.fill("#ec_0_name", "掛川 太郎")
        await page.fill("#ec_0_relation", "父")
        await page.fill("#ec_0_phone", "090-8765-4321")
        await page.get_by_role("button", name="保存する").click()
        await expect(page.get_by_role("status")).to_contain_text("保存しました")
        await expect(page.locator("#medical_care_notes")).to_have_value("経管栄養")
        await page.screenshot(path=str(screenshot_path("kb-10-nojs-child-saved")), full_page=True)

        gp.platform.set_clock(at(9, 55))
        await sign_in_again(gp, page, family.email)
        await page.goto(await code_url(gp, facility_id))
        await page.get_by_role("button", name="利用開始").click()
        await expect(page.locator(".notice--success")).to_contain_text("利用開始 09:55")
        gp.platform.set_clock(at(10, 15))
        await page.goto(await code_url(gp, facility_id))
        await page.get_by_role("button", name="利用終了（お迎え）").click()
        await expect(page.locator(".notice--success")).to_contain_text("利用終了 10:15")
        await page.screenshot(path=str(screenshot_path("kb-11-nojs-scan-ended")), full_page=True)
        await context.close()

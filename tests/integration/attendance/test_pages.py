"""The HTML pages' answers to people who are not where they should be: no login, someone
else's facility, an old code. Each gets a page that says what to do, never a 500."""

from __future__ import annotations

import re
import uuid
from datetime import date

from tests.integration.attendance.harness import CHIYODA, Clock, attendance_stack, jst, new_booking
from tests.integration.conftest import eventually
from tsuen_attendance.entrypoints.deps import SESSION_COOKIE
from tsuen_common.auth import Principal, Role

DAY = date(2026, 11, 24)


async def login_csrf(client) -> str:
    """The login form's CSRF value, as the browser gets it (form field + cookie)."""
    page = await client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_pages_guide_people_who_cannot_continue(kafka, topic_prefix, new_database):
    clock = Clock(jst(DAY, 9, 0))
    facility = uuid.uuid4()
    booking = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        client = stack.client
        code = await stack.code(facility)

        # Not logged in: to the login page, and back to the scanned URL afterwards.
        response = await client.get("/scan", params={"t": code})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fscan%3Ft%3D")
        # Login CSRF: a post that did not come from our login page is refused, token or not.
        forged = await client.post("/login", content="token=nonsense&next=/home")
        assert forged.status_code == 403
        assert SESSION_COOKIE not in forged.cookies
        bad_login = await client.post(
            "/login", content=f"token=nonsense&next=/home&csrf={await login_csrf(client)}"
        )
        assert bad_login.status_code == 401
        assert "トークンが無効" in bad_login.text
        # An open redirect is not offered to a phishing link.
        guardian_jwt = stack.token_for(
            Principal(
                subject="g",
                role=Role.GUARDIAN,
                municipality=CHIYODA,
                guardian_id=str(booking.guardian_id),
            )
        )
        login = await client.post(
            "/login",
            content=f"token={guardian_jwt}&next=//evil.example/x&csrf={await login_csrf(client)}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert (login.status_code, login.headers["location"]) == (303, "/home")
        assert SESSION_COOKIE in login.cookies  # the client keeps it from here on

        page = await client.get("/scan", params={"t": code})
        assert page.status_code == 200
        assert "利用開始登録" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "かんだ保育園" in page.text

        clock.at = jst(DAY, 9, 5)  # the code has aged past its grace step
        stale = await client.post(
            "/scan/check-in",
            content=f"t={code}&booking_id={booking.booking_id}",
        )
        assert stale.status_code == 400
        assert "有効期限が切れています" in stale.text
        broken = await client.post("/scan/check-in", content="t=x&booking_id=y")
        assert broken.status_code == 400

        # The display of another facility is not shown to this facility's staff.
        staff_jwt = stack.token_for(
            Principal(
                subject="staff",
                role=Role.FACILITY_STAFF,
                municipality=CHIYODA,
                facility_id=str(uuid.uuid4()),
            )
        )
        home = await client.get("/home")
        assert "予約済" in home.text

        client.cookies.set(SESSION_COOKIE, staff_jwt)
        foreign = await client.get(f"/facilities/{facility}/display")
        assert foreign.status_code == 404
        assert "権限がありません" in foreign.text
        client.cookies.clear()
        anonymous = await client.get(f"/facilities/{facility}/display")
        assert anonymous.status_code == 303
        # A forged token in the display URL never becomes a session.
        forged_display = await client.get(
            f"/facilities/{facility}/display", params={"access_token": "not.a.token"}
        )
        assert forged_display.status_code == 401
        assert SESSION_COOKIE not in forged_display.cookies


async def test_staff_register_from_the_roster_page(kafka, topic_prefix, new_database):
    clock = Clock(jst(DAY, 9, 10))
    facility = uuid.uuid4()
    booking = new_booking(facility, jst(DAY, 9), jst(DAY, 12))
    async with attendance_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("attendance"), clock
    ) as stack:
        await stack.publish_booking_event(booking.confirmed(), CHIYODA)
        await eventually(
            lambda: stack.projected(booking.booking_id, booking.guardian_id),
            what="the booking in attendance's projection",
        )
        client = stack.client
        client.cookies.set(
            SESSION_COOKIE,
            stack.token_for(
                Principal(
                    subject="staff-sato",
                    role=Role.FACILITY_STAFF,
                    municipality=CHIYODA,
                    facility_id=str(facility),
                )
            ),
        )
        page = await client.get(f"/facilities/{facility}/roster")
        assert page.status_code == 200
        assert "代理で利用開始登録" in page.text
        assert "神田 太郎" in page.text  # the roster names the child (issue 13)
        assert '<b data-count="expected">1</b>' in page.text

        done = await client.post(
            f"/facilities/{facility}/roster",
            content=f"booking_id={booking.booking_id}&action=check_in",
        )
        assert done.status_code == 200
        assert "利用開始を代理登録しました" in done.text
        assert "職員 staff-sato が代理登録" in done.text
        assert '<b data-count="arrived">1</b>' in done.text

        clock.at = jst(DAY, 12, 30)
        late = await client.get(f"/facilities/{facility}/roster")
        assert '<b data-count="late">1</b>' in late.text
        unknown = await client.post(
            f"/facilities/{facility}/roster",
            content=f"booking_id={uuid.uuid4()}&action=check_out",
        )
        assert unknown.status_code == 409
        assert "予約が見つかりません" in unknown.text

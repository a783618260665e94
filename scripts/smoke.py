"""Smoke test of a running compose stack (scripts/smoke.sh starts one): a family applies, is
certified, sets its password from the account mail and logs in to the portal, is accepted by a
demo facility, books an hour, and the booking e-mail reaches the mail catcher. Everything over
HTTP on 127.0.0.1, as a guardian (in the portal and with identity's token), an officer and
staff would.

    uv run python scripts/smoke.py      # exit 0 when the whole path works
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.calendar import BusinessCalendar
from tsuen_common.timeutil import today_jst

ROOT = Path(__file__).resolve().parent.parent
KAKEGAWA = "222135"
FACILITY = "7a1c0e52-1f0b-4a53-9d6c-000000000201"  # かけがわ中央保育園 (deploy/demo/demo.yaml)
URL = {
    s: f"http://127.0.0.1:{p}"
    for s, p in {
        "eligibility": 8001,
        "booking": 8002,
        "attendance": 8003,
        "notification": 8004,
        "identity": 8005,
        "portal": 8006,
    }.items()
}
CATCHER = "http://127.0.0.1:8025"

issuer = TokenIssuer(algorithm="HS256", key=(ROOT / ".tsuen/dev-jwt-secret").read_text().strip())


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.mint(principal)}"}


OFFICER = bearer(
    Principal(subject="smoke-officer", role=Role.MUNICIPALITY_OFFICER, municipality=KAKEGAWA)
)
STAFF = bearer(
    Principal(
        subject="smoke-staff", role=Role.FACILITY_STAFF, municipality=KAKEGAWA, facility_id=FACILITY
    )
)


def step(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        sys.exit(
            f"smoke FAILED: {response.request.method} {response.request.url} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json()


def wait_for(what: str, probe: Callable[[], Any], within: float = 60) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    sys.exit(f"smoke FAILED: no {what} within {within:.0f}s")


def mail(to: str, subject: str) -> dict[str, Any] | None:
    mails = httpx.get(f"{CATCHER}/api/mails", timeout=5).json()
    for m in mails if isinstance(mails, list) else mails.get("mails", []):
        if to in json.dumps(m.get("to", ""), ensure_ascii=False) and m.get("subject") == subject:
            return m
    return None


def link_in_mail(to: str, subject: str) -> str | None:
    """The link of the newest mail with this subject, as the person would click it."""
    for m in reversed(httpx.get(f"{CATCHER}/api/mails", timeout=5).json()):
        if to in m.get("to", []) and m.get("subject") == subject:
            for word in (m.get("text") or "").split():
                if word.startswith("http") and "token=" in word:
                    return word
    return None


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if found is None:
        sys.exit(f"smoke FAILED: no CSRF token on {page.request.url}")
    return found.group(1)


def portal_sign_in(email: str, password: str, certificate_number: str) -> str:
    """The account mail's link in the portal, the password set, log in, home; the access
    token the rest of the smoke uses is identity's, for the same account."""
    link = wait_for(
        "アカウント発行のお知らせ（パスワード設定）",
        lambda: link_in_mail(email, "アカウント発行のお知らせ（パスワード設定）"),
    )
    if not link.startswith(URL["portal"] + "/password/set?"):
        sys.exit(f"smoke FAILED: the account mail links to {link}, not the portal")
    with httpx.Client(timeout=15, follow_redirects=True) as browser:
        form = browser.get(link)
        expect_page(form, 200)
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        if token is None:
            sys.exit("smoke FAILED: the set-password page has no token field")
        done = browser.post(
            f"{URL['portal']}/password/set",
            data={
                "csrf_token": csrf_of(form),
                "token": token.group(1),
                "password": password,
                "password_confirm": password,
            },
        )
        expect_page(done, 200)
        login = browser.get(f"{URL['portal']}/login")
        home = browser.post(
            f"{URL['portal']}/login",
            data={"csrf_token": csrf_of(login), "next": "/", "email": email, "password": password},
        )
        expect_page(home, 200)
        if certificate_number not in home.text:
            sys.exit("smoke FAILED: the portal's home does not show the 認定証 number")
    signed_in = httpx.post(
        f"{URL['identity']}/v1/login", json={"email": email, "password": password}, timeout=15
    )
    return str(expect(signed_in, 200)["access_token"])


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    found = re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    return {name: html.unescape(value) for name, value in found}


def portal_apply(link: str, kana: str, birth: date) -> str:
    """The mail's link, the form filled and sent as a browser sends it (multipart, with an
    empty file input), the confirmation page's carried fields sent on: the receipt's number."""
    family, given = kana.split()
    fields = {
        "guardian_name": "煙 花子",
        "guardian_kana": f"{family} ハナコ",
        "guardian_birth_date": "1990-01-01",
        "guardian_address": "静岡県掛川市長谷1-1-1",
        "guardian_phone": "0537-00-0000",
        "guardian_gender": "female",
        "guardian_relationship": "母",
        "child_name": f"煙 {given}",
        "child_kana": kana,
        "child_birth_date": birth.isoformat(),
        "child_relationship": "長男",
        "sc_present": "no",
        "sc_medical": "no",
        "consent_terms": "yes",
        "consent_personal_data": "yes",
        "consent_share": "yes",
    }
    no_file = {"files": ("", b"", "application/octet-stream")}
    with httpx.Client(timeout=15, follow_redirects=True) as browser:
        form = browser.get(link)
        expect_page(form, 200)
        carried = hidden_fields(form)
        confirm = browser.post(
            f"{URL['portal']}/apply/confirm", data={**carried, **fields}, files=no_file
        )
        expect_page(confirm, 200)
        carried = hidden_fields(confirm)
        receipt = browser.post(f"{URL['portal']}/apply/send", data=carried, files=no_file)
        expect_page(receipt, 201)
    number = re.search(r'class="reference">([0-9a-f-]{36})<', receipt.text)
    if number is None:
        sys.exit("smoke FAILED: the application receipt shows no reference number")
    return number.group(1)


def expect_page(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        sys.exit(f"smoke FAILED: {response.request.url} -> {response.status_code}")


def main() -> None:
    email = f"smoke.{uuid.uuid4().hex[:8]}@example.jp"
    kana = "スモーク " + "".join(random.choice("アイウエオカキクケコサシスセソ") for _ in range(3))
    birth = date(2025, 3, 3)
    with httpx.Client(timeout=10) as http:
        step("the municipality's resident record (住民登録) for a new child")
        expect(
            http.post(
                f"{URL['eligibility']}/v1/municipalities/{KAKEGAWA}/resident-records",
                json=[
                    {
                        "child_kana": kana,
                        "child_birth_date": birth.isoformat(),
                        "moved_in_on": birth.isoformat(),
                    }
                ],
                headers=OFFICER,
            ),
            200,
        )

        step("利用申請URL: the link arrives by e-mail")
        expect(
            http.post(
                f"{URL['eligibility']}/v1/municipalities/{KAKEGAWA}/application-links",
                json={"email": email},
            ),
            202,
        )
        link = wait_for(
            "利用申請URLのお知らせ", lambda: link_in_mail(email, "利用申請URLのお知らせ")
        )
        if not link.startswith(URL["portal"] + "/apply?"):
            sys.exit(f"smoke FAILED: the application-link mail links to {link}, not the portal")

        step("the application in the portal's pages (form → 入力内容の確認 → 送信), then 認定")
        application_id = portal_apply(link, kana, birth)
        approved = expect(
            http.post(
                f"{URL['eligibility']}/v1/municipalities/{KAKEGAWA}/applications/"
                f"{application_id}/approve",
                json={},
                headers=OFFICER,
            ),
            200,
        )
        child = str(approved["child_id"])
        wait_for("アカウント発行のお知らせ", lambda: mail(email, "アカウント発行のお知らせ"))
        step("the account mail's link sets the password in the portal; the parent logs in")
        access = portal_sign_in(email, "smoke-" + uuid.uuid4().hex, approved["certificate_number"])
        parent = {"Authorization": f"Bearer {access}"}

        step("booking learns the child from the certification event (Kafka)")
        wait_for(
            "the child in booking",
            lambda: (
                http.get(f"{URL['booking']}/v1/children/{child}/quota", headers=parent).status_code
                == 200
            ),
        )

        step("初回面談: the guardian asks, the facility fixes it, holds it and accepts the child")
        interview = expect(
            http.post(
                f"{URL['booking']}/v1/interviews",
                json={"facility_id": FACILITY, "child_id": child},
                headers=parent,
            ),
            201,
        )
        interview_day = BusinessCalendar().next_open_day(today_jst() + timedelta(days=1))
        expect(
            http.post(
                f"{URL['booking']}/v1/interviews/{interview['id']}/schedule",
                json={"starts_at": f"{interview_day.isoformat()}T10:00:00+09:00"},
                headers=STAFF,
            ),
            200,
        )
        expect(
            http.post(
                f"{URL['booking']}/v1/interviews/{interview['id']}/held",
                json={"health_check": "no_concerns"},
                headers=STAFF,
            ),
            200,
        )
        step("the demo facility accepts the child; the guardian books an hour")
        expect(
            http.put(
                f"{URL['booking']}/v1/facilities/{FACILITY}/acceptances/{child}",
                json={"accepted": True},
                headers=STAFF,
            ),
            200,
        )
        use_day = BusinessCalendar().next_open_day(today_jst() + timedelta(days=2))
        booked = expect(
            http.post(
                f"{URL['booking']}/v1/bookings",
                json={
                    "facility_id": FACILITY,
                    "child_id": child,
                    "use_date": use_day.isoformat(),
                    "start": "10:00",
                    "end": "11:00",
                    "kind": "flexible",
                },
                headers=parent,
            ),
            201,
        )

        booking_id = booked.get("id", booked.get("booking_id"))
        step(f"予約完了のお知らせ for booking {booking_id} on {use_day}")
        confirmed = wait_for("予約完了のお知らせ", lambda: mail(email, "予約完了のお知らせ"))
        if f"{URL['portal']}/bookings/{booking_id}" not in (confirmed.get("text") or ""):
            sys.exit("smoke FAILED: the 予約完了 mail does not link to the booking in the portal")
        quota = expect(
            http.get(
                f"{URL['booking']}/v1/children/{child}/quota",
                params={"month": use_day.strftime("%Y-%m")},
                headers=parent,
            ),
            200,
        )
        if quota["held_minutes"] != 60:
            sys.exit(f"smoke FAILED: quota after one hour booked: {quota}")
    step(
        "passed: application in the portal → certification → booking → e-mail linking to it, "
        "through the compose stack"
    )


if __name__ == "__main__":
    main()

"""Helper of scripts/up.sh: the demo people, made the way real people are made.

For each demo guardian in deploy/demo/demo.yaml: ask for the application link, read it from
the mail catcher, submit the form, have the officer approve it, read the account mail's
set-password link and set the demo password; then the guardian asks for a 初回面談 at the demo
facility, the facility fixes and holds it and accepts the child, so the guardian can book at
once. Staff and officer accounts (created with `tsuen-identity create-account` by up.sh) get
their password from their account mails the same way. Idempotent: whoever can already log in
with the demo password is left alone. Writes .tsuen/demo-people.json (ids for dev tokens).

    uv run python scripts/demo_people.py      # with the compose stack up
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import yaml

from tsuen_common.auth import Principal, Role, TokenIssuer
from tsuen_common.calendar import BusinessCalendar
from tsuen_common.timeutil import today_jst

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".tsuen"
DEMO_PASSWORD = "tsuen-demo-2026"  # noqa: S105 - the dev stack's demo password, printed by up.sh
URL = {
    "eligibility": "http://127.0.0.1:8001",
    "booking": "http://127.0.0.1:8002",
    "identity": "http://127.0.0.1:8005",
}
CATCHER = "http://127.0.0.1:8025"
ACCOUNT_MAIL = "アカウント発行のお知らせ（パスワード設定）"
PDF = b"%PDF-1.4\n% demo\n"

http = httpx.Client(timeout=15)
issuer = TokenIssuer(algorithm="HS256", key=(STATE / "dev-jwt-secret").read_text().strip())


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.mint(principal)}"}


def ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in (statuses or (200,)):
        sys.exit(
            f"demo people FAILED: {response.request.method} {response.request.url} -> "
            f"{response.status_code}: {response.text[:400]}"
        )
    return response.json() if response.content else None


def wait_for(what: str, probe: Callable[[], Any], within: float = 90) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    sys.exit(f"demo people FAILED: no {what} within {within:.0f}s")


def link_in_mail(to: str, subject: str, param: str = "token") -> str | None:
    """The newest mail's link parameter, as the person would click it."""
    for mail in reversed(http.get(f"{CATCHER}/api/mails").json()):
        if to in mail.get("to", []) and mail.get("subject") == subject:
            for word in (mail.get("text") or "").split():
                if word.startswith("http") and f"{param}=" in word:
                    return parse_qs(urlparse(word).query)[param][0]
    return None


def can_log_in(email: str) -> dict[str, Any] | None:
    response = http.post(
        f"{URL['identity']}/v1/login", json={"email": email, "password": DEMO_PASSWORD}
    )
    # 202: the password is right and identity asks for the second factor (officers); the
    # officer enrols an authenticator app at their first login in the portal.
    return response.json() if response.status_code in (200, 202) else None


def set_password_from_mail(email: str) -> dict[str, Any]:
    token = wait_for(f"{ACCOUNT_MAIL} to {email}", lambda: link_in_mail(email, ACCOUNT_MAIL))
    ok(
        http.post(
            f"{URL['identity']}/v1/password/set",
            json={"token": token, "password": DEMO_PASSWORD},
        ),
        204,
    )
    login = can_log_in(email)
    if login is None:
        sys.exit(f"demo people FAILED: {email} cannot log in after setting the password")
    return login


def certify(guardian: dict[str, Any]) -> None:
    code, email = guardian["municipality"], guardian["email"]
    officer = bearer(
        Principal(subject="demo-officer", role=Role.MUNICIPALITY_OFFICER, municipality=code)
    )
    for child in guardian["children"]:
        ok(
            http.post(
                f"{URL['eligibility']}/v1/municipalities/{code}/application-links",
                json={"email": email},
            ),
            202,
        )
        token = wait_for(
            "利用申請URLのお知らせ", lambda: link_in_mail(email, "利用申請URLのお知らせ")
        )
        form = {
            "link_token": token,
            "guardian": {
                "name": guardian["name"],
                "kana": guardian["kana"],
                "birth_date": guardian["birth_date"],
                "address": guardian["address"],
                "phone": guardian["phone"],
                "gender": "female",
                "relationship_to_child": "母",
            },
            "consents": {"terms": True, "personal_data": True, "share_with_facility": True},
            "child": {
                "name": child["name"],
                "kana": child["kana"],
                "birth_date": child["birth_date"],
                "relationship_to_guardian": child["relationship"],
            },
            "desired_facility_id": guardian["facility"],
            "attachments": [
                {
                    "filename": "boshi-techo.pdf",
                    "content_type": "application/pdf",
                    "data_base64": base64.b64encode(PDF).decode(),
                }
            ],
        }
        submitted = ok(
            http.post(f"{URL['eligibility']}/v1/municipalities/{code}/applications", json=form), 201
        )
        ok(
            http.post(
                f"{URL['eligibility']}/v1/municipalities/{code}/applications/"
                f"{submitted['application_id']}/approve",
                json={"acknowledge_failed_checks": True},
                headers=officer,
            )
        )


def accept_at_facility(guardian: dict[str, Any], login: dict[str, Any]) -> list[str]:
    """初回面談 asked, fixed, held; the child accepted. Returns the children's ids."""
    code, facility = guardian["municipality"], guardian["facility"]
    parent = {"Authorization": f"Bearer {login['access_token']}"}
    staff = bearer(
        Principal(
            subject="demo-staff", role=Role.FACILITY_STAFF, municipality=code, facility_id=facility
        )
    )
    me = ok(http.get(f"{URL['identity']}/v1/me", headers=parent))
    children = [c["child_id"] for c in me["children"]]
    for child in children:
        wait_for(
            "the child in booking",
            lambda c=child: (
                http.get(f"{URL['booking']}/v1/children/{c}/quota", headers=parent).status_code
                == 200
            ),
        )
        interview = ok(
            http.post(
                f"{URL['booking']}/v1/interviews",
                json={"facility_id": facility, "child_id": child},
                headers=parent,
            ),
            201,
        )
        day = BusinessCalendar().next_open_day(today_jst() + timedelta(days=1))
        ok(
            http.post(
                f"{URL['booking']}/v1/interviews/{interview['id']}/schedule",
                json={"starts_at": f"{day.isoformat()}T10:00:00+09:00"},
                headers=staff,
            )
        )
        ok(
            http.post(
                f"{URL['booking']}/v1/interviews/{interview['id']}/held",
                json={"health_check": "no_concerns"},
                headers=staff,
            )
        )
        ok(
            http.put(
                f"{URL['booking']}/v1/facilities/{facility}/acceptances/{child}",
                json={"accepted": True},
                headers=staff,
            )
        )
        # お子さんの情報登録, so the facility's roster shows a record as a real one would.
        ok(
            http.put(
                f"{URL['eligibility']}/v1/municipalities/{code}/children/{child}/profile",
                json={"profile": DEMO_RECORD},
                headers=parent,
            )
        )
    return children


DEMO_RECORD = {
    "allergies": ["卵"],
    "allergy_notes": "加熱した卵も食べられません。",
    "considerations": "お昼寝のときはタオルがあると安心します。",
    "emergency_contacts": [{"name": "通園 花子", "relation": "母", "phone": "090-0000-0000"}],
    "pickup_persons": [{"name": "通園 和子", "relation": "祖母"}],
}


def main() -> None:
    demo = yaml.safe_load((ROOT / "deploy/demo/demo.yaml").read_text(encoding="utf-8"))
    people: dict[str, Any] = {
        "password": DEMO_PASSWORD,
        "guardians": [],
        "staff": [],
        "officers": [],
    }
    for guardian in demo["guardians"]:
        login = can_log_in(guardian["email"])
        if login is None:
            certify(guardian)
            login = set_password_from_mail(guardian["email"])
            children = accept_at_facility(guardian, login)
        else:
            me = ok(
                http.get(
                    f"{URL['identity']}/v1/me",
                    headers={"Authorization": f"Bearer {login['access_token']}"},
                )
            )
            children = [c["child_id"] for c in me["children"]]
        people["guardians"].append(
            {
                "email": guardian["email"],
                "municipality": guardian["municipality"],
                "guardian_id": login["guardian_id"],
                "children": children,
                "facility": guardian["facility"],
            }
        )
    for kind in ("staff", "officers"):
        for person in demo[kind]:
            login = can_log_in(person["email"]) or set_password_from_mail(person["email"])
            people[kind].append({**person, "account_id": login["account_id"]})
    out = STATE / "demo-people.json"
    out.write_text(json.dumps(people, ensure_ascii=False, indent=2))
    out.chmod(0o600)
    counts = ", ".join(f"{len(people[k])} {k}" for k in ("guardians", "staff", "officers"))
    print(f"  demo people ready ({counts}): {out}")


if __name__ == "__main__":
    main()

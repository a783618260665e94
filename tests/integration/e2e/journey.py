"""Steps of a family's journey, each done the way its actor does it: over HTTP against the
running services, with e-mails read from the platform's SMTP server.

Nothing here reaches into a database or a topic: what a test sees is what a guardian, a
facility or a municipality officer would see.
"""

from __future__ import annotations

import calendar
import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx

from tests.integration.conftest import eventually
from tests.integration.e2e.conftest import Platform
from tsuen_common.auth import Principal, Role
from tsuen_common.timeutil import JST


def _years_ahead() -> int:
    """Whole years to add to the scenario, which is written for December 2026 – March 2027.

    The platform must live *ahead* of the real date: the mail queue compares due times and
    staleness with the database's (real) clock, so a journey in the past would see its
    application link "expired" and scheduled reminders fire. Once 2026's November has passed,
    the scenario moves to the next winter with the very same calendar (same weekdays, both
    years without 29 February), e.g. 2037/38, so every weekday and holiday in it still holds.
    """
    today = datetime.now(JST).date()
    for shift in itertools.count(0):
        year = 2026 + shift
        if (
            date(year, 1, 1).weekday() == date(2026, 1, 1).weekday()
            and not calendar.isleap(year)
            and not calendar.isleap(year + 1)
            and today <= date(year, 11, 30)
        ):
            return shift
    raise AssertionError("unreachable")


YEARS_AHEAD = _years_ahead()


def day(year: int, month: int, dom: int) -> date:
    """A scenario date (written as in 2026/27)."""
    return date(year + YEARS_AHEAD, month, dom)


def jst(year: int, month: int, dom: int, hour: int, minute: int) -> datetime:
    """A scenario instant in Japan (written as in 2026/27)."""
    return datetime(year + YEARS_AHEAD, month, dom, hour, minute, tzinfo=JST)


def d(text: str) -> str:
    """A scenario date, month or ISO instant as text ("2026-12-09", "2026-12", "…T10:00+09:00")."""
    return f"{int(text[:4]) + YEARS_AHEAD}{text[4:]}"


CHIYODA = "131016"
KAKEGAWA = "222135"

# The notices' subjects (docs/notification.md); the first two are quoted verbatim by the seeds.
LINK_MAIL = "利用申請URLのお知らせ"
ACCOUNT_MAIL = "アカウント発行のお知らせ"
LOTTERY_WON_MAIL = "抽選結果のお知らせ(当選)"
LOTTERY_WAITLISTED_MAIL = "抽選結果のお知らせ(補欠)"
LOTTERY_PROMOTED_MAIL = "繰り上げ当選のお知らせ"
INTERVIEW_MAIL = "初回面談日時のお知らせ"
ACCEPTED_MAIL = "受入決定のお知らせ"
BOOKED_MAIL = "予約完了のお知らせ"
REGULAR_BOOKED_MAIL = "定期利用の予約完了のお知らせ"
REMINDER_MAIL = "ご利用日前日のお知らせ"
LATE_PICKUP_MAIL = "お迎え遅延による利用時間加算のお知らせ"
OVER_CAP_MAIL = "利用上限超過のお知らせ"
CANCELLED_MAIL = "キャンセルのお知らせ"
FACILITY_CANCELLED_MAIL = "予約キャンセルのお知らせ(施設向け)"
CERTIFICATION_ENDED_MAIL = "認定終了のお知らせ"


def unique_email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:8]}@example.jp"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


@dataclass
class Family:
    """A guardian and one child after certification: what the account e-mail gives them."""

    municipality: str
    email: str
    application_id: str
    certification_id: str
    child_id: str
    guardian_id: str


@dataclass
class Applicant:
    municipality: str
    email: str
    kana: str
    birth: date
    application_id: str = ""
    # その他配慮すべき事項 as eligibility takes them; None: "無".
    considerations: dict[str, Any] | None = None


async def link_token_from_mail(platform: Platform, municipality: str, email: str) -> str:
    """利用申請: ask for the link, then read the token out of the e-mail, as the parent does
    (the API never returns it)."""
    earlier = len(platform.mailbox.with_subject(email, LINK_MAIL))  # a family that moved
    async with platform.client("eligibility") as eligibility:
        ok(
            await eligibility.post(
                f"/v1/municipalities/{municipality}/application-links", json={"email": email}
            ),
            202,
        )
    *_, mail = await platform.mailbox.wait_for(email, LINK_MAIL, count=earlier + 1)
    text = mail.body("plain") or ""
    match = re.search(r"https?://\S*[?&]token=([A-Za-z0-9_\-]+)", text)
    assert match, f"no application URL in the mail:\n{text}"
    assert f"municipality={municipality}" in match.group(0)
    return match.group(1)


def application_form(token: str, applicant: Applicant) -> dict[str, Any]:
    """Chiyoda's form fields (the platform uses them for every municipality)."""
    family_name, given_name = applicant.kana.split()
    return {
        "link_token": token,
        "guardian": {
            "name": "通園 花子",
            "kana": f"{family_name} ハナコ",
            "birth_date": "1992-05-01",
            "address": "東京都千代田区九段南1-2-1"
            if applicant.municipality == CHIYODA
            else "静岡県掛川市長谷1-1-1",
            "phone": "03-1234-5678",
            "gender": "female",
            "relationship_to_child": "母",
        },
        "consents": {"terms": True, "personal_data": True, "share_with_facility": True},
        "proxy_users": [],
        "prior_use_municipality": None,
        "child": {
            "name": f"通園 {given_name}",
            "kana": applicant.kana,
            "birth_date": applicant.birth.isoformat(),
            "relationship_to_guardian": "長男",
        },
        "special_considerations": applicant.considerations or {"present": False},
    }


async def register_residents(platform: Platform, *applicants: Applicant) -> None:
    """The municipality's 住民登録 feed, so the residency check passes."""
    by_municipality: dict[str, list[dict[str, str]]] = {}
    for a in applicants:
        by_municipality.setdefault(a.municipality, []).append(
            {
                "child_kana": a.kana,
                "child_birth_date": a.birth.isoformat(),
                "moved_in_on": a.birth.isoformat(),
            }
        )
    async with platform.client("eligibility") as eligibility:
        for municipality, rows in by_municipality.items():
            ok(
                await eligibility.post(
                    f"/v1/municipalities/{municipality}/resident-records",
                    json=rows,
                    headers=platform.officer(municipality),
                )
            )


async def apply(platform: Platform, applicant: Applicant) -> str:
    """Link by e-mail → form → 201 pending, with every automatic check passed."""
    token = await link_token_from_mail(platform, applicant.municipality, applicant.email)
    async with platform.client("eligibility") as eligibility:
        submitted = ok(
            await eligibility.post(
                f"/v1/municipalities/{applicant.municipality}/applications",
                json=application_form(token, applicant),
            ),
            201,
        )
        # The link is used up: the same token cannot file a second application.
        reused = await eligibility.post(
            f"/v1/municipalities/{applicant.municipality}/applications",
            json=application_form(token, applicant),
        )
        assert reused.status_code == 410, reused.text
    assert submitted["status"] == "pending"
    applicant.application_id = str(submitted["application_id"])
    return applicant.application_id


async def approve(platform: Platform, applicant: Applicant) -> Family:
    """The officer's review: the application with its checks, then approval (認定)."""
    code = applicant.municipality
    async with platform.client("eligibility") as eligibility:
        reviewed = ok(
            await eligibility.get(
                f"/v1/municipalities/{code}/applications/{applicant.application_id}",
                headers=platform.officer(code),
            )
        )
        assert reviewed["guardian_email"] == applicant.email
        checks = reviewed["checks"]
        assert checks["passed"] is True, checks  # age, residency and enrollment
        approved = ok(
            await eligibility.post(
                f"/v1/municipalities/{code}/applications/{applicant.application_id}/approve",
                json={},
                headers=platform.officer(code),
            )
        )
    assert approved["status"] == "approved"
    assert approved["certificate_number"].startswith(f"{code}-")
    return Family(
        municipality=code,
        email=applicant.email,
        application_id=applicant.application_id,
        certification_id=str(approved["certification_id"]),
        child_id=str(approved["child_id"]),
        guardian_id=str(approved["guardian_id"]),
    )


async def wait_until_booking_knows(platform: Platform, family: Family) -> None:
    """Booking learns the child from ChildCertified (Kafka); until then the child is a 404."""
    async with platform.client("booking") as booking:

        async def known() -> bool:
            response = await booking.get(
                f"/v1/children/{family.child_id}/quota",
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
            return response.status_code == 200

        await eventually(known, within=60, what="booking to consume ChildCertified")


def facility_body(municipality: str, name: str, email: str) -> dict[str, Any]:
    in_chiyoda = municipality == CHIYODA
    return {
        "name": name,
        "kana": "ヒマワリホイクエン",
        "address": "東京都千代田区神田2-2" if in_chiyoda else "静岡県掛川市長谷2-2",
        "lat": 35.6938 if in_chiyoda else 34.7690,
        "lon": 139.7710 if in_chiyoda else 138.0140,
        "facility_type": "licensed_nursery",
        "email": email,
        "comments": "初回面談では健康状態を確認します",
        "extra_hour_fee_yen": 1500,
        "opening_hours": {str(d): {"open": "08:00", "close": "18:00"} for d in range(5)},
        "places_per_slot": 3,
    }


async def register_facility(platform: Platform, municipality: str, email: str) -> str:
    """The municipality registers a facility taking part in the scheme."""
    name = f"ひまわり保育園 {uuid.uuid4().hex[:6]}"
    async with platform.client("booking") as booking:
        created = ok(
            await booking.post(
                f"/v1/municipalities/{municipality}/facilities",
                json=facility_body(municipality, name, email),
                headers=platform.officer(municipality),
            ),
            201,
        )
    return str(created["id"])


async def book(
    platform: Platform, family: Family, facility_id: str, day: date, start: str, end: str
) -> httpx.Response:
    async with platform.client("booking") as booking:
        return await booking.post(
            "/v1/bookings",
            json={
                "facility_id": facility_id,
                "child_id": family.child_id,
                "use_date": day.isoformat(),
                "start": start,
                "end": end,
                "kind": "flexible",
            },
            headers=platform.guardian(family.municipality, family.guardian_id),
        )


async def quota(platform: Platform, family: Family, month: str) -> dict[str, int]:
    async with platform.client("booking") as booking:
        body = ok(
            await booking.get(
                f"/v1/children/{family.child_id}/quota",
                params={"month": month},
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
        )
    return {k: int(v) for k, v in body.items()}


async def wait_for_quota(
    platform: Platform, family: Family, month: str, **expected: int
) -> dict[str, int]:
    """Poll the quota until the given counters hold (events settle it asynchronously)."""
    seen: dict[str, int] = {}

    async def settled() -> bool:
        seen.update(await quota(platform, family, month))
        return all(seen.get(k) == v for k, v in expected.items())

    await eventually(settled, within=60, what=f"quota {expected} (last seen {seen})")
    return seen


async def cancel(platform: Platform, family: Family, booking_id: str, reason: str) -> Any:
    async with platform.client("booking") as booking:
        return ok(
            await booking.post(
                f"/v1/bookings/{booking_id}/cancel",
                json={"reason": reason},
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
        )


async def current_code(platform: Platform, municipality: str, facility_id: str) -> str:
    """What the facility's display shows now: the rotating 2D code's token."""
    async with platform.client("attendance") as attendance:
        code = ok(
            await attendance.get(
                f"/v1/facilities/{facility_id}/code",
                headers=platform.staff(municipality, facility_id),
            )
        )
    assert code["url"].startswith(f"{platform.url('attendance')}/scan?t=")
    return str(code["token"])


async def wait_until_attendance_knows(
    platform: Platform, family: Family, facility_id: str, booking_id: str
) -> None:
    """Attendance projects BookingConfirmed (Kafka): the scan shows today's booking."""
    async with platform.client("attendance") as attendance:

        async def listed() -> bool:
            # A fresh code each time: the display's code changes every 30 seconds.
            token = await current_code(platform, family.municipality, facility_id)
            response = await attendance.get(
                "/v1/scan",
                params={"t": token},
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
            visits = response.json().get("visits", []) if response.status_code == 200 else []
            return any(v["booking_id"] == booking_id for v in visits)

        await eventually(listed, within=60, what="attendance to project the booking")


async def scan_and_register(
    platform: Platform,
    family: Family,
    facility_id: str,
    booking_id: str,
    action: str,
    *,
    token: str | None = None,
) -> Any:
    """The parent scans the code on the facility's display and taps 利用開始/終了登録."""
    token = token or await current_code(platform, family.municipality, facility_id)
    async with platform.client("attendance") as attendance:
        return ok(
            await attendance.post(
                f"/v1/{action}",
                json={"token": token, "booking_id": booking_id},
                headers=platform.guardian(family.municipality, family.guardian_id),
            )
        )


def mail_text(mail: Any) -> str:
    return str(mail.body("plain") or "")


async def code_from_display(platform: Platform, municipality: str, facility_id: str) -> str:
    """The facility's tablet: opened once with a staff token (moved into the session cookie),
    it shows the 2D code and fetches each next code with that cookie, as its script does."""
    token = platform.issuer.mint(
        Principal(
            subject=f"display-{facility_id}",
            role=Role.FACILITY_STAFF,
            municipality=municipality,
            facility_id=facility_id,
        )
    )
    async with platform.client("attendance") as tablet:
        opened = await tablet.get(
            f"/facilities/{facility_id}/display",
            params={"access_token": token},
            follow_redirects=True,
        )
        assert opened.status_code == 200, opened.text
        assert "ひまわり保育園" in opened.text
        assert 'src="data:image/svg+xml' in opened.text  # the code itself, as an image
        code = ok(await tablet.get(f"/v1/facilities/{facility_id}/code"))  # cookie, no bearer
    return str(code["token"])


def plan_bookings(
    decided: dict[str, Any], generated: dict[str, Any]
) -> tuple[dict[str, str], list[str]]:
    """A 定期利用 plan's bookings and skipped days: those made when it was approved (or
    registered by the facility) plus those of a later monthly run, as date → booking id."""
    booked = [*decided.get("generated", []), *generated["booked"]]
    skipped = {
        s["date"]
        for s in [*decided.get("skipped", []), *generated["skipped"]]
        if s["reason"] != "already generated"
    }
    return {b["date"]: str(b["booking_id"]) for b in booked}, sorted(skipped)

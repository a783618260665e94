"""Issue 7: the whole journey, end to end, once per municipality preset.

Four separate service processes (``tsuen-<svc> all``) on real Kafka, PostgreSQL and SMTP; the
test plays the guardian, the facility and the municipality over HTTP only, and moves the whole
platform through December 2026 (Chiyoda) and January 2027 (Kakegawa) with the test clock
(``journey.YEARS_AHEAD`` moves the scenario to an identical later winter once 2026's has come).
Every wait is ``eventually`` on something a person could see (an e-mail, a quota, a visit).
"""

from __future__ import annotations

import hashlib

from tests.integration.e2e.conftest import Platform
from tests.integration.e2e.journey import (
    ACCEPTED_MAIL,
    ACCOUNT_MAIL,
    BOOKED_MAIL,
    CANCELLED_MAIL,
    CERTIFICATION_ENDED_MAIL,
    CHIYODA,
    FACILITY_CANCELLED_MAIL,
    INTERVIEW_MAIL,
    KAKEGAWA,
    LATE_PICKUP_MAIL,
    LINK_MAIL,
    LOTTERY_PROMOTED_MAIL,
    LOTTERY_WAITLISTED_MAIL,
    LOTTERY_WON_MAIL,
    OVER_CAP_MAIL,
    REGULAR_BOOKED_MAIL,
    REMINDER_MAIL,
    Applicant,
    Family,
    apply,
    approve,
    book,
    cancel,
    code_from_display,
    d,
    day,
    jst,
    mail_text,
    ok,
    plan_bookings,
    register_facility,
    register_residents,
    scan_and_register,
    unique_email,
    wait_for_quota,
    wait_until_attendance_knows,
    wait_until_booking_knows,
)


async def interview_and_acceptance(
    platform: Platform, family: Family, facility_id: str, starts_at: str
) -> None:
    """初回面談: the guardian asks, the facility fixes the time, then records 受入可."""
    parent = platform.guardian(family.municipality, family.guardian_id)
    staff = platform.staff(family.municipality, facility_id)
    async with platform.client("booking") as booking:
        requested = ok(
            await booking.post(
                "/v1/interviews",
                json={"facility_id": facility_id, "child_id": family.child_id},
                headers=parent,
            ),
            201,
        )
        assert requested["status"] == "requested"
        assert requested["facility_comments"] == "初回面談では健康状態を確認します"
        scheduled = ok(
            await booking.post(
                f"/v1/interviews/{requested['id']}/schedule",
                json={"starts_at": starts_at},
                headers=staff,
            )
        )
        assert scheduled["starts_at"] == starts_at
        held = await booking.post(
            f"/v1/interviews/{requested['id']}/held",
            json={"health_check": "no_concerns"},
            headers=staff,
        )
        assert held.status_code == 200, held.text
        accepted = await booking.put(
            f"/v1/facilities/{facility_id}/acceptances/{family.child_id}",
            json={"accepted": True},
            headers=staff,
        )
        assert accepted.status_code == 200, accepted.text
    await platform.mailbox.wait_for(family.email, INTERVIEW_MAIL)
    await platform.mailbox.wait_for(family.email, ACCEPTED_MAIL)


async def search_finds(platform: Platform, family: Family, facility_id: str) -> None:
    """施設をさがす: by keyword within the home municipality, and by distance."""
    parent = platform.guardian(family.municipality, family.guardian_id)
    async with platform.client("booking") as booking:
        by_keyword = ok(
            await booking.get(
                "/v1/facilities",
                params={"q": "ひまわり", "municipality": family.municipality},
                headers=parent,
            )
        )
        assert facility_id in [f["id"] for f in by_keyword]
        facility = ok(await booking.get(f"/v1/facilities/{facility_id}", headers=parent))
        nearby = ok(
            await booking.get(
                "/v1/facilities",
                params={"lat": facility["lat"], "lon": facility["lon"], "radius_km": 1},
                headers=parent,
            )
        )
        assert facility_id in [f["id"] for f in nearby]


# --------------------------------------------------------------------------------------------
# 千代田区: lottery with 補欠 and 繰り上げ, 30-minute steps, 17:00 on the previous open day
# --------------------------------------------------------------------------------------------


async def test_chiyoda_journey(platform: Platform) -> None:
    mailbox = platform.mailbox
    # Tuesday 1 December 2026, 10:00: intake opens.
    platform.set_clock(jst(2026, 12, 1, 10, 0))

    # -- lottery (Chiyoda: "応募者多数の場合は、抽選"): one place, two families -------------------
    async with platform.client("eligibility") as eligibility:
        opened = ok(
            await eligibility.post(
                f"/v1/municipalities/{CHIYODA}/lottery-rounds",
                json={"name": "12月入園枠", "places": 1},
                headers=platform.officer(CHIYODA),
            ),
            201,
        )
    round_id = opened["round_id"]
    first = Applicant(CHIYODA, unique_email("sakura"), "チヨダ サクラ", day(2025, 3, 10))
    second = Applicant(CHIYODA, unique_email("aoi"), "カンダ アオイ", day(2025, 4, 20))
    await register_residents(platform, first, second)
    # The link arrives by e-mail (利用申請URLのお知らせ); the token is read from the mail.
    for applicant in (first, second):
        await apply(platform, applicant)

    async with platform.client("eligibility") as eligibility:
        # While the round collects, no application can be approved directly.
        early = await eligibility.post(
            f"/v1/municipalities/{CHIYODA}/applications/{first.application_id}/approve",
            json={},
            headers=platform.officer(CHIYODA),
        )
        assert early.status_code == 409, early.text
        ok(
            await eligibility.post(
                f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/draw",
                headers=platform.officer(CHIYODA),
            )
        )
        published = ok(
            await eligibility.get(f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}")
        )
    # Auditable: the seed revealed by the draw is the one whose hash was published at opening.
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == opened["seed_hash"]
    outcomes = {r["application_id"]: r for r in published["results"]}
    by_id = {a.application_id: a for a in (first, second)}
    [winner_id] = [i for i in by_id if outcomes[i]["outcome"] == "won"]
    [waitlisted_id] = [i for i in by_id if outcomes[i]["outcome"] == "waitlisted"]
    assert outcomes[waitlisted_id]["waitlist_position"] == 1
    winner, waitlisted = by_id[winner_id], by_id[waitlisted_id]
    await mailbox.wait_for(winner.email, LOTTERY_WON_MAIL)
    await mailbox.wait_for(waitlisted.email, LOTTERY_WAITLISTED_MAIL)

    # The winner declines the place: the 補欠 moves up (繰り上げ当選) and is approved. The
    # rest of the journey follows that family.
    async with platform.client("eligibility") as eligibility:
        declined = ok(
            await eligibility.post(
                f"/v1/municipalities/{CHIYODA}/lottery-rounds/{round_id}/entries/{winner_id}/decline",
                headers=platform.officer(CHIYODA),
            )
        )
    assert declined["promoted"] == waitlisted_id
    await mailbox.wait_for(waitlisted.email, LOTTERY_PROMOTED_MAIL)
    family = await approve(platform, waitlisted)

    # -- certification: アカウント発行のお知らせ, and booking learns the child (ChildCertified) ---
    [account] = await mailbox.wait_for(family.email, ACCOUNT_MAIL)
    assert "千代田区" in str(account.message["From"])
    assert ACCOUNT_MAIL not in mailbox.subjects(winner.email)  # declined: no account
    await wait_until_booking_knows(platform, family)

    # -- facility: registered by the ward, found by the parent, interview and acceptance ------
    facility_email = unique_email("hoikuen")
    facility_id = await register_facility(platform, CHIYODA, facility_email)
    await search_finds(platform, family, facility_id)
    await interview_and_acceptance(platform, family, facility_id, d("2026-12-02T10:00:00+09:00"))

    # -- 定期利用: Wednesdays 10:00–12:00 registered by the facility (代理, approved at once) ----
    staff = platform.staff(CHIYODA, facility_id)
    async with platform.client("booking") as booking:
        plan = ok(
            await booking.post(
                "/v1/regular-plans",
                json={
                    "facility_id": facility_id,
                    "child_id": family.child_id,
                    "weekday": 2,
                    "start": "10:00",
                    "end": "12:00",
                    "valid_from": d("2026-12-07"),
                },
                headers=staff,
            ),
            201,
        )
        assert plan["status"] == "approved"
        generated = ok(
            await booking.post(
                f"/v1/regular-plans/{plan['id']}/generate",
                params={"month": d("2026-12")},
                headers=staff,
            )
        )
    # Registered by the facility: booked at once (one mail for the plan), not by hand.
    regular, skipped = plan_bookings(plan, generated)
    assert sorted(regular) == [d("2026-12-09"), d("2026-12-16"), d("2026-12-23")]
    # 30 December falls in 年末年始: reported and skipped, not booked.
    assert skipped == [d("2026-12-30")]
    await wait_for_quota(platform, family, d("2026-12"), held_minutes=360, remaining_minutes=240)

    # -- 柔軟利用, booked on Monday 7 December at 19:00, after the 18:00 reminder hour ---------
    platform.set_clock(jst(2026, 12, 7, 19, 0))
    tuesday = ok(await book(platform, family, facility_id, day(2026, 12, 8), "09:00", "11:00"), 201)
    friday = ok(await book(platform, family, facility_id, day(2026, 12, 11), "10:00", "11:30"), 201)
    assert (tuesday["held_minutes"], friday["held_minutes"]) == (120, 90)
    # Chiyoda books in 30-minute steps after the first hour; the month now has 30 minutes left.
    refused = await book(platform, family, facility_id, day(2026, 12, 11), "13:00", "14:00")
    assert refused.status_code == 409, refused.text
    assert "quota" in refused.json()["detail"]
    await wait_for_quota(platform, family, d("2026-12"), held_minutes=570, remaining_minutes=30)
    # 予約完了 for the two ad-hoc bookings, one mail listing the plan's three (issue 13); the
    # reminder for tomorrow goes out at once (booked after the reminder hour).
    await mailbox.wait_for(family.email, BOOKED_MAIL, count=2)
    [plan_mail] = await mailbox.wait_for(family.email, REGULAR_BOOKED_MAIL)
    assert "12月9日" in mail_text(plan_mail)
    assert "12月30日" in mail_text(plan_mail)  # 年末年始: said, not booked
    [reminder] = await mailbox.wait_for(family.email, REMINDER_MAIL)
    assert "12月8日" in mail_text(reminder)

    # -- the day: check-in through the facility's 2D code -----------------------------------
    platform.set_clock(jst(2026, 12, 8, 8, 50))
    await wait_until_attendance_knows(platform, family, facility_id, tuesday["id"])
    checked_in = await scan_and_register(platform, family, facility_id, tuesday["id"], "check-ins")
    assert checked_in["booking_id"] == tuesday["id"]
    async with platform.client("attendance") as attendance:
        today = ok(
            await attendance.get(
                "/v1/me/visits", headers=platform.guardian(CHIYODA, family.guardian_id)
            )
        )
    assert [(v["booking_id"], v["status"]) for v in today] == [(tuesday["id"], "in_use")]

    # -- late pickup: 12 minutes after the booked end (11:00) → one more hour, but the month
    # has only 30 minutes left: 30 as penalty, 30 over the cap, charged by the facility.
    platform.set_clock(jst(2026, 12, 8, 11, 12))
    checked_out = await scan_and_register(
        platform, family, facility_id, tuesday["id"], "check-outs"
    )
    assert checked_out["late_minutes"] >= 12  # the clock runs on from 11:12
    assert checked_out["penalty_minutes"] == 60
    await wait_for_quota(
        platform,
        family,
        d("2026-12"),
        held_minutes=450,
        consumed_minutes=150,
        remaining_minutes=0,
        over_cap_minutes=30,
    )
    await mailbox.wait_for(family.email, LATE_PICKUP_MAIL)
    # The facility's roster of the day shows the child left, picked up late.
    async with platform.client("attendance") as attendance:
        roster = ok(
            await attendance.get(
                f"/v1/facilities/{facility_id}/roster",
                params={"day": d("2026-12-08")},
                headers=staff,
            )
        )
    assert (roster["left"], roster["late"]) == (1, 1)
    assert [(r["booking_id"], r["late_pickup"]) for r in roster["lines"]] == [(tuesday["id"], True)]
    [over_cap] = await mailbox.wait_for(family.email, OVER_CAP_MAIL)
    assert "1,500円" in mail_text(over_cap)  # one started hour × the facility's fee

    # -- cancellation before the deadline (16 Dec → 17:00 on 15 Dec): hours released ---------
    platform.set_clock(jst(2026, 12, 8, 12, 0))
    timely = await cancel(platform, family, regular[d("2026-12-16")], "家庭の都合")
    assert (timely["status"], timely["consumed_minutes"]) == ("cancelled", 0)
    await wait_for_quota(platform, family, d("2026-12"), held_minutes=330, remaining_minutes=120)

    # -- cancellation after the deadline (9 Dec → 17:00 on 8 Dec): hours consumed ------------
    platform.set_clock(jst(2026, 12, 8, 17, 30))
    async with platform.client("booking") as booking:
        deadline = ok(
            await booking.get(
                f"/v1/bookings/{regular[d('2026-12-09')]}/cancellation-deadline",
                headers=platform.guardian(CHIYODA, family.guardian_id),
            )
        )
    assert deadline["deadline"] == d("2026-12-08T17:00:00+09:00")
    late = await cancel(platform, family, regular[d("2026-12-09")], "発熱のため")
    assert (late["status"], late["consumed_minutes"]) == ("cancelled", 120)
    await wait_for_quota(
        platform,
        family,
        d("2026-12"),
        held_minutes=210,
        consumed_minutes=270,
        remaining_minutes=120,
    )

    # Both cancellations are notified to the guardian and to the facility.
    guardian_notices = await mailbox.wait_for(family.email, CANCELLED_MAIL, count=2)
    assert any("発熱のため" in mail_text(m) for m in guardian_notices)
    await mailbox.wait_for(facility_email, FACILITY_CANCELLED_MAIL, count=2)

    # Every step left its e-mail to the family, from the ward's own sender.
    assert set(mailbox.subjects(family.email)) == {
        LINK_MAIL,
        LOTTERY_WAITLISTED_MAIL,
        LOTTERY_PROMOTED_MAIL,
        ACCOUNT_MAIL,
        INTERVIEW_MAIL,
        ACCEPTED_MAIL,
        BOOKED_MAIL,
        REGULAR_BOOKED_MAIL,
        REMINDER_MAIL,
        LATE_PICKUP_MAIL,
        OVER_CAP_MAIL,
        CANCELLED_MAIL,
    }
    sent = mailbox.to(family.email)
    assert all("city.chiyoda.example.jp" in str(m.message["From"]) for m in sent)
    # The family that declined heard only of the link and its win.
    assert set(mailbox.subjects(winner.email)) == {LINK_MAIL, LOTTERY_WON_MAIL}


# --------------------------------------------------------------------------------------------
# 掛川市: no lottery, whole hours, noon one business day before, then moving out mid-month
# --------------------------------------------------------------------------------------------


async def test_kakegawa_journey(platform: Platform) -> None:
    mailbox = platform.mailbox
    # Tuesday 5 January 2027, 10:00 (after 年末年始).
    platform.set_clock(jst(2027, 1, 5, 10, 0))
    async with platform.client("eligibility") as eligibility:
        # Kakegawa certifies by review only: no lottery rounds.
        no_lottery = await eligibility.post(
            f"/v1/municipalities/{KAKEGAWA}/lottery-rounds",
            json={"name": "x", "places": 1},
            headers=platform.officer(KAKEGAWA),
        )
        assert no_lottery.status_code == 409, no_lottery.text

    applicant = Applicant(KAKEGAWA, unique_email("hinata"), "カケガワ ヒナタ", day(2025, 2, 14))
    await register_residents(platform, applicant)
    await apply(platform, applicant)
    family = await approve(platform, applicant)
    [account] = await mailbox.wait_for(family.email, ACCOUNT_MAIL)
    assert "掛川市" in str(account.message["From"])
    await wait_until_booking_knows(platform, family)

    facility_email = unique_email("kakegawa-en")
    facility_id = await register_facility(platform, KAKEGAWA, facility_email)
    await search_finds(platform, family, facility_id)
    await interview_and_acceptance(platform, family, facility_id, d("2027-01-07T10:00:00+09:00"))

    # -- 定期利用 applied for by the guardian, approved by the facility: Thursdays 10–12 -------
    parent = platform.guardian(KAKEGAWA, family.guardian_id)
    staff = platform.staff(KAKEGAWA, facility_id)
    async with platform.client("booking") as booking:
        plan = ok(
            await booking.post(
                "/v1/regular-plans",
                json={
                    "facility_id": facility_id,
                    "child_id": family.child_id,
                    "weekday": 3,
                    "start": "10:00",
                    "end": "12:00",
                    "valid_from": d("2027-01-12"),
                },
                headers=parent,
            ),
            201,
        )
        assert plan["status"] == "applied"
        approved = ok(await booking.post(f"/v1/regular-plans/{plan['id']}/approve", headers=staff))
        generated = ok(
            await booking.post(
                f"/v1/regular-plans/{plan['id']}/generate",
                params={"month": d("2027-01")},
                headers=staff,
            )
        )
    regular, _ = plan_bookings(approved, generated)
    assert sorted(regular) == [d("2027-01-14"), d("2027-01-21"), d("2027-01-28")]

    # -- 柔軟利用 for Wednesday 13 January, booked the evening before ---------------------------
    platform.set_clock(jst(2027, 1, 12, 19, 0))
    # Kakegawa counts whole hours: a 30-minute booking can never succeed.
    half_hour = await book(platform, family, facility_id, day(2027, 1, 13), "09:00", "09:30")
    assert half_hour.status_code == 422, half_hour.text
    wednesday = ok(
        await book(platform, family, facility_id, day(2027, 1, 13), "09:00", "11:00"), 201
    )
    await wait_for_quota(platform, family, d("2027-01"), held_minutes=480, remaining_minutes=120)
    await mailbox.wait_for(family.email, BOOKED_MAIL, count=1)
    await mailbox.wait_for(family.email, REGULAR_BOOKED_MAIL, count=1)
    [reminder] = await mailbox.wait_for(family.email, REMINDER_MAIL)
    assert "1月13日" in mail_text(reminder)

    # -- check-in by 2D code; pickup exactly 10 minutes late (the boundary counts as late) -----
    platform.set_clock(jst(2027, 1, 13, 8, 50))
    await wait_until_attendance_knows(platform, family, facility_id, wednesday["id"])
    # This time the code is read off the facility's display page, as the phone's camera would.
    shown = await code_from_display(platform, KAKEGAWA, facility_id)
    await scan_and_register(
        platform, family, facility_id, wednesday["id"], "check-ins", token=shown
    )
    platform.set_clock(jst(2027, 1, 13, 11, 10))
    checked_out = await scan_and_register(
        platform, family, facility_id, wednesday["id"], "check-outs"
    )
    assert checked_out["late_minutes"] >= 10
    assert checked_out["penalty_minutes"] == 60
    await wait_for_quota(
        platform, family, d("2027-01"), held_minutes=360, consumed_minutes=180, remaining_minutes=60
    )
    [late_pickup] = await mailbox.wait_for(family.email, LATE_PICKUP_MAIL)
    assert "1時間" in mail_text(late_pickup)

    # -- cancellations: 28 Jan before its deadline (noon on 27 Jan) → released;
    #    14 Jan after its deadline (noon on 13 Jan) → consumed.
    platform.set_clock(jst(2027, 1, 13, 11, 30))
    timely = await cancel(platform, family, regular[d("2027-01-28")], "家庭の都合")
    assert timely["consumed_minutes"] == 0
    platform.set_clock(jst(2027, 1, 13, 12, 30))
    late = await cancel(platform, family, regular[d("2027-01-14")], "体調不良")
    assert late["consumed_minutes"] == 120
    await wait_for_quota(
        platform,
        family,
        d("2027-01"),
        held_minutes=120,
        consumed_minutes=300,
        remaining_minutes=180,
    )
    await mailbox.wait_for(family.email, CANCELLED_MAIL, count=2)
    await mailbox.wait_for(facility_email, FACILITY_CANCELLED_MAIL, count=2)

    # -- moving out (転出) on 20 January: the booking of the 21st is cancelled by the system
    # without costing hours; the hours already used stay used; later bookings are refused.
    async with platform.client("eligibility") as eligibility:
        revoked = await eligibility.post(
            f"/v1/municipalities/{KAKEGAWA}/certifications/{family.certification_id}/revoke",
            json={"reason": "moved_out", "effective_date": d("2027-01-20")},
            headers=platform.officer(KAKEGAWA),
        )
        assert revoked.status_code == 200, revoked.text
    await wait_for_quota(
        platform, family, d("2027-01"), held_minutes=0, consumed_minutes=300, remaining_minutes=300
    )
    async with platform.client("booking") as booking:
        voided = ok(await booking.get(f"/v1/bookings/{regular[d('2027-01-21')]}", headers=parent))
    assert (voided["status"], voided["cancelled_by"], voided["consumed_minutes"]) == (
        "cancelled",
        "system",
        0,
    )
    after = await book(platform, family, facility_id, day(2027, 1, 22), "09:00", "10:00")
    assert after.status_code in (409, 422), after.text
    await mailbox.wait_for(family.email, CERTIFICATION_ENDED_MAIL)
    await mailbox.wait_for(family.email, CANCELLED_MAIL, count=3)
    assert set(mailbox.subjects(family.email)) == {
        LINK_MAIL,
        ACCOUNT_MAIL,
        INTERVIEW_MAIL,
        ACCEPTED_MAIL,
        BOOKED_MAIL,
        REGULAR_BOOKED_MAIL,
        REMINDER_MAIL,
        LATE_PICKUP_MAIL,
        CANCELLED_MAIL,
        CERTIFICATION_ENDED_MAIL,
    }
    sent = mailbox.to(family.email)
    assert all("city.kakegawa.example.jp" in str(m.message["From"]) for m in sent)

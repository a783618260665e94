"""The journey's boundaries: a child ageing out mid-month, a municipality officer who must not see
another municipality's children (in any of the four services) — issue 7 — and a family moving
from Chiyoda to Kakegawa mid-month, then a facility closing a day (issue 17: items 3 and 1)."""

from __future__ import annotations

import json

from tests.integration.e2e.conftest import Platform
from tests.integration.e2e.journey import (
    ACCOUNT_MAIL,
    CANCELLED_MAIL,
    CERTIFICATION_ENDED_MAIL,
    CHIYODA,
    KAKEGAWA,
    Applicant,
    Family,
    apply,
    approve,
    book,
    cancel,
    d,
    day,
    jst,
    mail_text,
    ok,
    plan_bookings,
    register_facility,
    register_residents,
    unique_email,
    wait_for_quota,
    wait_until_attendance_knows,
    wait_until_booking_knows,
)


async def certified_family(platform: Platform, applicant: Applicant) -> Family:
    await register_residents(platform, applicant)
    await apply(platform, applicant)
    family = await approve(platform, applicant)
    await platform.mailbox.wait_for(family.email, ACCOUNT_MAIL)
    await wait_until_booking_knows(platform, family)
    return family


async def accepted_at_new_facility(platform: Platform, family: Family) -> str:
    facility_id = await register_facility(platform, family.municipality, unique_email("en"))
    async with platform.client("booking") as booking:
        # A facility registered for this test has no interview history: the officer accepts.
        accepted = await booking.put(
            f"/v1/facilities/{facility_id}/acceptances/{family.child_id}",
            json={"accepted": True, "override_reason": "面談は別途実施済み"},
            headers=platform.officer(family.municipality),
        )
        assert accepted.status_code == 200, accepted.text
    return facility_id


async def test_child_ageing_out_mid_month_keeps_the_hours_already_used(
    platform: Platform,
) -> None:
    # Born 19 Feb 2024: reaches 3 on 18 Feb 2027 (民法143条), so the last usable day is
    # Wednesday 17 February 2027, in the middle of the month.
    birth = day(2024, 2, 19)
    platform.set_clock(jst(2027, 2, 2, 10, 0))
    async with platform.client("eligibility") as eligibility:
        window = ok(
            await eligibility.get(
                "/v1/eligibility/age-window", params={"birth_date": birth.isoformat()}
            )
        )
    assert window["last_usable_day"] == d("2027-02-17")
    family = await certified_family(
        platform, Applicant(KAKEGAWA, unique_email("ren"), "オオブチ レン", birth)
    )
    facility_id = await accepted_at_new_facility(platform, family)

    # 定期利用 on Wednesdays: the 3rd, 10th and 17th are booked; the 24th, after the child
    # turns 3, is not (the generator reports it instead).
    staff = platform.staff(KAKEGAWA, facility_id)
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
                    "valid_from": d("2027-02-03"),
                },
                headers=staff,
            ),
            201,
        )
        generated = ok(
            await booking.post(
                f"/v1/regular-plans/{plan['id']}/generate",
                params={"month": d("2027-02")},
                headers=staff,
            )
        )
    regular, skipped = plan_bookings(plan, generated)
    assert sorted(regular) == [d("2027-02-03"), d("2027-02-10"), d("2027-02-17")]
    assert skipped == [d("2027-02-24")]
    # Any later day is refused outright.
    too_old = await book(platform, family, facility_id, day(2027, 2, 18), "10:00", "11:00")
    assert too_old.status_code == 422, too_old.text

    # The 10th is cancelled after its deadline (noon on the 9th): those hours are used.
    platform.set_clock(jst(2027, 2, 9, 13, 0))
    late = await cancel(platform, family, regular[d("2027-02-10")], "体調不良")
    assert late["consumed_minutes"] == 120
    await wait_for_quota(
        platform,
        family,
        d("2027-02"),
        held_minutes=240,
        consumed_minutes=120,
        remaining_minutes=240,
    )

    # 18 February, just after midnight: the daily cron job ends the certification.
    platform.set_clock(jst(2027, 2, 18, 0, 5))
    run = platform.run_command("eligibility", "expire-aged-out")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"on": d("2027-02-18"), "revoked": 1}
    again = platform.run_command("eligibility", "expire-aged-out", "--on", d("2027-02-18"))
    assert json.loads(again.stdout.strip().splitlines()[-1])["revoked"] == 0  # idempotent

    [ended] = await platform.mailbox.wait_for(family.email, CERTIFICATION_ENDED_MAIL)
    async with platform.client("eligibility") as eligibility:
        certification = ok(
            await eligibility.get(
                f"/v1/municipalities/{KAKEGAWA}/certifications/{family.certification_id}",
                headers=platform.officer(KAKEGAWA),
            )
        )
    assert certification["status"] == "revoked"
    # The hours of the month stay as they were: nothing refunded, nothing charged.
    assert await wait_for_quota(
        platform,
        family,
        d("2027-02"),
        held_minutes=240,
        consumed_minutes=120,
        remaining_minutes=240,
    )
    async with platform.client("booking") as booking:
        last_day = ok(
            await booking.get(
                f"/v1/bookings/{regular[d('2027-02-17')]}",
                headers=platform.guardian(KAKEGAWA, family.guardian_id),
            )
        )
    assert last_day["status"] == "confirmed"  # the last usable day itself was still valid
    assert ended.rcpt_tos == (family.email,)


async def test_an_officer_cannot_see_another_municipalitys_children(platform: Platform) -> None:
    platform.set_clock(jst(2027, 3, 1, 10, 0))  # Monday 1 March 2027
    family = await certified_family(
        platform, Applicant(KAKEGAWA, unique_email("mio"), "サヤマ ミオ", day(2025, 5, 5))
    )
    facility_id = await accepted_at_new_facility(platform, family)
    booked = ok(await book(platform, family, facility_id, day(2027, 3, 2), "10:00", "11:00"), 201)
    platform.set_clock(jst(2027, 3, 2, 9, 0))
    await wait_until_attendance_knows(platform, family, facility_id, booked["id"])

    own, foreign = platform.officer(KAKEGAWA), platform.officer(CHIYODA)
    rival_parent = platform.guardian(CHIYODA, family.guardian_id)  # same id, other ward

    async with platform.client("eligibility") as eligibility:
        mine = f"/v1/municipalities/{KAKEGAWA}/applications/{family.application_id}"
        assert (await eligibility.get(mine, headers=own)).status_code == 200
        # On Kakegawa's path: not Chiyoda's municipality (403); on Chiyoda's own path the
        # record does not exist for it (404), nor does it turn up in a search.
        assert (await eligibility.get(mine, headers=foreign)).status_code == 403
        theirs = f"/v1/municipalities/{CHIYODA}/applications/{family.application_id}"
        assert (await eligibility.get(theirs, headers=foreign)).status_code == 404
        cert = f"/v1/municipalities/{CHIYODA}/certifications/{family.certification_id}"
        assert (await eligibility.get(cert, headers=foreign)).status_code == 404
        search = ok(
            await eligibility.get(
                f"/v1/municipalities/{CHIYODA}/applications",
                params={"q": family.email},
                headers=foreign,
            )
        )
        assert search == []

    async with platform.client("booking") as booking:
        quota_path = f"/v1/children/{family.child_id}/quota"
        assert (await booking.get(quota_path, headers=own)).status_code == 200
        for headers in (foreign, rival_parent):
            assert (await booking.get(quota_path, headers=headers)).status_code == 404
            one = await booking.get(f"/v1/bookings/{booked['id']}", headers=headers)
            assert one.status_code == 404
            listed = ok(
                await booking.get(
                    "/v1/bookings", params={"child_id": family.child_id}, headers=headers
                )
            )
            assert listed == []
        cancelled = await booking.post(
            f"/v1/bookings/{booked['id']}/cancel", json={"reason": "x"}, headers=foreign
        )
        assert cancelled.status_code == 404

    async with platform.client("attendance") as attendance:
        roster = f"/v1/facilities/{facility_id}/roster"
        lines = ok(await attendance.get(roster, params={"day": d("2027-03-02")}, headers=own))
        assert [line["booking_id"] for line in lines["lines"]] == [booked["id"]]
        seen = await attendance.get(roster, params={"day": d("2027-03-02")}, headers=foreign)
        assert seen.status_code == 404 or seen.json()["lines"] == [], seen.text

    async with platform.client("notification") as notification:
        sent = ok(
            await notification.get(
                f"/municipalities/{KAKEGAWA}/mails", params={"status": "sent"}, headers=own
            )
        )
        notice_id = sent["mails"][0]["notice_id"]
        listing = await notification.get(f"/municipalities/{KAKEGAWA}/mails", headers=foreign)
        assert listing.status_code in (403, 404)
        for code in (KAKEGAWA, CHIYODA):
            detail = await notification.get(
                f"/municipalities/{code}/mails/{notice_id}", headers=foreign
            )
            assert detail.status_code == 404


async def test_a_family_moving_mid_month_keeps_one_child_and_one_months_hours(
    platform: Platform,
) -> None:
    """Chiyoda → Kakegawa on Monday 15 March 2027; then Kakegawa's facility closes a day."""
    platform.set_clock(jst(2027, 3, 3, 10, 0))  # Wednesday
    email = unique_email("sora")
    chiyoda = await certified_family(
        platform, Applicant(CHIYODA, email, "イドウ ソラ", day(2025, 6, 6))
    )
    chiyoda_en = await accepted_at_new_facility(platform, chiyoda)
    thursday = ok(await book(platform, chiyoda, chiyoda_en, day(2027, 3, 4), "10:00", "12:00"), 201)
    after_move = ok(
        await book(platform, chiyoda, chiyoda_en, day(2027, 3, 22), "10:00", "11:00"), 201
    )
    # Thursday's booking is cancelled on the day (past 17:00 the day before): 2 hours used.
    platform.set_clock(jst(2027, 3, 4, 8, 0))
    assert (await cancel(platform, chiyoda, thursday["id"], "体調不良"))["consumed_minutes"] == 120
    await wait_for_quota(
        platform,
        chiyoda,
        d("2027-03"),
        held_minutes=60,
        consumed_minutes=120,
        remaining_minutes=420,
    )

    # 15 March: the family lives in Kakegawa now and applies there, the same guardian with the
    # same address. The officer sees the child's certification in Chiyoda before deciding.
    platform.set_clock(jst(2027, 3, 15, 10, 0))
    moving = Applicant(KAKEGAWA, email, "イドウ ソラ", day(2025, 6, 6))
    await register_residents(platform, moving)
    await apply(platform, moving)
    officer = platform.officer(KAKEGAWA)
    async with platform.client("eligibility") as eligibility:
        path = f"/v1/municipalities/{KAKEGAWA}/applications/{moving.application_id}"
        reviewed = ok(await eligibility.get(path, headers=officer))
        [elsewhere] = reviewed["certified_elsewhere"]
        assert (elsewhere["certification_id"], elsewhere["municipality"]) == (
            chiyoda.certification_id,
            CHIYODA,
        )
        assert elsewhere["same_guardian"] is True
        moved = ok(await eligibility.post(f"{path}/approve", json={}, headers=officer))
        # One child: the same id, the same login; Chiyoda's certification ends the day before.
        assert moved["child_id"] == chiyoda.child_id
        assert moved["guardian_id"] == chiyoda.guardian_id
        assert moved["valid_from"] == d("2027-03-15")
        assert moved["moved_from"] == {
            "municipality": CHIYODA,
            "certification_id": chiyoda.certification_id,
            "last_day": d("2027-03-14"),
        }
        old = ok(
            await eligibility.get(
                f"/v1/municipalities/{CHIYODA}/certifications/{chiyoda.certification_id}",
                headers=platform.officer(CHIYODA),
            )
        )
        assert (old["status"], old["revoked_on"], old["revocation_reason"]) == (
            "revoked",
            d("2027-03-15"),
            "moved_out",
        )
    kakegawa = Family(
        municipality=KAKEGAWA,
        email=email,
        application_id=moving.application_id,
        certification_id=str(moved["certification_id"]),
        child_id=chiyoda.child_id,
        guardian_id=chiyoda.guardian_id,
    )
    mails = await platform.mailbox.wait_for(email, ACCOUNT_MAIL, count=2)
    moved_in = f"転入前の市区町村での認定は{day(2027, 3, 14).year}年3月14日"
    assert [moved_in in mail_text(m) for m in mails] == [False, True]
    [ended] = await platform.mailbox.wait_for(email, CERTIFICATION_ENDED_MAIL)
    assert "city.chiyoda" in str(ended.message["From"])

    # The booking at Chiyoda's facility after the move is void at no cost; the two hours used
    # before it stay used: March has 8 hours left, in Kakegawa.
    await wait_for_quota(
        platform,
        kakegawa,
        d("2027-03"),
        held_minutes=0,
        consumed_minutes=120,
        remaining_minutes=480,
    )
    async with platform.client("booking") as booking:
        # The guardian, now Kakegawa's, still sees the Chiyoda booking; so does Chiyoda's officer.
        voided = ok(
            await booking.get(
                f"/v1/bookings/{after_move['id']}",
                headers=platform.guardian(KAKEGAWA, kakegawa.guardian_id),
            )
        )
        ok(await booking.get(f"/v1/bookings/{after_move['id']}", headers=platform.officer(CHIYODA)))
        assert (voided["status"], voided["cancelled_by"], voided["consumed_minutes"]) == (
            "cancelled",
            "system",
            0,
        )
        # The Chiyoda login's old token no longer reaches the child: it lives in Kakegawa now.
        stale = await booking.get(
            f"/v1/children/{kakegawa.child_id}/quota",
            headers=platform.guardian(CHIYODA, kakegawa.guardian_id),
        )
        assert stale.status_code == 404
    await platform.mailbox.wait_for(email, CANCELLED_MAIL)

    # In Kakegawa the month goes on with 8 hours left: 9 do not fit (open 08:00–18:00).
    kakegawa_en = await accepted_at_new_facility(platform, kakegawa)
    too_much = await book(platform, kakegawa, kakegawa_en, day(2027, 3, 17), "09:00", "18:00")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "quota_exceeded")
    assert "残り8時間" in too_much.json()["message_ja"]
    wednesday = ok(
        await book(platform, kakegawa, kakegawa_en, day(2027, 3, 17), "10:00", "12:00"), 201
    )
    await wait_for_quota(
        platform,
        kakegawa,
        d("2027-03"),
        held_minutes=120,
        consumed_minutes=120,
        remaining_minutes=360,
    )

    # 臨時休園 on Wednesday 17th, decided the evening before (past Kakegawa's noon deadline):
    # the facility's own cancellation costs the family nothing.
    platform.set_clock(jst(2027, 3, 16, 19, 0))
    async with platform.client("booking") as booking:
        closed = ok(
            await booking.post(
                f"/v1/facilities/{kakegawa_en}/closures",
                json={"from": d("2027-03-17"), "to": d("2027-03-17"), "reason": "設備点検"},
                headers=platform.staff(KAKEGAWA, kakegawa_en),
            )
        )
    assert [b["id"] for b in closed["cancelled"]] == [wednesday["id"]]
    assert closed["cancelled"][0]["consumed_minutes"] == 0
    await wait_for_quota(
        platform,
        kakegawa,
        d("2027-03"),
        held_minutes=0,
        consumed_minutes=120,
        remaining_minutes=480,
    )
    await platform.mailbox.wait_for(email, CANCELLED_MAIL, count=2)

"""Bad input is a 4xx whose message says what to fix; never a 500."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta

import pytest

from tests.integration.eligibility.conftest import CHIYODA, KAKEGAWA, application_form, officer
from tsuen_common import timeutil
from tsuen_common.timeutil import JST

BIRTH = date(2025, 1, 15)


async def test_age_window_endpoint(service):
    ok = await service.client.get(
        "/v1/eligibility/age-window", params={"birth_date": "2024-04-10", "on": "2027-04-09"}
    )
    assert ok.json() == {
        "first_usable_day": "2024-10-09",
        "last_usable_day": "2027-04-08",
        "eligible_by_age": False,
    }
    no_on = await service.client.get("/v1/eligibility/age-window?birth_date=2024-02-29")
    assert no_on.json() == {"first_usable_day": "2024-08-28", "last_usable_day": "2027-02-27"}
    for bad in ("2024-02-30", "10/04/2024", ""):
        response = await service.client.get(f"/v1/eligibility/age-window?birth_date={bad}")
        assert response.status_code == 422
        assert "YYYY-MM-DD" in str(response.json())
    await _assert_future_birth_date_refused(service)
    bad_on = await service.client.get("/v1/eligibility/age-window?birth_date=2024-04-10&on=x")
    assert bad_on.status_code == 422


async def _assert_future_birth_date_refused(service, today: date | None = None) -> None:
    # Well in the future on any day (replace(year=year + 1) would raise on 29 February).
    future = ((today or timeutil.today_jst()) + timedelta(days=400)).isoformat()
    response = await service.client.get(f"/v1/eligibility/age-window?birth_date={future}")
    assert response.status_code == 422
    assert "after today" in str(response.json())


async def test_future_birth_date_check_runs_on_a_leap_day(service):
    await _assert_future_birth_date_refused(service, today=date(2028, 2, 29))


async def test_duplicate_application_for_the_same_child_is_a_conflict(service):
    assert (await service.apply(KAKEGAWA, kana="ヤマダ タロウ", birth=BIRTH)).status_code == 201
    duplicate = await service.apply(KAKEGAWA, kana="ﾔﾏﾀﾞ ﾀﾛｳ", birth=BIRTH)
    assert duplicate.status_code == 409
    assert "already pending or approved" in duplicate.json()["detail"]
    # A sibling (same e-mail, another child) is a separate application, not a duplicate.
    sibling = await service.apply(KAKEGAWA, kana="ヤマダ ハナ", birth=date(2025, 11, 2))
    assert sibling.status_code == 201


@pytest.mark.parametrize("mark", ["\u200b", "\u00ad", "\u2060", "\u202e"])
async def test_invisible_characters_do_not_make_the_same_child_new(service, mark):
    # Issue 12, item 2: the same child, applied for again with a hidden mark in the reading.
    assert (await service.apply(KAKEGAWA, kana="ヤマダ タロウ", birth=BIRTH)).status_code == 201
    again = await service.apply(KAKEGAWA, kana=f"ヤマ{mark}ダ タロウ", birth=BIRTH)
    assert again.status_code == 409
    assert "already pending or approved" in again.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "😀😀", "名前には文字を"),
        ("name", "\u200b\u200b", "名前には文字を"),
        ("kana", "Taro", "ふりがな"),
        ("kana", "タロウ\x00", "制御文字"),
    ],
)
async def test_names_without_letters_and_readings_that_are_not_kana_are_refused(
    service, field, value, message
):
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    form = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    form["child"] = {**form["child"], field: value}
    refused = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=form)
    assert refused.status_code == 422
    assert message in refused.text


async def test_links_expire_are_single_use_and_belong_to_one_municipality(service):
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    wrong = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications",
        json=application_form(link, kana="ヤマダ タロウ", birth=BIRTH),
    )
    assert wrong.status_code == 404
    assert "not issued by municipality 131016" in wrong.json()["detail"]

    first = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        json=application_form(link, kana="ヤマダ タロウ", birth=BIRTH),
    )
    assert first.status_code == 201
    reused = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        json=application_form(link, kana="ヤマダ ジロウ", birth=BIRTH),
    )
    assert reused.status_code == 410
    assert "already been used" in reused.json()["detail"]

    stale = await service.link_token(KAKEGAWA, "other@example.jp")
    service.clock.advance(hours=24)  # Kakegawa: 受信から1日間有効
    expired = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        json=application_form(stale, kana="スズキ イチロウ", birth=BIRTH),
    )
    assert expired.status_code == 410
    assert "expired" in expired.json()["detail"]

    unknown = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        json=application_form("x" * 43, kana="スズキ イチロウ", birth=BIRTH),
    )
    assert unknown.status_code == 404
    nowhere = await service.client.post(
        "/v1/municipalities/999999/application-links", json={"email": "a@example.jp"}
    )
    assert nowhere.status_code == 404
    assert "municipality code" in nowhere.json()["detail"]


async def test_attachments_are_limited_in_size_and_type(service):
    big = base64.b64encode(b"%PDF" + b"0" * (64 * 1024)).decode()
    oversized = await service.apply(
        KAKEGAWA,
        attachments=[
            {"filename": "scan.pdf", "content_type": "application/pdf", "data_base64": big}
        ],
    )
    assert oversized.status_code == 413
    assert "larger than 64 KiB" in oversized.json()["detail"]
    exe = await service.apply(
        KAKEGAWA,
        attachments=[
            {"filename": "a.exe", "content_type": "application/x-msdownload", "data_base64": "AA=="}
        ],
    )
    assert exe.status_code == 415
    assert "application/pdf" in exe.json()["detail"]
    garbled = await service.apply(
        KAKEGAWA,
        attachments=[{"filename": "a.pdf", "content_type": "application/pdf", "data_base64": "%%"}],
    )
    assert garbled.status_code == 422


async def test_form_problems_name_the_field(service):
    future = await service.apply(KAKEGAWA, birth=date(2026, 6, 2))  # the service's today + 1
    assert future.status_code == 422
    assert "child.birth_date" in future.json()["detail"]
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    body = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    body["consents"]["terms"] = False
    response = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=body)
    assert response.status_code == 422
    assert "consents are required" in str(response.json())


async def test_officers_see_only_their_own_municipality(service):
    submitted = await service.apply(KAKEGAWA, birth=BIRTH)
    application_id = submitted.json()["application_id"]
    foreign_list = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications", headers=officer(CHIYODA)
    )
    assert foreign_list.status_code == 403
    # Through their own municipality's path, another tenant's record does not exist.
    foreign_record = await service.client.get(
        f"/v1/municipalities/{CHIYODA}/applications/{application_id}", headers=officer(CHIYODA)
    )
    assert foreign_record.status_code == 404
    foreign_approve = await service.client.post(
        f"/v1/municipalities/{CHIYODA}/applications/{application_id}/approve",
        headers=officer(CHIYODA),
    )
    assert foreign_approve.status_code == 404
    anonymous = await service.client.get(f"/v1/municipalities/{KAKEGAWA}/applications")
    assert anonymous.status_code == 401


async def test_a_body_too_large_for_any_attachment_is_refused_unread(service):
    response = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "大きすぎます" in response.json()["message_ja"]


async def test_nul_characters_in_a_search_or_a_form_are_a_422_not_a_500(service):
    search = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        params={"q": "ヤマダ\x00"},
        headers=officer(KAKEGAWA),
    )
    assert search.status_code == 422
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    form = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    form["desired_facility_note"] = "午前\x00のみ"
    refused = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=form)
    assert refused.status_code == 422
    assert "制御文字" in refused.json()["message_ja"]


async def test_list_offsets_are_bounded(service):
    huge = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications",
        params={"offset": str(2**63)},
        headers=officer(KAKEGAWA),
    )
    assert huge.status_code == 422


async def test_multipart_form_with_files(service):
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    body = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    body.pop("attachments")
    too_big = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/multipart",
        data={"application": json.dumps(body)},
        files=[("files", ("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * (64 * 1024), "image/png"))],
    )
    assert too_big.status_code == 413
    bad_json = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/multipart",
        data={"application": json.dumps({**body, "child": {}})},
    )
    assert bad_json.status_code == 422
    assert "application" in str(bad_json.json())
    accepted = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/applications/multipart",
        data={"application": json.dumps(body)},
        files=[
            ("files", ("techo.pdf", b"%PDF-1.4 a", "application/pdf")),
            ("files", ("photo.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")),
        ],
    )
    assert accepted.status_code == 201, accepted.text
    detail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{accepted.json()['application_id']}",
        headers=officer(KAKEGAWA),
    )
    assert [(a["filename"], a["content_type"]) for a in detail.json()["attachments"]] == [
        ("photo.jpg", "image/jpeg"),
        ("techo.pdf", "application/pdf"),
    ]


async def test_application_links_are_limited_per_address_and_per_client(service):
    # Issue 12, item 3: one client mailed one victim 30 times in half a second.
    url = f"/v1/municipalities/{KAKEGAWA}/application-links"
    per_address = service.settings.link_requests_per_address_per_hour
    for _ in range(per_address):
        sent = await service.client.post(url, json={"email": "victim@example.jp"})
        assert sent.status_code == 202
    refused = await service.client.post(url, json={"email": "Victim@Example.jp"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "もう一度お試しください" in refused.json()["message_ja"]
    # Another address is still served, until the client's own limit.
    per_client = service.settings.link_requests_per_client_per_hour
    answers = [
        (await service.client.post(url, json={"email": f"p{n}@example.jp"})).status_code
        for n in range(per_client - per_address)
    ]
    assert answers == [202] * (per_client - per_address)
    assert (await service.client.post(url, json={"email": "new@example.jp"})).status_code == 429
    # A new window serves the address again; no more mails were queued than were allowed.
    service.clock.advance(hours=1)
    assert (await service.client.post(url, json={"email": "victim@example.jp"})).status_code == 202
    events = await service.outbox_events("eligibility.ApplicationLinkIssued")
    to_victim = [e for e in events if e["payload"]["email"].lower() == "victim@example.jp"]
    assert len(to_victim) == per_address + 1


async def test_public_replays_are_limited_per_client(service):
    body = {"seed": "s", "places": 1, "applicants": []}
    answers = [
        (await service.client.post("/v1/lottery/replay", json=body)).status_code
        for _ in range(service.settings.replays_per_client_per_minute + 1)
    ]
    assert answers[:-1] == [200] * service.settings.replays_per_client_per_minute
    assert answers[-1] == 429


async def test_attachment_names_with_line_breaks_download_safely(service):
    # Issue 12, item 4: CR/LF in a file name was stored, then the download broke the connection.
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    form = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    form["attachments"][0]["filename"] = "手帳\r\nX-Evil: 1.pdf"
    submitted = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=form)
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["application_id"]
    detail = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}", headers=officer(KAKEGAWA)
    )
    attachment = detail.json()["attachments"][0]
    assert attachment["filename"] == "手帳X-Evil: 1.pdf"
    download = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/applications/{application_id}"
        f"/attachments/{attachment['attachment_id']}",
        headers=officer(KAKEGAWA),
    )
    assert download.status_code == 200
    assert "x-evil" not in download.headers
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%E6%89%8B%E5%B8%B3" in download.headers["content-disposition"]


async def test_an_attachment_whose_content_is_not_its_type_is_refused(service):
    link = await service.link_token(KAKEGAWA, "parent@example.jp")
    form = application_form(link, kana="ヤマダ タロウ", birth=BIRTH)
    form["attachments"][0]["data_base64"] = base64.b64encode(b"<html><script>").decode()
    refused = await service.client.post(f"/v1/municipalities/{KAKEGAWA}/applications", json=form)
    assert refused.status_code == 415
    assert "PDF・JPEG・PNG" in refused.json()["message_ja"]


async def test_links_and_applications_only_inside_the_application_period(service):
    # Issue 17, item 5: Kakegawa takes applications from 2026-02-16.
    service.clock.now = datetime(2026, 2, 15, 23, 59, tzinfo=JST)
    early = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/application-links", json={"email": "early@example.jp"}
    )
    assert early.status_code == 409
    assert "2026年2月16日から" in early.json()["message_ja"]
    listed = await service.client.get("/v1/municipalities")
    assert listed.status_code == 200
    kakegawa = next(m for m in listed.json() if m["code"] == KAKEGAWA)
    assert (kakegawa["name"], kakegawa["prefecture"], kakegawa["phase"]) == (
        "掛川市",
        "静岡県",
        "upcoming",
    )
    assert kakegawa["key_dates"][0]["label_ja"] == "認定証の交付・利用できる施設の公表"
    # Only Chiyoda's policy draws places by lot: the portal offers the lottery form there only.
    holding = {m["code"]: m["holds_lottery"] for m in listed.json()}
    assert (holding[KAKEGAWA], holding[CHIYODA]) == (False, True)
    service.clock.now = datetime(2026, 2, 16, 0, 0, tzinfo=JST)
    opened = await service.client.post(
        f"/v1/municipalities/{KAKEGAWA}/application-links", json={"email": "early@example.jp"}
    )
    assert opened.status_code == 202
    listed = await service.client.get("/v1/municipalities")
    assert next(m for m in listed.json() if m["code"] == KAKEGAWA)["phase"] == "open"


async def test_an_officer_reads_their_own_municipalitys_rules_and_no_others(service):
    mine = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/policy", headers=officer(KAKEGAWA)
    )
    assert mine.status_code == 200
    policy = mine.json()
    assert (policy["code"], policy["quota"]["monthly_cap_minutes"]) == (KAKEGAWA, 600)
    assert policy["cancellation"]["kind"] == "business_days_before_at"
    assert mine.headers["cache-control"] == "no-store"
    others = await service.client.get(
        f"/v1/municipalities/{KAKEGAWA}/policy", headers=officer(CHIYODA)
    )
    assert others.status_code == 403
    anonymous = await service.client.get(f"/v1/municipalities/{KAKEGAWA}/policy")
    assert anonymous.status_code == 401

"""The facility registry: officers register, staff manage their own, guardians search; demo."""

from __future__ import annotations

import uuid

import yaml

from tests.integration.booking.support import (
    CHIYODA,
    KAKEGAWA,
    Harness,
    auth,
    facility_body,
    guardian,
    officer,
    staff,
)
from tsuen_booking.entrypoints.cli import DEMO_FILE, demo_facilities
from tsuen_booking.service_layer import facilities as facility_cases


async def test_officers_register_and_staff_manage_only_their_own(harness: Harness) -> None:
    mine = await harness.register(CHIYODA, name="かんだ保育園", kana="カンダホイクエン")
    other = await harness.register(CHIYODA, name="こうじまち園", kana="コウジマチエン")

    changed = await harness.client.patch(
        f"/v1/facilities/{mine}",
        json={"comments": "持ち物: 着替え", "place_overrides": {"2027-06-09": {"10": 0}}},
        headers=auth(staff(CHIYODA, mine)),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["comments"] == "持ち物: 着替え"
    assert changed.json()["name"] == "かんだ保育園"
    not_mine = await harness.client.patch(
        f"/v1/facilities/{other}", json={"comments": "x"}, headers=auth(staff(CHIYODA, mine))
    )
    assert not_mine.status_code == 404
    not_their_town = await harness.client.patch(
        f"/v1/facilities/{mine}", json={"comments": "x"}, headers=auth(officer(KAKEGAWA))
    )
    assert not_their_town.status_code == 404
    bad_hours = await harness.client.patch(
        f"/v1/facilities/{mine}",
        json={"opening_hours": {"0": {"open": "17:00", "close": "09:00"}}},
        headers=auth(staff(CHIYODA, mine)),
    )
    assert bad_hours.status_code == 422
    assert "before closing" in bad_hours.text
    elsewhere = await harness.client.post(
        f"/v1/municipalities/{KAKEGAWA}/facilities",
        json=facility_body(),
        headers=auth(officer(CHIYODA)),
    )
    assert elsewhere.status_code == 404
    by_parent = await harness.client.post(
        f"/v1/municipalities/{CHIYODA}/facilities",
        json=facility_body(),
        headers=auth(guardian(CHIYODA, uuid.uuid4())),
    )
    assert by_parent.status_code == 403


async def test_guardians_search_by_keyword_and_distance(harness: Harness) -> None:
    near = await harness.register(CHIYODA, name="くだん保育園", lat=35.6950, lon=139.7510)
    far = await harness.register(CHIYODA, name="あきはばら園", lat=35.6984, lon=139.7731)
    await harness.register(KAKEGAWA, name="かけがわ園", lat=34.769, lon=138.014)
    parent = auth(guardian(CHIYODA, uuid.uuid4()))

    found = await harness.client.get("/v1/facilities", params={"q": "くだん"}, headers=parent)
    assert [f["id"] for f in found.json()] == [str(near)]
    around = await harness.client.get(
        "/v1/facilities",
        params={"lat": 35.6940, "lon": 139.7536, "radius_km": 5},
        headers=parent,
    )
    assert [f["id"] for f in around.json()] == [str(near), str(far)]  # nearest first
    assert around.json()[0]["distance_km"] < around.json()[1]["distance_km"]
    literal = await harness.client.get("/v1/facilities", params={"q": "%"}, headers=parent)
    assert literal.json() == []  # a typed % is not a wildcard
    marked = await harness.client.put(f"/v1/favourites/{far}", headers=parent)
    assert marked.status_code == 204
    favourites = await harness.client.get(
        "/v1/facilities", params={"favourites": "true"}, headers=parent
    )
    assert [f["id"] for f in favourites.json()] == [str(far)]
    other_parent = auth(guardian(CHIYODA, uuid.uuid4()))
    theirs = await harness.client.get(
        "/v1/facilities", params={"favourites": "true"}, headers=other_parent
    )
    assert theirs.json() == []
    await harness.client.delete(f"/v1/favourites/{far}", headers=parent)
    favourites = await harness.client.get(
        "/v1/facilities", params={"favourites": "true"}, headers=parent
    )
    assert favourites.json() == []
    kakegawa_parent = auth(guardian(KAKEGAWA, uuid.uuid4()))
    everywhere = await harness.client.get("/v1/facilities", headers=kakegawa_parent)
    assert len(everywhere.json()) == 3  # Kakegawa allows 広域利用


async def test_seed_demo_loads_the_demo_facilities_once(harness: Harness) -> None:
    specs = demo_facilities(yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8")))
    assert await facility_cases.seed(harness.ctx, specs) == len(specs) == 5
    assert await facility_cases.seed(harness.ctx, specs) == 0
    listed = await harness.client.get("/v1/facilities", headers=auth(officer(KAKEGAWA)))
    assert {f["name"] for f in listed.json()} == {"かけがわ中央保育園", "おおすかこども園"}


async def test_search_finds_what_people_type(harness: Harness) -> None:
    # Issue 13, item 6: 「ちゅうおう」 (hiragana for a katakana reading), 「中央 保育園» (two
    # words), 「静岡」 (a prefecture without 県), half-width kana, a municipality's short name.
    central = await harness.register(
        KAKEGAWA,
        name="かけがわ中央保育園",
        kana="カケガワチュウオウホイクエン",
        address="静岡県掛川市長谷1-1",
    )
    other = await harness.register(
        CHIYODA, name="くだん保育園", kana="クダンホイクエン", address="東京都千代田区九段南1"
    )
    officer_headers = auth(officer(KAKEGAWA))

    async def found(**params: str) -> list[str]:
        response = await harness.client.get(
            "/v1/facilities", params=params, headers=officer_headers
        )
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()]

    assert await found(q="ちゅうおう") == [str(central)]
    assert await found(q="中央 保育園") == [str(central)]
    assert await found(q="中央\u3000保育園") == [str(central)]
    assert await found(q="ﾁｭｳｵｳ") == [str(central)]
    assert await found(q="中央 くだん") == []  # every word must match
    assert await found(prefecture="静岡") == [str(central)]
    assert await found(q="掛川") == [str(central)]
    assert await found(q="かけがわ") == [str(central)]
    assert str(other) not in await found(q="保育園")  # an officer sees their municipality only

"""A guardian's booking form sent twice (a double tap, a reload of the POST, the portal's own
retry after a lost answer) makes one booking (issue 18): the portal sends an Idempotency-Key
derived from the form's CSRF token, masked afresh on every rendered form, and booking answers
the second send with the first one's booking. Real services as processes, plain HTTP."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.integration.e2e.journey import register_facility, unique_email
from tests.integration.e2e.journey import wait_until_booking_knows as booking_knows
from tests.integration.portal.platform import GuardianPlatform
from tests.integration.portal.test_facility_pages import accepted
from tests.integration.portal.test_guardian_journey import (
    PASSWORD,
    bookable_day,
    certified_family,
)

KAKEGAWA = "222135"


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None, name
    return found.group(1)


async def test_a_booking_form_sent_twice_books_once(guardians: GuardianPlatform) -> None:
    gp = guardians
    family = await certified_family(gp, "sora", "カケガワ ソラ")
    await booking_knows(gp.platform, family)
    facility_id = await register_facility(gp.platform, KAKEGAWA, unique_email("tsubame"))
    await accepted(gp, family, facility_id)
    day = bookable_day()
    week = day.fromordinal(day.toordinal() - day.weekday())

    async with httpx.AsyncClient(base_url=gp.portal.url) as browser:
        link = await gp.link_in_mail(family.email, "/password/set")
        shown = await browser.get(link)
        await browser.post(
            "/password/set",
            data={
                "csrf_token": _field(shown.text, "csrf_token"),
                "token": _field(shown.text, "token"),
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
        login = await browser.get("/login")
        signed_in = await browser.post(
            "/login",
            data={
                "csrf_token": _field(login.text, "csrf_token"),
                "email": family.email,
                "password": PASSWORD,
                "next": "/",
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        page = await browser.get(f"/facilities/{facility_id}", params={"week": week.isoformat()})
        assert page.status_code == 200, page.text
        form = {
            "csrf_token": _field(page.text, "csrf_token"),
            "child": family.child_id,
            "day": day.isoformat(),
            "start": "10:00",
            "end": "11:00",
        }

        answers = await asyncio.gather(
            *(browser.post(f"/facilities/{facility_id}/book", data=form) for _ in range(2))
        )
        again = await browser.post(f"/facilities/{facility_id}/book", data=form)

    places = {a.headers.get("location") for a in (*answers, again)}
    assert [a.status_code for a in (*answers, again)] == [303, 303, 303], [
        a.text for a in (*answers, again)
    ]
    assert len(places) == 1  # the same booking's page, three times
    async with gp.platform.client("booking") as booking:
        mine = await booking.get(
            "/v1/bookings",
            params={"child_id": family.child_id},
            headers=gp.platform.guardian(family.municipality, family.guardian_id),
        )
    assert [b["status"] for b in mine.json()] == ["confirmed"]

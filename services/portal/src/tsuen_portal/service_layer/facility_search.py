"""施設をさがす: what each way of searching shows, asked of booking (and eligibility's public
list of municipalities) with the guardian's token. Booking decides which facilities the
guardian may see; the portal only orders and explains."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tsuen_portal.domain.facility_search import (
    Contact,
    Point,
    area_answer,
    latest_contacts,
    most_recent_first,
    nearest_first,
)
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.public_links import municipalities


@dataclass(frozen=True)
class Card:
    id: str
    name: str
    address: str
    facility_type: str
    comments: str
    municipality: str
    location: Point | None
    favourite: bool = False


@dataclass(frozen=True)
class Listed:
    """One result line: the facility, and what this way of searching adds to it."""

    card: Card
    distance_km: float | None = None
    contact: Contact | None = None


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    prefecture: str


@dataclass
class Results:
    listed: list[Listed] = field(default_factory=list)
    # 都道府県・市区町村から: "list", "none" or "not_allowed" (domain.area_answer)
    answer: str = "list"
    places: list[Place] = field(default_factory=list)


def _card(body: dict[str, Any], favourites: set[str] | None = None) -> Card:
    lat, lon = body.get("lat"), body.get("lon")
    return Card(
        id=str(body["id"]),
        name=str(body["name"]),
        address=str(body.get("address") or ""),
        facility_type=str(body.get("facility_type") or ""),
        comments=str(body.get("comments") or ""),
        municipality=str(body.get("municipality") or ""),
        location=Point(float(lat), float(lon)) if lat is not None and lon is not None else None,
        favourite=str(body["id"]) in (favourites or set()),
    )


async def _search(api: Backends, token: str, params: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.booking.get("/v1/facilities", token, params)
    return found


async def by_keyword(api: Backends, token: str, keyword: str) -> Results:
    """Name, reading or address (booking's search); an empty keyword lists them all."""
    found = await _search(api, token, {"q": keyword} if keyword else {})
    return Results([Listed(_card(f)) for f in found])


async def near(api: Backends, token: str, here: Point) -> Results:
    """Every facility the guardian may use, the nearest first. Booking can sort by distance
    too, but it leaves out facilities without coordinates; here they are listed after."""
    found = [_card(f) for f in await _search(api, token, {})]
    ordered = nearest_first(((c, c.location) for c in found), here)
    return Results([Listed(c, distance_km=d) for c, d in ordered])


async def places(api: Backends) -> list[Place]:
    """The municipalities on the platform (eligibility's public list), by prefecture."""
    found = await municipalities(api.eligibility)
    return sorted(
        (Place(m.code, m.name, m.prefecture) for m in found),
        key=lambda p: (p.prefecture, p.code),
    )


async def in_area(api: Backends, token: str, own: str, chosen: str) -> Results:
    """The facilities of ``chosen`` that booking lets the guardian use. For another
    municipality, booking shows nothing unless the guardian's own allows 広域利用; the page
    then says so rather than asking anything wider."""
    found, every = await asyncio.gather(
        _search(api, token, {"municipality": chosen}), _search(api, token, {})
    )
    others = any(str(f.get("municipality")) != own for f in every)
    return Results(
        [Listed(_card(f)) for f in found], answer=area_answer(own, chosen, len(found), others)
    )


async def favourites(api: Backends, token: str) -> Results:
    found = await _search(api, token, {"favourites": "true"})
    return Results([Listed(_card(f, {str(f["id"]) for f in found})) for f in found])


def _day(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


def _interview_day(body: dict[str, Any]) -> date | None:
    """The day it was held or fixed for; a request without a date counts by its latest
    suggested time (the guardian asked then)."""
    fixed = body.get("held_at") or body.get("starts_at")
    if fixed:
        return _day(fixed)
    proposed = [d for d in (_day(p) for p in body.get("proposed_times") or []) if d]
    return max(proposed) if proposed else None


async def history(api: Backends, token: str) -> Results:
    """Facilities where the guardian had a booking or an interview, the most recent first."""
    used, uses, asked = await asyncio.gather(
        _search(api, token, {"used_before": "true"}),
        api.booking.get("/v1/bookings", token),
        api.booking.get("/v1/interviews", token),
    )
    contacts = latest_contacts(
        [(str(b["facility_id"]), _day(b.get("use_date"))) for b in uses],
        [(str(i["facility_id"]), _interview_day(i)) for i in asked],
    )
    cards = {str(f["id"]): _card(f) for f in used}
    return Results(
        [
            Listed(cards[c.facility_id], contact=c)
            for c in most_recent_first(contacts.values())
            if c.facility_id in cards  # booking no longer lets the guardian see it: left out
        ]
    )

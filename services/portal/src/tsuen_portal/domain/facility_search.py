"""施設をさがす: the rules of the ways to search that the portal orders itself — by distance
from where the guardian stands (現在地から) and by the most recent interview or use (利用・面談の
履歴). Pure functions: no I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

# The mean Earth radius (IUGG): the haversine error is under 0.5 %, far below what a
# guardian choosing a nursery by "1.2 km" can notice.
EARTH_RADIUS_KM = 6371.0088

MODES = ("keyword", "near", "area", "favourites", "history")


def search_mode(value: str) -> str:
    """The way of searching asked for; anything unknown is the keyword search."""
    return value if value in MODES else "keyword"


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float


def current_location(lat: str, lng: str) -> Point | None:
    """The coordinates the browser sent, or None when either is missing, not a number, or
    off the globe (a hand-typed URL): the page then explains instead of sorting by nonsense."""
    try:
        point = Point(float(lat), float(lng))
    except ValueError:
        return None
    if not (math.isfinite(point.lat) and math.isfinite(point.lng)):
        return None
    if not (-90.0 <= point.lat <= 90.0 and -180.0 <= point.lng <= 180.0):
        return None
    return point


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


F = TypeVar("F")


def nearest_first(
    found: Iterable[tuple[F, Point | None]], here: Point
) -> list[tuple[F, float | None]]:
    """Each facility (with its location) and its distance from ``here``, the nearest first;
    facilities with no coordinates come after all others, in the order they came (their
    distance is None): the guardian still sees them, just not ranked."""
    located: list[tuple[F, float]] = []
    unknown: list[tuple[F, float | None]] = []
    for f, point in found:
        if point is None:
            unknown.append((f, None))
        else:
            located.append((f, distance_km(here, point)))
    located.sort(key=lambda pair: pair[1])  # stable: equal distances keep their order
    return [*located, *unknown]


@dataclass(frozen=True)
class Contact:
    """The guardian's latest interview or use at a facility."""

    facility_id: str
    day: date | None  # None: an interview asked for, no date fixed yet
    kind: str  # "use" or "interview"


def latest_contacts(
    uses: Sequence[tuple[str, date | None]], interviews: Sequence[tuple[str, date | None]]
) -> dict[str, Contact]:
    """Per facility, the most recent day the guardian had a booking or an interview there
    (facility id, day) → the latest, a dated one over an undated request."""
    latest: dict[str, Contact] = {}
    for kind, rows in (("use", uses), ("interview", interviews)):
        for facility_id, day in rows:
            seen = latest.get(facility_id)
            if seen is None or (day is not None and (seen.day is None or day > seen.day)):
                latest[facility_id] = Contact(facility_id, day, kind)
    return latest


def most_recent_first(contacts: Iterable[Contact]) -> list[Contact]:
    """The history in the order a guardian looks for it: the most recent day first, then
    interviews still waiting for a date."""
    every = list(contacts)
    dated = sorted(
        (c for c in every if c.day is not None),
        key=lambda c: (c.day or date.min, c.facility_id),
        reverse=True,
    )
    return [*dated, *(c for c in every if c.day is None)]


def area_answer(own: str, chosen: str, found: int, others_visible: bool) -> str:
    """What 都道府県・市区町村から shows for ``chosen``: "list" when booking gave facilities;
    "not_allowed" when it is another municipality and booking shows the guardian none outside
    their own (their municipality does not allow 広域利用 — booking's rule, not widened here);
    "none" when the municipality simply has no facility on the platform yet."""
    if found:
        return "list"
    if chosen != own and not others_visible:
        return "not_allowed"
    return "none"

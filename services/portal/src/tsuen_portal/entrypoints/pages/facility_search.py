"""施設をさがす: one GET page with five ways to search (``mode``): keyword, 現在地から (the
coordinates static/facility-search.js puts in the form), 都道府県・市区町村から, お気に入り and
利用・面談の履歴. Every way is a plain GET form or link; scripts only fill in the location and,
with htmx, swap the results in place."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_portal.domain.facility_search import current_location, search_mode
from tsuen_portal.entrypoints.pages.guardian import guardian_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import facility_search as search

router = APIRouter(include_in_schema=False)

TABS = (
    ("keyword", N_("Search by keyword")),
    ("near", N_("Near me")),
    ("area", N_("Prefecture and municipality")),
    ("favourites", N_("Your favourites")),
    ("history", N_("Interviews and use")),
)

# Why 現在地から has no coordinates: the script says what the browser answered (``geo``);
# without the script (or before it ran) the form arrives with neither.
LOCATION_PROBLEMS = {
    "denied": N_(
        "Your location was not shared, so we cannot sort by distance. To use it, allow "
        "location for this site in your browser's settings. You can also search by keyword "
        "or by municipality."
    ),
    "unavailable": N_(
        "Your phone could not find where you are just now. Try again outdoors, or search by "
        "keyword or by municipality."
    ),
    "unsupported": N_(
        "This browser cannot share your location. Search by keyword or by municipality instead."
    ),
    "": N_(
        "We could not get your location. Current location needs JavaScript and your "
        "permission to share location. You can also search by keyword or by municipality."
    ),
}


@router.get("/facilities")
async def facility_search(
    page: PageDep,
    mode: str = "",
    q: str = "",
    lat: str = "",
    lng: str = "",
    geo: str = "",
    locate: str = "",
    municipality: str = "",
    done: str = "",
) -> Response:
    """施設をさがす; ``locate`` marks a sent 現在地 form (with or without coordinates)."""
    account, token = await guardian_token(page, only_guardians=True)
    api = page.portal.backends
    chosen = search_mode(mode)
    keyword = q.strip()[:100]
    here = current_location(lat[:32], lng[:32])
    problem = ""
    places: list[search.Place] = []
    results = search.Results()
    if chosen == "keyword":
        results = await search.by_keyword(api, token, keyword)
    elif chosen == "near":
        if here is not None:
            results = await search.near(api, token, here)
        elif locate or geo:
            problem = LOCATION_PROBLEMS.get(geo, LOCATION_PROBLEMS[""])
    elif chosen == "area":
        places = await search.places(api)
        codes = {p.code for p in places}
        area = municipality if municipality in codes else ""
        if not area and account.municipality in codes:
            area = account.municipality or ""
        municipality = area
        if area:
            results = await search.in_area(api, token, account.municipality or "", area)
    elif chosen == "favourites":
        results = await search.favourites(api, token)
    else:
        results = await search.history(api, token)
    notice = N_("Removed from your favourites") if done == "unfavourite" else ""
    return await page.render(
        "facilities.html",
        form=chosen == "favourites",
        mode=chosen,
        tabs=TABS,
        q=keyword,
        here=here,
        problem=problem,
        places=places,
        municipality=municipality,
        place_names={p.code: p.name for p in places},
        results=results,
        notice=notice,
    )

"""抽選: the officer's rounds (open one, draw it, record a decline: the next 補欠 moves up) and
the public page of a round, where anyone re-runs a revealed draw through eligibility's replay.

Each officer action is a POST (CSRF) followed by a redirect to the round's page with what was
done; eligibility's refusals are shown in its words (``message_ja``). Another municipality's
round is eligibility's 404, so the page is a 404 exactly like a missing round.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.lottery import NAME_MAX, places_asked
from tsuen_portal.entrypoints.access import officer_token
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import Page, PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import lottery, public_links
from tsuen_portal.service_layer.officer import Refused

router = APIRouter(include_in_schema=False)

MUNICIPALITY_CODE = re.compile(r"\d{6}")
DONE = {
    "opened": N_(
        "The round is open. Its hash is published now; the seed stays secret until the draw."
    ),
    "closed": N_("The entries are closed. Their list is published; the seed stays secret."),
    "drawn": N_("The draw is made. The seed is revealed and the results are published."),
    "declined": N_("The decline is recorded."),
}


def _round_id(value: str) -> str:
    round_id = lottery.round_id_or_none(value)
    if round_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return round_id


async def _rounds_page(
    page: Page,
    *,
    errors: FormErrors | None = None,
    refused: Refused | None = None,
    name: str = "",
    places: str = "",
    status_code: int = 200,
) -> Response:
    account, token = await officer_token(page)
    rounds = await lottery.rounds(page.portal.backends.eligibility, account, token)
    towns = await public_links.municipalities(page.portal.backends.eligibility)
    # A town whose policy holds no lottery is told so, not offered a form that can only fail
    # (unknown: the form stays, and eligibility has the last word).
    here = next((m for m in towns if m.code == account.municipality), None)
    return await page.render(
        "officer_lottery.html",
        status_code,
        holds_lottery=here is None or here.holds_lottery,
        rounds=rounds,
        round_statuses=lottery.ROUND_STATUSES,
        errors=errors or FormErrors(),
        refused=refused,
        round_name=name,
        places=places,
    )


@router.get("/officer/lottery")
async def rounds(page: PageDep) -> Response:
    return await _rounds_page(page)


@router.post("/officer/lottery")
async def open_round(page: PageDep) -> Response:
    account, token = await officer_token(page)
    form = await page.form()
    name = form.get("name", "").strip()
    places_text = form.get("places", "").strip()
    places = places_asked(places_text)
    errors = FormErrors()
    if not name:
        errors.add("name", N_("Write the name of the round"))
    elif len(name) > NAME_MAX:
        errors.add("name", N_("Write the name in 100 characters or fewer"))
    if places is None:
        errors.add("places", N_("Write the number of places as a whole number from 1"))
    if errors or places is None:
        return await _rounds_page(
            page, errors=errors, name=name, places=places_text, status_code=400
        )
    opened = await lottery.open_round(
        page.portal.backends.eligibility, account, token, name, places
    )
    if isinstance(opened, Refused):
        return await _rounds_page(
            page, refused=opened, name=name, places=places_text, status_code=409
        )
    return page.redirect(f"/officer/lottery/{opened}?done=opened")


async def _round_page(
    page: Page,
    round_id: str,
    *,
    done: str = "",
    promoted: str = "",
    refused: Refused | None = None,
    status_code: int = 200,
) -> Response:
    account, token = await officer_token(page)
    try:
        rnd, candidates = await lottery.officer_round(
            page.portal.backends.eligibility, account, token, round_id
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    moved_up = next((e for e in rnd.entries if e.application_id == promoted), None)
    return await page.render(
        "officer_lottery_round.html",
        status_code,
        r=rnd,
        candidates=candidates,
        round_statuses=lottery.ROUND_STATUSES,
        outcomes=lottery.OUTCOMES,
        done=DONE.get(done, ""),
        declined=done == "declined",
        moved_up=moved_up,
        refused=refused,
    )


@router.get("/officer/lottery/{round_id}")
async def round_page(round_id: str, page: PageDep, done: str = "", promoted: str = "") -> Response:
    return await _round_page(page, _round_id(round_id), done=done, promoted=promoted)


@router.post("/officer/lottery/{round_id}/{step}")
async def close_or_draw(round_id: str, step: str, page: PageDep) -> Response:
    """締切 (``close``) or 抽選 (``draw``; an open round is closed and drawn at once)."""
    account, token = await officer_token(page)
    rid = _round_id(round_id)
    steps = {"close": (lottery.close, "closed"), "draw": (lottery.draw, "drawn")}
    if step not in steps:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    await page.form()
    take, done = steps[step]
    try:
        refused = await take(page.portal.backends.eligibility, account, token, rid)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if refused is not None:
        return await _round_page(page, rid, refused=refused, status_code=409)
    return page.redirect(f"/officer/lottery/{rid}?done={done}")


@router.post("/officer/lottery/{round_id}/entries/{application_id}/decline")
async def decline(round_id: str, application_id: str, page: PageDep) -> Response:
    account, token = await officer_token(page)
    rid, app_id = _round_id(round_id), _round_id(application_id)
    await page.form()
    try:
        declined = await lottery.decline(
            page.portal.backends.eligibility, account, token, rid, app_id
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    if isinstance(declined, Refused):
        return await _round_page(page, rid, refused=declined, status_code=409)
    return page.redirect(f"/officer/lottery/{rid}?done=declined&promoted={declined}")


async def _published(page: Page, municipality: str, round_id: str) -> lottery.Round:
    if not MUNICIPALITY_CODE.fullmatch(municipality):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        return await lottery.public_round(
            page.portal.backends.eligibility, municipality, _round_id(round_id)
        )
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None


async def _public_page(
    page: Page, rnd: lottery.Round, replayed: lottery.Replayed | None = None
) -> Response:
    towns = await public_links.municipalities(page.portal.backends.eligibility)
    return await page.render(
        "lottery_public.html",
        form=rnd.drawn,
        r=rnd,
        municipality_name=next((m.name for m in towns if m.code == rnd.municipality), ""),
        round_statuses=lottery.ROUND_STATUSES,
        outcomes=lottery.OUTCOMES,
        replayed=replayed,
    )


@router.get("/lottery/{municipality}/{round_id}")
async def public_round(municipality: str, round_id: str, page: PageDep) -> Response:
    return await _public_page(page, await _published(page, municipality, round_id))


@router.post("/lottery/{municipality}/{round_id}/replay")
async def replay(municipality: str, round_id: str, page: PageDep) -> Response:
    """Anyone re-runs the revealed draw: eligibility's replay from the published inputs."""
    await page.form()
    rnd = await _published(page, municipality, round_id)
    if not rnd.drawn:
        return page.redirect(f"/lottery/{municipality}/{rnd.id}")
    replayed = await lottery.replay(page.portal.backends.eligibility, rnd)
    return await _public_page(page, rnd, replayed)


@router.get("/lottery/{municipality}/{round_id}/replay")
async def replay_again(municipality: str, round_id: str, page: PageDep) -> Response:
    """The language switch on a re-run's answer links here: back to the round's page (the
    chosen language is remembered by the redirect's cookie)."""
    await _published(page, municipality, round_id)
    return page.redirect(f"/lottery/{municipality}/{round_id}")

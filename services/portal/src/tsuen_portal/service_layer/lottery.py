"""The lottery rounds (抽選) through eligibility: the officer's list, a round with its entries,
opening, drawing and recording a decline (the next 補欠 moves up); and the public round with
its re-run through eligibility's replay.

Eligibility keeps every rule and the tenancy: the officer's token only opens their own
municipality, another municipality's round is its 404. The public round (no token) carries ids
and hashes only; names come from the officer-only entries endpoint and never reach the public
page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tsuen_portal.adapters.backends import (
    BackendNotFound,
    BackendRefused,
    ServiceApi,
    _message_ja,
    _raise_for_service,
)
from tsuen_portal.domain.lottery import DrawnLists, Entry, drawn_lists, replay_matches
from tsuen_portal.domain.sessions import Account
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.officer import Refused

ROUND_STATUSES = {
    "open": N_("Taking entries"),
    "closed": N_("Entries closed"),
    "drawn": N_("Drawn"),
}
OUTCOMES = {
    "won": N_("Won"),
    "promoted": N_("Moved up from the waiting list"),
    "waitlisted": N_("On the waiting list"),
    "accepted": N_("Place taken up"),
    "declined": N_("Declined"),
    "lapsed": N_("Deadline passed"),
    "rejected": N_("Rejected"),
    "not_selected": N_("Not selected"),
}


@dataclass(frozen=True)
class Round:
    id: str
    municipality: str
    name: str
    places: int
    status: str
    seed_hash: str
    opened_at: datetime
    drawn_at: datetime | None
    seed: str  # "" until the draw reveals it
    applicants: list[dict[str, Any]] = field(default_factory=list)  # as published
    entries: list[Entry] = field(default_factory=list)  # ids and outcomes, as published
    published: dict[str, Any] = field(default_factory=dict)  # what a replay needs

    @property
    def drawn(self) -> bool:
        return self.status == "drawn"

    @property
    def lists(self) -> DrawnLists:
        return drawn_lists(self.entries)


@dataclass(frozen=True)
class Candidate:
    """An application an open round's draw would take (officer's page)."""

    application_id: str
    child_name: str
    submitted_at: datetime


@dataclass(frozen=True)
class Replayed:
    matches: bool
    seed_matches: bool
    order: list[str]
    winners: list[str]


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _round(body: dict[str, Any], names: dict[str, str] | None = None) -> Round:
    names = names or {}
    entries = [
        Entry(
            application_id=str(r["application_id"]),
            draw_position=int(r["draw_position"]),
            outcome=str(r["outcome"]),
            waitlist_position=r.get("waitlist_position"),
            acceptance_deadline=_day(r.get("acceptance_deadline")),
            child_name=names.get(str(r["application_id"]), ""),
        )
        for r in body.get("results") or []
    ]
    opened = _instant(body["opened_at"])
    assert opened is not None
    return Round(
        id=str(body["round_id"]),
        municipality=str(body["municipality"]),
        name=str(body["name"]),
        places=int(body["places"]),
        status=str(body["status"]),
        seed_hash=str(body["seed_hash"]),
        opened_at=opened,
        drawn_at=_instant(body.get("drawn_at")),
        seed=str(body.get("seed") or ""),
        applicants=list(body.get("applicants") or []),
        entries=entries,
        published={
            key: body.get(key)
            for key in ("priority_tiers", "siblings_together", "waitlist_enabled")
        },
    )


def _rounds_path(municipality: str) -> str:
    return f"/v1/municipalities/{municipality}/lottery-rounds"


async def rounds(eligibility: ServiceApi, account: Account, token: str) -> list[Round]:
    body = await eligibility.get(_rounds_path(str(account.municipality)), token)
    return [_round(r) for r in body]


async def officer_round(
    eligibility: ServiceApi, account: Account, token: str, round_id: str
) -> tuple[Round, list[Candidate]]:
    """The round with the children's names, and (while open) whom its draw would take."""
    path = f"{_rounds_path(str(account.municipality))}/{round_id}"
    body = await eligibility.get(path, token)
    entries = await eligibility.get(f"{path}/entries", token)
    names = {str(e["application_id"]): str(e.get("child_name") or "") for e in entries}
    candidates = [
        Candidate(
            application_id=str(e["application_id"]),
            child_name=str(e.get("child_name") or ""),
            submitted_at=datetime.fromisoformat(str(e["submitted_at"])),
        )
        for e in entries
        if e.get("outcome") is None
    ]
    return _round(body, names), candidates


async def public_round(eligibility: ServiceApi, municipality: str, round_id: str) -> Round:
    """The round as anyone sees it (no token): hash; after the draw seed, list and order."""
    response = await eligibility.send("GET", f"{_rounds_path(municipality)}/{round_id}")
    if response.status_code == 422:  # a malformed code: nothing there
        raise BackendNotFound(round_id)
    _raise_for_service(response)
    return _round(response.json())


def _refused(response: Any, fallback: str) -> Refused:
    return Refused(_message_ja(response) or fallback)


async def open_round(
    eligibility: ServiceApi, account: Account, token: str, name: str, places: int
) -> str | Refused:
    """The new round's id, or eligibility's reason (a municipality that holds no lottery)."""
    response = await eligibility.send(
        "POST",
        _rounds_path(str(account.municipality)),
        token,
        json={"name": name, "places": places},
    )
    if response.status_code == 201:
        return str(response.json()["round_id"])
    if response.status_code in (403, 404):
        raise BackendNotFound(str(account.municipality))
    return _refused(response, N_("The round could not be opened. Reload the page."))


async def close(
    eligibility: ServiceApi, account: Account, token: str, round_id: str
) -> Refused | None:
    """締切: the list of entries is fixed and published; the seed stays secret."""
    fallback = N_("The entries were not closed. Reload the page.")
    return await _step(eligibility, account, token, round_id, "close", fallback)


async def draw(
    eligibility: ServiceApi, account: Account, token: str, round_id: str
) -> Refused | None:
    fallback = N_("The draw was not made. Reload the page.")
    return await _step(eligibility, account, token, round_id, "draw", fallback)


async def _step(
    eligibility: ServiceApi,
    account: Account,
    token: str,
    round_id: str,
    step: str,
    fallback: str,
) -> Refused | None:
    response = await eligibility.send(
        "POST", f"{_rounds_path(str(account.municipality))}/{round_id}/{step}", token
    )
    if response.status_code == 200:
        return None
    if response.status_code in (403, 404):
        raise BackendNotFound(round_id)
    return _refused(response, fallback)


async def decline(
    eligibility: ServiceApi, account: Account, token: str, round_id: str, application_id: str
) -> str | Refused:
    """Record the decline: the promoted 補欠's application id ("" if nobody moved up)."""
    response = await eligibility.send(
        "POST",
        f"{_rounds_path(str(account.municipality))}/{round_id}/entries/{application_id}/decline",
        token,
    )
    if response.status_code == 200:
        return str(response.json().get("promoted") or "")
    if response.status_code in (403, 404):
        raise BackendNotFound(application_id)
    return _refused(response, N_("The decline was not recorded. Reload the page."))


async def replay(eligibility: ServiceApi, rnd: Round) -> Replayed:
    """Re-run the draw through eligibility's public replay from what the round published,
    with the hash published before the draw (a seed that does not match it is a 422)."""
    body = {
        "seed": rnd.seed,
        "seed_hash": rnd.seed_hash,
        "places": rnd.places,
        "applicants": rnd.applicants,
        **rnd.published,
    }
    response = await eligibility.send("POST", "/v1/lottery/replay", json=body)
    if response.status_code == 422:
        return Replayed(matches=False, seed_matches=False, order=[], winners=[])
    if response.status_code != 200:
        raise BackendRefused(f"/v1/lottery/replay: {response.status_code}")
    answer = response.json()
    order = [str(i) for i in answer["order"]]
    winners = [str(i) for i in answer["winners"]]
    return Replayed(
        matches=replay_matches(rnd.entries, order, winners),
        seed_matches=True,
        order=order,
        winners=winners,
    )


def round_id_or_none(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None

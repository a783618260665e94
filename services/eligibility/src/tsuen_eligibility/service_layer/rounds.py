"""Intake rounds (抽選): opening one, reading one, and the applicant list a round publishes.

How a round meets approval (documented in docs/eligibility.md):
1. An officer opens a round (places; optionally one facility). Its seed is generated and only
   ``sha256(seed)`` is shown, publicly, from then on.
2. Applications arriving while the round is open wait for it: they cannot be approved before
   the draw (waitlist.check_may_approve).
3. The draw (round_draw.py) takes every pending application of the municipality (of the
   facility, for a facility round) that is in no round yet, publishes that list (ids, tiers,
   family tokens), reveals the seed and records the order. Winners get an acceptance deadline;
   the others become 補欠. A round may be closed first (round_close.py): the draw then draws the
   list published at the close.
4. Winners and promoted 補欠 are approved (or rejected) by an officer as usual; approval counts
   as taking up the place. A decline, a rejection or a lapsed deadline promotes the next 補欠
   (waitlist.py).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters import lottery_store
from tsuen_eligibility.domain.lottery import Applicant, new_seed, seed_commitment
from tsuen_eligibility.service_layer.commands import OpenRoundRequest
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import ROUND_NOT_FOUND_JA, Conflict, NotFound


def family_tokens(emails: Iterable[str]) -> dict[str, str]:
    """A random token per family (guardian e-mail) for one round's published applicant list.

    Siblings share the guardian's e-mail, so they share the token and are grouped on the public
    list. The token is random and drawn anew for each round, so unlike a hash of the e-mail it
    cannot be recomputed by someone who knows an address, nor linked across rounds. The draw
    uses it only for grouping, so the replay from the published list stays deterministic.
    """
    tokens: dict[str, str] = {}
    for email in emails:
        key = email.strip().lower()
        if key not in tokens:
            tokens[key] = secrets.token_hex(8)
    return tokens


def applicant_list(rows: Iterable[Row[Any]], tiers: Iterable[str]) -> list[Applicant]:
    """The list a draw publishes, from the applications (sorted by id: it does not leak the
    order of submission): id, tier if it is one of the round's, the family's token."""
    rows = list(rows)
    tiers = list(tiers)
    families = family_tokens(r.guardian_email for r in rows)
    return [
        Applicant(
            application_id=r.id,
            tier=r.priority_tier if r.priority_tier in tiers else None,
            family=families[r.guardian_email.strip().lower()],
        )
        for r in rows
    ]


def applicant_json(a: Applicant) -> dict[str, Any]:
    """An applicant as the round's published list keeps it."""
    return {"application_id": str(a.application_id), "tier": a.tier, "family": a.family}


def published_applicant(item: dict[str, Any]) -> Applicant:
    return Applicant(
        application_id=uuid.UUID(str(item["application_id"])),
        tier=item.get("tier"),
        family=item.get("family"),
    )


def round_view(row: Row[Any], entries: list[Row[Any]] | None = None) -> dict[str, Any]:
    drawn = row.status == "drawn"
    view: dict[str, Any] = {
        "round_id": row.id,
        "municipality": row.municipality,
        "facility_id": row.facility_id,
        "name": row.name,
        "places": row.places,
        "status": row.status,
        "seed_hash": row.seed_hash,
        "priority_tiers": row.priority_tiers,
        "siblings_together": row.siblings_together,
        "waitlist_enabled": row.waitlist_enabled,
        "opened_at": row.opened_at,
        "drawn_at": row.drawn_at,
        # Revealed only after the draw: before it, the seed would let anyone predict the order.
        "seed": row.seed if drawn else None,
        # The list is published when the round closes (or at the draw, closed and drawn at once).
        "applicants": row.applicants if row.status in ("closed", "drawn") else None,
    }
    if drawn and entries is not None:
        view["order"] = [e.application_id for e in sorted(entries, key=lambda e: e.draw_position)]
        view["results"] = [
            {
                "application_id": e.application_id,
                "draw_position": e.draw_position,
                "outcome": e.outcome,
                "waitlist_position": e.waitlist_position,
                "acceptance_deadline": e.acceptance_deadline,
            }
            for e in sorted(entries, key=lambda e: e.draw_position)
        ]
    return view


async def open_round(
    ctx: Eligibility, *, municipality: str, request: OpenRoundRequest, actor: str
) -> dict[str, Any]:
    policy = ctx.policy(municipality).lottery
    if not policy.enabled:
        raise Conflict(
            f"municipality {municipality} holds no lottery (policy lottery.enabled is false); "
            "applications are reviewed directly",
            message_ja="この市区町村では抽選を行っていません。申請は直接審査されます。",
        )
    seed = new_seed()
    round_id = uuid.uuid4()
    async with ctx.transaction() as session:
        await lottery_store.add_round(
            session,
            id=round_id,
            municipality=municipality,
            facility_id=request.facility_id,
            name=request.name,
            places=request.places,
            status="open",
            seed=seed,
            seed_hash=seed_commitment(seed),
            priority_tiers=list(policy.priority_tiers),
            siblings_together=policy.siblings_drawn_together,
            waitlist_enabled=policy.waitlist_enabled,
            opened_at=ctx.now(),
        )
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="lottery.opened",
            at=ctx.now(),
            round_id=round_id,
            detail={"places": request.places, "seed_hash": seed_commitment(seed)},
        )
    return await get_round(ctx, municipality=municipality, round_id=round_id)


async def get_round(ctx: Eligibility, *, municipality: str, round_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await lottery_store.round_of(session, municipality, round_id)
        if row is None:
            raise NotFound(
                f"no lottery round {round_id} in municipality {municipality}",
                message_ja=ROUND_NOT_FOUND_JA,
            )
        entries = await lottery_store.entries_of(session, round_id)
    return round_view(row, list(entries))


async def list_rounds(ctx: Eligibility, *, municipality: str) -> list[dict[str, Any]]:
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = await lottery_store.rounds_of(session, municipality)
    return [round_view(r) for r in rows]


async def locked_round(session: AsyncSession, municipality: str, round_id: uuid.UUID) -> Row[Any]:
    """The round, locked for this transaction; another municipality's id is not found."""
    rnd = await lottery_store.round_of(session, municipality, round_id, lock=True)
    if rnd is None:
        raise NotFound(
            f"no lottery round {round_id} in municipality {municipality}",
            message_ja=ROUND_NOT_FOUND_JA,
        )
    return rnd

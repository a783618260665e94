"""Intake rounds (抽選) and the waitlist (補欠).

How a round meets approval (documented in docs/eligibility.md):
1. An officer opens a round (places; optionally one facility). Its seed is generated and only
   ``sha256(seed)`` is shown, publicly, from then on.
2. Applications arriving while the round is open wait for it: they cannot be approved before
   the draw.
3. The draw takes every pending application of the municipality (of the facility, for a facility
   round) that is in no round yet, publishes that list (ids, tiers, family tokens), reveals the
   seed and records the order. Winners get an acceptance deadline; the others become 補欠.
4. Winners and promoted 補欠 are approved (or rejected) by an officer as usual; approval counts
   as taking up the place. A decline, a rejection or a lapsed deadline promotes the next 補欠.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common import ratelimit
from tsuen_common.events.eligibility import LotteryOutcome, LotteryResultDecided
from tsuen_common.logging import get_logger
from tsuen_common.ratelimit import Rate
from tsuen_eligibility.adapters.orm import (
    applications,
    lottery_entries,
    lottery_rounds,
    rate_limits,
)
from tsuen_eligibility.domain.lottery import (
    Applicant,
    DrawResult,
    acceptance_deadline,
    draw,
    is_lapsed,
    new_seed,
    seed_commitment,
    verify_seed,
)
from tsuen_eligibility.service_layer.commands import OpenRoundRequest, ReplayRequest
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import ROUND_NOT_FOUND_JA, Conflict, Invalid, NotFound

log = get_logger(__name__)

LISTED_JA = (
    "この申請は締め切った抽選の対象です。抽選が終わるまで、承認・却下・区分の変更はできません。"
)
HOLDING = ("won", "promoted")  # a place is held, not yet taken up
# Final outcomes: accepted, declined, lapsed, rejected, not_selected.


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
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            sa.insert(lottery_rounds).values(
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
        row = (
            await session.execute(
                sa.select(lottery_rounds).where(
                    lottery_rounds.c.municipality == municipality, lottery_rounds.c.id == round_id
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound(
                f"no lottery round {round_id} in municipality {municipality}",
                message_ja=ROUND_NOT_FOUND_JA,
            )
        entries = (
            await session.execute(
                sa.select(lottery_entries).where(lottery_entries.c.round_id == round_id)
            )
        ).all()
    return round_view(row, list(entries))


async def list_rounds(ctx: Eligibility, *, municipality: str) -> list[dict[str, Any]]:
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                sa.select(lottery_rounds)
                .where(lottery_rounds.c.municipality == municipality)
                .order_by(lottery_rounds.c.opened_at.desc())
            )
        ).all()
    return [round_view(r) for r in rows]


def eligible_applications(municipality: str, facility_id: uuid.UUID | None) -> sa.Select[Any]:
    in_a_round = sa.select(lottery_entries.c.application_id).where(
        lottery_entries.c.application_id == applications.c.id
    )
    query = sa.select(
        applications.c.id,
        applications.c.priority_tier,
        applications.c.guardian_email,
        applications.c.child_name,
        applications.c.desired_facility_id,
    ).where(
        applications.c.municipality == municipality,
        applications.c.status == "pending",
        ~sa.exists(in_a_round),
    )
    if facility_id is not None:
        query = query.where(applications.c.desired_facility_id == facility_id)
    return query


async def open_round_for(
    session: AsyncSession, municipality: str, facility_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The open round an application waits for: its facility's, or the municipality-wide one."""
    query = sa.select(lottery_rounds.c.id).where(
        lottery_rounds.c.municipality == municipality,
        lottery_rounds.c.status == "open",
        sa.or_(lottery_rounds.c.facility_id.is_(None), lottery_rounds.c.facility_id == facility_id),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def locked_round(session: AsyncSession, municipality: str, round_id: uuid.UUID) -> Row[Any]:
    """The round, locked for this transaction; another municipality's id is not found."""
    rnd = (
        await session.execute(
            sa.select(lottery_rounds)
            .where(lottery_rounds.c.municipality == municipality, lottery_rounds.c.id == round_id)
            .with_for_update()
        )
    ).one_or_none()
    if rnd is None:
        raise NotFound(
            f"no lottery round {round_id} in municipality {municipality}",
            message_ja=ROUND_NOT_FOUND_JA,
        )
    return rnd


async def draw_round(
    ctx: Eligibility, *, municipality: str, round_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    now = ctx.now()
    today = now.date()
    async with ctx.sessions() as session, session.begin():
        rnd = await locked_round(session, municipality, round_id)
        if rnd.status == "drawn":
            raise Conflict(
                "this round has already been drawn; its result is published",
                message_ja="この回はすでに抽選済みです。結果は公開されています。",
            )
        if rnd.status == "closed":
            # Closed earlier: the list published then is the one drawn, whatever came since.
            published = [published_applicant(a) for a in rnd.applicants]
            rows = (
                await session.execute(
                    sa.select(
                        applications.c.id, applications.c.guardian_email, applications.c.child_name
                    )
                    .where(applications.c.id.in_([a.application_id for a in published]))
                    .with_for_update(of=applications)
                )
            ).all()
        else:
            rows = (
                await session.execute(
                    eligible_applications(municipality, rnd.facility_id)
                    .order_by(applications.c.id)
                    .with_for_update(of=applications)
                )
            ).all()
            published = applicant_list(rows, rnd.priority_tiers)
        result = draw(
            seed=rnd.seed,
            applicants=published,
            places=rnd.places,
            priority_tiers=tuple(rnd.priority_tiers),
            siblings_together=rnd.siblings_together,
            waitlist_enabled=rnd.waitlist_enabled,
        )
        emails = {r.id: r.guardian_email for r in rows}
        names = {r.id: r.child_name for r in rows}
        deadline = acceptance_deadline(
            today, ctx.policy(municipality).lottery.acceptance_deadline_days
        )
        await _record_result(ctx, session, rnd, result, emails, deadline, names)
        await session.execute(
            sa.update(lottery_rounds)
            .where(lottery_rounds.c.id == round_id)
            .values(
                status="drawn",
                drawn_at=now,
                applicants=[_applicant_json(a) for a in published],
            )
        )
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="lottery.drawn",
            at=now,
            round_id=round_id,
            detail={
                "applicants": len(published),
                "winners": len(result.winners),
                "waitlisted": len(result.waitlist),
            },
        )
    return await get_round(ctx, municipality=municipality, round_id=round_id)


def _applicant_json(a: Applicant) -> dict[str, Any]:
    return {"application_id": str(a.application_id), "tier": a.tier, "family": a.family}


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


def published_applicant(item: dict[str, Any]) -> Applicant:
    return Applicant(
        application_id=uuid.UUID(str(item["application_id"])),
        tier=item.get("tier"),
        family=item.get("family"),
    )


async def closed_round_listing(
    session: AsyncSession, application_id: uuid.UUID
) -> uuid.UUID | None:
    """The closed (not yet drawn) round whose published list holds this application: until its
    draw, the application can be neither approved, rejected nor given another tier, or the
    draw would no longer decide the list it published."""
    query = sa.select(lottery_rounds.c.id).where(
        lottery_rounds.c.status == "closed",
        lottery_rounds.c.applicants.contains([{"application_id": str(application_id)}]),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def _record_result(
    ctx: Eligibility,
    session: AsyncSession,
    rnd: Row[Any],
    result: DrawResult,
    emails: dict[uuid.UUID, str],
    deadline: date,
    names: dict[uuid.UUID, str],
) -> None:
    position = {app_id: n for n, app_id in enumerate(result.order, start=1)}
    waitlist_position = {app_id: n for n, app_id in enumerate(result.waitlist, start=1)}
    for app_id in result.order:
        if app_id in result.winners:
            outcome, status = "won", "pending"
        elif app_id in waitlist_position:
            outcome, status = "waitlisted", "waitlisted"
        else:
            outcome, status = "not_selected", "not_selected"
        await session.execute(
            sa.insert(lottery_entries).values(
                round_id=rnd.id,
                application_id=app_id,
                municipality=rnd.municipality,
                draw_position=position[app_id],
                outcome=outcome,
                waitlist_position=waitlist_position.get(app_id),
                acceptance_deadline=deadline if outcome == "won" else None,
            )
        )
        if status != "pending":
            await session.execute(
                sa.update(applications).where(applications.c.id == app_id).values(status=status)
            )
        if outcome == "not_selected" and not ctx.policy(rnd.municipality).lottery.mail_not_selected:
            # Chiyoda: results on the ward's homepage, mail to winners only (policy).
            continue
        await ctx.outbox.add(
            session,
            LotteryResultDecided(
                round_id=rnd.id,
                application_id=app_id,
                email=emails[app_id],
                child_name=names.get(app_id),
                outcome=LotteryOutcome(outcome),
                waitlist_position=waitlist_position.get(app_id),
                acceptance_deadline=deadline if outcome == "won" else None,
            ),
            municipality=rnd.municipality,
        )


async def entry_for(session: AsyncSession, application_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(
            sa.select(lottery_entries)
            .where(lottery_entries.c.application_id == application_id)
            .with_for_update()
        )
    ).one_or_none()


async def check_may_approve(
    session: AsyncSession, *, municipality: str, app: Row[Any]
) -> Row[Any] | None:
    """Raise Conflict if the lottery stands between this application and approval."""
    entry = await entry_for(session, app.id)
    if entry is None:
        listed = await closed_round_listing(session, app.id)
        if listed is not None:
            raise Conflict(
                f"this application is on the closed list of lottery round {listed}; approve it "
                "after the draw if it wins",
                message_ja=LISTED_JA,
            )
        waiting = await open_round_for(session, municipality, app.desired_facility_id)
        if waiting is not None:
            raise Conflict(
                f"this application takes part in lottery round {waiting}; approve it after the "
                "draw if it wins",
                message_ja="この申請は抽選の対象です。抽選で当選した後に承認してください。",
            )
        return None
    if entry.outcome not in HOLDING:
        raise Conflict(
            f"the lottery outcome of this application is '{entry.outcome}'"
            + (f" (補欠 {entry.waitlist_position})" if entry.outcome == "waitlisted" else "")
            + "; only winners and promoted 補欠 can be approved",
            message_ja="この申請は抽選で当選していないため、承認できません（当選者と繰り上げ当選の補欠のみ承認できます）。",
        )
    return entry


async def set_outcome(session: AsyncSession, entry: Row[Any], outcome: str) -> None:
    await session.execute(
        sa.update(lottery_entries)
        .where(
            lottery_entries.c.round_id == entry.round_id,
            lottery_entries.c.application_id == entry.application_id,
        )
        .values(outcome=outcome)
    )


async def take_up(session: AsyncSession, entry: Row[Any]) -> None:
    await set_outcome(session, entry, "accepted")


async def give_up_place(
    ctx: Eligibility,
    session: AsyncSession,
    entry: Row[Any],
    *,
    outcome: str,
    actor: str,
    today: date,
) -> uuid.UUID | None:
    """The holder of a place declines/lapses/is rejected: the next 補欠 is promoted."""
    await set_outcome(session, entry, outcome)
    return await promote_next(ctx, session, entry.round_id, actor=actor, today=today)


async def promote_next(
    ctx: Eligibility, session: AsyncSession, round_id: uuid.UUID, *, actor: str, today: date
) -> uuid.UUID | None:
    nxt = (
        await session.execute(
            sa.select(lottery_entries, applications.c.guardian_email, applications.c.child_name)
            .join(applications, applications.c.id == lottery_entries.c.application_id)
            .where(
                lottery_entries.c.round_id == round_id,
                lottery_entries.c.outcome == "waitlisted",
                applications.c.status == "waitlisted",
            )
            .order_by(lottery_entries.c.waitlist_position)
            .limit(1)
            .with_for_update(of=lottery_entries)
        )
    ).one_or_none()
    if nxt is None:
        return None
    deadline = acceptance_deadline(
        today, ctx.policy(nxt.municipality).lottery.acceptance_deadline_days
    )
    await session.execute(
        sa.update(lottery_entries)
        .where(
            lottery_entries.c.round_id == round_id,
            lottery_entries.c.application_id == nxt.application_id,
        )
        .values(outcome="promoted", acceptance_deadline=deadline)
    )
    await session.execute(
        sa.update(applications)
        .where(applications.c.id == nxt.application_id)
        .values(status="pending")
    )
    await audit(
        session,
        municipality=nxt.municipality,
        actor=actor,
        action="lottery.promoted",
        at=ctx.now(),
        application_id=nxt.application_id,
        round_id=round_id,
        detail={"waitlist_position": nxt.waitlist_position},
    )
    await ctx.outbox.add(
        session,
        LotteryResultDecided(
            round_id=round_id,
            application_id=nxt.application_id,
            email=nxt.guardian_email,
            child_name=nxt.child_name,
            outcome=LotteryOutcome.PROMOTED,
            waitlist_position=nxt.waitlist_position,
            acceptance_deadline=deadline,
        ),
        municipality=nxt.municipality,
    )
    return nxt.application_id


async def decline(
    ctx: Eligibility,
    *,
    municipality: str,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    actor: str,
) -> dict[str, Any]:
    """The guardian declines the place (recorded by an officer); the next 補欠 moves up."""
    async with ctx.sessions() as session, session.begin():
        entry = (
            await session.execute(
                sa.select(lottery_entries)
                .where(
                    lottery_entries.c.municipality == municipality,
                    lottery_entries.c.round_id == round_id,
                    lottery_entries.c.application_id == application_id,
                )
                .with_for_update()
            )
        ).one_or_none()
        if entry is None:
            raise NotFound(
                f"application {application_id} is not in lottery round {round_id}",
                message_ja="この申請は、この回の抽選の対象ではありません。",
            )
        if entry.outcome not in (*HOLDING, "waitlisted"):
            raise Conflict(
                f"nothing to decline: the outcome is already '{entry.outcome}'",
                message_ja="この申請は、すでに辞退または確定しているため、辞退の記録はできません。",
            )
        await session.execute(
            sa.update(applications)
            .where(applications.c.id == application_id)
            .values(status="withdrawn", decided_at=ctx.now(), decision_reason="declined")
        )
        promoted = None
        if entry.outcome in HOLDING:
            promoted = await give_up_place(
                ctx, session, entry, outcome="declined", actor=actor, today=ctx.today()
            )
        else:
            await set_outcome(session, entry, "declined")
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="lottery.declined",
            at=ctx.now(),
            application_id=application_id,
            round_id=round_id,
        )
    return {"application_id": application_id, "outcome": "declined", "promoted": promoted}


async def lapse_acceptances(ctx: Eligibility, *, on: date) -> int:
    """Winners and promoted 補欠 past their acceptance deadline lose the place (idempotent)."""
    lapsed = 0
    async with ctx.sessions() as session, session.begin():
        rows = (
            await session.execute(
                sa.select(lottery_entries)
                .where(
                    lottery_entries.c.outcome.in_(HOLDING),
                    lottery_entries.c.acceptance_deadline < on,
                )
                .order_by(lottery_entries.c.round_id, lottery_entries.c.draw_position)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for entry in rows:
            if not is_lapsed(entry.acceptance_deadline, on):
                continue
            await session.execute(
                sa.update(applications)
                .where(applications.c.id == entry.application_id)
                .values(status="withdrawn", decided_at=ctx.now(), decision_reason="lapsed")
            )
            await give_up_place(
                ctx, session, entry, outcome="lapsed", actor="system:lapse-acceptances", today=on
            )
            await audit(
                session,
                municipality=entry.municipality,
                actor="system:lapse-acceptances",
                action="lottery.lapsed",
                at=ctx.now(),
                application_id=entry.application_id,
                round_id=entry.round_id,
            )
            lapsed += 1
    log.info("lottery acceptances lapsed", count=lapsed, on=on.isoformat())
    return lapsed


async def limit_replays(ctx: Eligibility, *, client: str | None) -> None:
    """Raise RateLimited past the per-client replay rate (tsuen_common.ratelimit)."""
    rate = Rate(ctx.settings.replays_per_client_per_minute, timedelta(minutes=1))
    async with ctx.sessions() as session, session.begin():
        await ratelimit.check(
            session, rate_limits, [(ratelimit.client_key("replay", client), rate)], now=ctx.now()
        )


def replay(request: ReplayRequest) -> dict[str, Any]:
    """Re-run a draw from its published inputs: anyone can check a round this way."""
    if request.seed_hash is not None and not verify_seed(request.seed, request.seed_hash):
        raise Invalid(
            "the seed does not match seed_hash: sha256(seed) differs from the commitment",
            message_ja="公開された種（seed）が、事前に公開したハッシュと一致しません。入力した値をご確認ください。",
        )
    result = draw(
        seed=request.seed,
        applicants=[
            Applicant(application_id=a.application_id, tier=a.tier, family=a.family)
            for a in request.applicants
        ],
        places=request.places,
        priority_tiers=tuple(request.priority_tiers),
        siblings_together=request.siblings_together,
        waitlist_enabled=request.waitlist_enabled,
    )
    return {
        "seed_hash": seed_commitment(request.seed),
        "order": list(result.order),
        "winners": list(result.winners),
        "waitlist": list(result.waitlist),
        "not_selected": list(result.not_selected),
    }

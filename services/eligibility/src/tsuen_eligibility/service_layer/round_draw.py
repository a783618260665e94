"""The draw of a lottery round: the list drawn, the order recorded, the results mailed.

The seed revealed now is the one whose hash was published when the round opened, so anyone can
check the order by replaying the draw (replay.py) from the published list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import LotteryOutcome, LotteryResultDecided
from tsuen_eligibility.adapters import application_store, lottery_store
from tsuen_eligibility.domain.lottery import Applicant, DrawResult, acceptance_deadline, draw
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict
from tsuen_eligibility.service_layer.rounds import (
    applicant_json,
    applicant_list,
    get_round,
    locked_round,
    published_applicant,
)


async def draw_round(
    ctx: Eligibility, *, municipality: str, round_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    now = ctx.now()
    today = now.date()
    async with ctx.transaction() as session:
        rnd = await locked_round(session, municipality, round_id)
        if rnd.status == "drawn":
            raise Conflict(
                "this round has already been drawn; its result is published",
                message_ja="この回はすでに抽選済みです。結果は公開されています。",
            )
        rows, published = await _applicants_to_draw(session, municipality, rnd)
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
        await lottery_store.update_round(
            session,
            round_id,
            status="drawn",
            drawn_at=now,
            applicants=[applicant_json(a) for a in published],
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


async def _applicants_to_draw(
    session: AsyncSession, municipality: str, rnd: Row[Any]
) -> tuple[Sequence[Row[Any]], list[Applicant]]:
    """The applications drawn (locked) and the list published for them."""
    if rnd.status == "closed":
        # Closed earlier: the list published then is the one drawn, whatever came since.
        published = [published_applicant(a) for a in rnd.applicants]
        rows = await lottery_store.listed_applications_for_update(
            session, [a.application_id for a in published]
        )
        return rows, published
    rows = await lottery_store.eligible_applications_for_update(
        session, municipality, rnd.facility_id
    )
    return rows, applicant_list(rows, rnd.priority_tiers)


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
        await lottery_store.add_entry(
            session,
            round_id=rnd.id,
            application_id=app_id,
            municipality=rnd.municipality,
            draw_position=position[app_id],
            outcome=outcome,
            waitlist_position=waitlist_position.get(app_id),
            acceptance_deadline=deadline if outcome == "won" else None,
        )
        if status != "pending":
            await application_store.update_application(session, app_id, status=status)
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

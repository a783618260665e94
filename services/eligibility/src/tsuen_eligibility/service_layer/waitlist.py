"""Places and the waitlist (補欠) after a draw: who may be approved, who takes up or gives up a
place, and the next 補欠 promoted when a place is given up (declined, rejected or lapsed)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import LotteryOutcome, LotteryResultDecided
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import application_store, lottery_store
from tsuen_eligibility.domain.lottery import acceptance_deadline, is_lapsed
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict, NotFound

log = get_logger(__name__)

LISTED_JA = (
    "この申請は締め切った抽選の対象です。抽選が終わるまで、承認・却下・区分の変更はできません。"
)
HOLDING = ("won", "promoted")  # a place is held, not yet taken up
# Final outcomes: accepted, declined, lapsed, rejected, not_selected.


async def entry_for(session: AsyncSession, application_id: uuid.UUID) -> Row[Any] | None:
    """The application's lottery entry, locked for the transaction."""
    return await lottery_store.entry_of_application(session, application_id, lock=True)


async def closed_round_listing(
    session: AsyncSession, application_id: uuid.UUID
) -> uuid.UUID | None:
    """The closed (not yet drawn) round whose published list holds this application: until its
    draw, the application can be neither approved, rejected nor given another tier, or the
    draw would no longer decide the list it published."""
    return await lottery_store.closed_round_listing(session, application_id)


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
        waiting = await lottery_store.open_round_for(session, municipality, app.desired_facility_id)
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
    await lottery_store.update_entry(session, entry.round_id, entry.application_id, outcome=outcome)


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
    nxt = await lottery_store.next_waitlisted_for_update(session, round_id)
    if nxt is None:
        return None
    deadline = acceptance_deadline(
        today, ctx.policy(nxt.municipality).lottery.acceptance_deadline_days
    )
    await lottery_store.update_entry(
        session, round_id, nxt.application_id, outcome="promoted", acceptance_deadline=deadline
    )
    await application_store.update_application(session, nxt.application_id, status="pending")
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
    async with ctx.transaction() as session:
        entry = await lottery_store.entry_in_round_for_update(
            session, municipality=municipality, round_id=round_id, application_id=application_id
        )
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
        await application_store.update_application(
            session,
            application_id,
            status="withdrawn",
            decided_at=ctx.now(),
            decision_reason="declined",
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
    async with ctx.transaction() as session:
        rows = await lottery_store.places_past_deadline(session, HOLDING, on)
        for entry in rows:
            if not is_lapsed(entry.acceptance_deadline, on):
                continue
            await application_store.update_application(
                session,
                entry.application_id,
                status="withdrawn",
                decided_at=ctx.now(),
                decision_reason="lapsed",
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

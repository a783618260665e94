"""Who is in a lottery round, with names, for the officer's page of the round.

The public round (``rounds.round_view``) lists application ids only. The officer of the
municipality also needs to know whose applications they are: while open, the applications the
draw would take now (pending, in no round yet, of the round's facility for a facility round);
once closed, the published list; after the draw, every entry in drawn order with its outcome
and its place on the waitlist.
Kept apart from ``round_draw.py`` (the draw and its side effects) because it only reads.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tsuen_eligibility.adapters.lottery_store import eligible_applications
from tsuen_eligibility.adapters.orm import applications, lottery_entries, lottery_rounds
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import ROUND_NOT_FOUND_JA, NotFound

_PEOPLE = (
    applications.c.child_name,
    applications.c.guardian_name,
    applications.c.priority_tier,
    applications.c.submitted_at,
    applications.c.status,
)


def _entry(row: Any, drawn: bool) -> dict[str, Any]:
    return {
        "application_id": row.id if not drawn else row.application_id,
        "child_name": row.child_name,
        "guardian_name": row.guardian_name,
        "priority_tier": row.priority_tier,
        "submitted_at": row.submitted_at,
        "application_status": row.status,
        "outcome": row.outcome if drawn else None,
        "draw_position": row.draw_position if drawn else None,
        "waitlist_position": row.waitlist_position if drawn else None,
        "acceptance_deadline": row.acceptance_deadline if drawn else None,
    }


async def round_entries(
    ctx: Eligibility, *, municipality: str, round_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The round's entries: drawn order after the draw, application id order before it."""
    async with ctx.sessions() as session:
        rnd = (
            await session.execute(
                sa.select(
                    lottery_rounds.c.status,
                    lottery_rounds.c.facility_id,
                    lottery_rounds.c.applicants,
                ).where(
                    lottery_rounds.c.municipality == municipality, lottery_rounds.c.id == round_id
                )
            )
        ).one_or_none()
        if rnd is None:
            raise NotFound(
                f"no lottery round {round_id} in municipality {municipality}",
                message_ja=ROUND_NOT_FOUND_JA,
            )
        if rnd.status == "open":
            # The same selection the draw makes, so the officer sees who the draw would take.
            eligible = eligible_applications(municipality, rnd.facility_id).subquery()
            rows = (
                await session.execute(
                    sa.select(applications.c.id, *_PEOPLE)
                    .where(applications.c.id.in_(sa.select(eligible.c.id)))
                    .order_by(applications.c.id)
                )
            ).all()
            return [_entry(r, drawn=False) for r in rows]
        if rnd.status == "closed":
            # Closed: the published list, which the draw will take whatever comes since.
            listed = [uuid.UUID(str(a["application_id"])) for a in rnd.applicants or []]
            rows = (
                await session.execute(
                    sa.select(applications.c.id, *_PEOPLE)
                    .where(applications.c.id.in_(listed))
                    .order_by(applications.c.id)
                )
            ).all()
            return [_entry(r, drawn=False) for r in rows]
        rows = (
            await session.execute(
                sa.select(lottery_entries, *_PEOPLE)
                .join(applications, applications.c.id == lottery_entries.c.application_id)
                .where(
                    lottery_entries.c.municipality == municipality,
                    lottery_entries.c.round_id == round_id,
                )
                .order_by(lottery_entries.c.draw_position)
            )
        ).all()
    return [_entry(r, drawn=True) for r in rows]

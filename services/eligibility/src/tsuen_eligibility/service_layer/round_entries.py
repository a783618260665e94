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

from tsuen_eligibility.adapters import lottery_store
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import ROUND_NOT_FOUND_JA, NotFound


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
        rnd = await lottery_store.round_of(session, municipality, round_id)
        if rnd is None:
            raise NotFound(
                f"no lottery round {round_id} in municipality {municipality}",
                message_ja=ROUND_NOT_FOUND_JA,
            )
        if rnd.status == "open":
            # The same selection the draw makes, so the officer sees who the draw would take.
            rows = await lottery_store.people_of_eligible(session, municipality, rnd.facility_id)
            return [_entry(r, drawn=False) for r in rows]
        if rnd.status == "closed":
            # Closed: the published list, which the draw will take whatever comes since.
            listed = [uuid.UUID(str(a["application_id"])) for a in rnd.applicants or []]
            rows = await lottery_store.people_of_applications(session, listed)
            return [_entry(r, drawn=False) for r in rows]
        rows = await lottery_store.drawn_entries_with_people(session, municipality, round_id)
    return [_entry(r, drawn=True) for r in rows]

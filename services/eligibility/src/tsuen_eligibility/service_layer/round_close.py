"""Closing a lottery round (締切): the list of entries is fixed and published before the draw.

The seed's hash was published when the round opened, so the list cannot be fitted to the seed;
closing publishes the list (ids, tiers, family tokens) while the seed is still secret, and the
draw then draws exactly that list (``round_draw.draw_round``). Until the draw, the listed
applications can be neither approved, rejected nor given another tier
(``waitlist.closed_round_listing``). An application arriving after the close is in no round: it
waits for the next one, as one arriving after a draw does. A round may also be drawn straight
from open, which closes and draws at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from tsuen_eligibility.adapters import lottery_store
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict
from tsuen_eligibility.service_layer.rounds import (
    applicant_json,
    applicant_list,
    get_round,
    locked_round,
)


async def close_round(
    ctx: Eligibility, *, municipality: str, round_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    now = ctx.now()
    async with ctx.transaction() as session:
        rnd = await locked_round(session, municipality, round_id)
        if rnd.status == "closed":
            raise Conflict(
                "this round is already closed; its list of entries is published",
                message_ja="この回はすでに締め切っています。対象の申請の一覧は公開されています。",
            )
        if rnd.status != "open":
            raise Conflict(
                "this round has already been drawn; its result is published",
                message_ja="この回はすでに抽選済みです。結果は公開されています。",
            )
        rows = await lottery_store.eligible_applications_for_update(
            session, municipality, rnd.facility_id
        )
        published = applicant_list(rows, rnd.priority_tiers)
        await lottery_store.update_round(
            session,
            round_id,
            status="closed",
            applicants=[applicant_json(a) for a in published],
        )
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="lottery.closed",
            at=now,
            round_id=round_id,
            detail={"applicants": len(published)},
        )
    return await get_round(ctx, municipality=municipality, round_id=round_id)

"""An application's lottery priority tier (優先順位の区分), set by an officer before the draw."""

from __future__ import annotations

import uuid
from typing import Any

from tsuen_eligibility.adapters import application_store
from tsuen_eligibility.service_layer import waitlist
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict, Invalid
from tsuen_eligibility.service_layer.review import (
    application_to_decide,
    check_not_on_a_closed_list,
)


async def set_priority_tier(
    ctx: Eligibility, *, municipality: str, application_id: uuid.UUID, tier: str | None, actor: str
) -> dict[str, Any]:
    tiers = ctx.policy(municipality).lottery.priority_tiers
    if tier is not None and tier not in tiers:
        raise Invalid(
            f"unknown priority tier {tier!r}; municipality {municipality} has "
            f"{list(tiers) or 'no tiers'}",
            message_ja="指定された優先順位の区分は、この市区町村にはありません。区分をご確認ください。",
        )
    async with ctx.transaction() as session:
        app = await application_to_decide(session, municipality, application_id)
        await check_not_on_a_closed_list(session, app.id)
        if await waitlist.entry_for(session, app.id) is not None:
            raise Conflict(
                "the application has already been drawn; its tier can no longer change",
                message_ja="この申請はすでに抽選済みのため、優先順位の区分は変更できません。",
            )
        await application_store.update_application(session, application_id, priority_tier=tier)
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="application.priority_tier_set",
            at=ctx.now(),
            application_id=application_id,
            detail={"tier": tier},
        )
    return {"application_id": application_id, "priority_tier": tier}

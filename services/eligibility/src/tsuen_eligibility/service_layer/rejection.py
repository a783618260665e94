"""An officer rejects an application, with a reason; a rejected lottery winner frees the place."""

from __future__ import annotations

import uuid
from typing import Any

from tsuen_common.events.eligibility import ApplicationRejected
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import application_store
from tsuen_eligibility.service_layer import waitlist
from tsuen_eligibility.service_layer.commands import RejectRequest
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict
from tsuen_eligibility.service_layer.review import (
    application_to_decide,
    check_not_on_a_closed_list,
)

log = get_logger(__name__)


async def reject(
    ctx: Eligibility,
    *,
    municipality: str,
    application_id: uuid.UUID,
    request: RejectRequest,
    actor: str,
) -> dict[str, Any]:
    """Rejection: no account e-mail (ApplicationRejected is for audit and metrics)."""
    now = ctx.now()
    async with ctx.transaction() as session:
        app = await application_to_decide(session, municipality, application_id)
        if app.status not in ("pending", "waitlisted"):
            raise Conflict(
                f"the application is {app.status}; only pending ones can be rejected",
                message_ja="この申請は審査中ではないため、却下できません。申請の状態をご確認ください。",
            )
        await check_not_on_a_closed_list(session, app.id)
        await application_store.update_application(
            session,
            application_id,
            status="rejected",
            decided_at=now,
            decided_by=actor,
            decision_reason=request.reason,
        )
        entry = await waitlist.entry_for(session, application_id)
        if entry is not None and entry.outcome in waitlist.HOLDING:
            # A rejected winner frees the place for the next 補欠.
            await waitlist.give_up_place(
                ctx, session, entry, outcome="rejected", actor=actor, today=now.date()
            )
        elif entry is not None and entry.outcome == "waitlisted":
            await waitlist.set_outcome(session, entry, "rejected")
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="application.rejected",
            at=now,
            application_id=application_id,
            detail={"reason": request.reason},
        )
        await ctx.outbox.add(
            session,
            ApplicationRejected(application_id=application_id, reason=request.reason),
            municipality=municipality,
        )
    log.info("application rejected", application_id=str(application_id), municipality=municipality)
    return {"application_id": application_id, "status": "rejected"}

"""An officer marks a certification 要支援家庭 from one day to another: checked, written to the
audit trail and announced (``FamilySupportMarked``, for billing's 加算) in one transaction.
Eligibility keeps no table of its own for it: the audit trail is its record, billing the one
that acts on it (the smallest change to eligibility)."""

from __future__ import annotations

import uuid
from datetime import date

from tsuen_common.auth import Principal
from tsuen_common.events.eligibility import FamilySupportMarked
from tsuen_eligibility.adapters import certification_store
from tsuen_eligibility.domain.family_support import family_support_refusal
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import CERTIFICATION_NOT_FOUND_JA, Invalid, NotFound


async def mark_family_support(
    ctx: Eligibility,
    principal: Principal,
    municipality: str,
    certification_id: uuid.UUID,
    start: date,
    end: date,
) -> FamilySupportMarked:
    async with ctx.transaction() as session:
        cert = await certification_store.municipality_certification_for_update(
            session, municipality, certification_id
        )
        if cert is None:
            # Another municipality's certification is answered like a missing one.
            raise NotFound(
                f"no certification {certification_id} in municipality {municipality}",
                message_ja=CERTIFICATION_NOT_FOUND_JA,
            )
        refusal = family_support_refusal(start, end, cert.valid_from, cert.valid_until)
        if refusal is not None:
            raise Invalid(f"family support span {start}..{end} refused", message_ja=refusal)
        event = FamilySupportMarked(
            certification_id=cert.id, child_id=cert.child_id, valid_from=start, valid_until=end
        )
        await audit(
            session,
            municipality=municipality,
            actor=principal.subject,
            action="certification.family_support",
            at=ctx.now(),
            application_id=cert.application_id,
            certification_id=cert.id,
            detail={"from": start.isoformat(), "to": end.isoformat()},
        )
        await ctx.outbox.add(session, event, municipality=municipality)
    return event

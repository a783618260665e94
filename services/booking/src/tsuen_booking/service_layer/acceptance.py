"""The facility's acceptance after 初回面談 and the health check: only accepted children book."""

from __future__ import annotations

import uuid
from typing import Any

from tsuen_booking.adapters import interview_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.domain.acceptance import check_may_accept, check_medical_care_consulted
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.errors import CHILD_NOT_FOUND_JA, FACILITY_NOT_FOUND_JA, NotFound
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.context import Context
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.booking import FacilityAcceptanceRecorded


async def record_acceptance(
    ctx: Context,
    principal: Principal,
    facility_id: uuid.UUID,
    child_id: uuid.UUID,
    accepted: bool,
    override_reason: str | None = None,
    medical_care_consulted: bool = False,
) -> dict[str, Any]:
    """After 初回面談 and the health check the facility accepts (or declines) the child.

    Accepting needs the interview recorded as held there, or an officer's reason
    (domain/acceptance.py); who recorded it, and any reason, stay with the acceptance.
    """
    async with ctx.transaction() as session:
        frow = await repo.facility_row(session, facility_id)
        if frow is None or not principal.can_access_facility(
            frow["municipality"], str(facility_id)
        ):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("only the facility records its acceptance")
        child = await repo.get_child(session, child_id)
        if child is None:
            raise NotFound(f"child {child_id} not found", message_ja=CHILD_NOT_FOUND_JA)
        check_may_accept(
            accepted=accepted,
            interview_status=await repo.interview_status(
                session, facility_id=facility_id, child_id=child_id
            ),
            role=principal.role,
            override_reason=override_reason,
        )
        check_medical_care_consulted(
            accepted=accepted,
            needs_medical_care=child.needs_medical_care,
            consultation_required=ctx.policy(
                child.municipality
            ).eligibility.medical_care_consultation_required,
            consulted=medical_care_consulted,
        )
        decision = {
            "accepted": accepted,
            "recorded_by": principal.subject,
            "override_reason": override_reason,
            "medical_care_consulted": medical_care_consulted,
        }
        await interview_store.record_acceptance(
            session,
            facility_id=facility_id,
            child_id=child_id,
            municipality=frow["municipality"],
            decision=decision,
        )
        await ctx.outbox.add(
            session,
            FacilityAcceptanceRecorded(
                child_id=child_id,
                guardian_email=child.guardian_email,
                child_name=child.name,
                facility_id=facility_id,
                facility_name=frow["name"],
                accepted=accepted,
            ),
            municipality=frow["municipality"],
        )
        await audit.record(
            session,
            principal,
            StaffAction.CHILD_ACCEPTED if accepted else StaffAction.CHILD_DECLINED,
            municipality=frow["municipality"],
            facility_id=facility_id,
            at=ctx.clock(),
            subject_id=child_id,
            detail={
                "override_reason": override_reason,
                "medical_care_consulted": medical_care_consulted,
            },
        )
    return {
        "facility_id": facility_id,
        "child_id": child_id,
        "accepted": accepted,
        "override_reason": override_reason,
        "medical_care_consulted": medical_care_consulted,
    }

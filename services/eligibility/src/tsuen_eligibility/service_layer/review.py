"""The officer's review: the list of applications, one application with everything about it,
and the application an officer is deciding on (approval.py, rejection.py, priority_tiers.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_eligibility.adapters import (
    application_store,
    audit_store,
    certification_store,
    lottery_store,
)
from tsuen_eligibility.domain.names import guardian_key
from tsuen_eligibility.service_layer import moves, waitlist
from tsuen_eligibility.service_layer.audit_trail import audit_view
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import APPLICATION_NOT_FOUND_JA, Conflict, NotFound


def _summary(row: Row[Any]) -> dict[str, Any]:
    return {
        "application_id": row.id,
        "municipality": row.municipality,
        "status": row.status,
        "submitted_at": row.submitted_at,
        "guardian_name": row.guardian_name,
        "guardian_email": row.guardian_email,
        "child_name": row.child_name,
        "child_birth_date": row.child_birth_date,
        "desired_facility_id": row.desired_facility_id,
        "needs_support": row.needs_support,
        "priority_tier": row.priority_tier,
        "checks": row.checks,
        "decided_at": row.decided_at,
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
    }


async def list_applications(
    ctx: Eligibility,
    *,
    municipality: str,
    status: str | None = None,
    q: str | None = None,
    checks_passed: bool | None = None,
    facility_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = await application_store.search_applications(
            session,
            municipality=municipality,
            status=status,
            q=q,
            checks_passed=checks_passed,
            facility_id=facility_id,
            limit=limit,
            offset=offset,
        )
    return [_summary(r) for r in rows]


async def get_application(
    ctx: Eligibility, *, municipality: str, application_id: uuid.UUID
) -> dict[str, Any]:
    """The form, the files (without their bytes), the audit trail, the lottery outcome and the
    certification, if any."""
    async with ctx.sessions() as session:
        row = await application_store.application(session, municipality, application_id)
        if row is None:
            raise NotFound(
                f"no application {application_id} in municipality {municipality}",
                message_ja=APPLICATION_NOT_FOUND_JA,
            )
        files = await application_store.attachment_list(session, application_id)
        trail = await audit_store.audit_lines(
            session, municipality=municipality, application_id=application_id
        )
        entry = await lottery_store.entry_of_application(session, application_id)
        cert = await certification_store.certification_of_application(session, application_id)
        elsewhere = await _certified_elsewhere(session, row)
    return {
        **_summary(row),
        "form": row.form,
        "attachments": [
            {
                "attachment_id": f.id,
                "filename": f.filename,
                "content_type": f.content_type,
                "size_bytes": f.size_bytes,
                "sha256": f.sha256,
            }
            for f in files
        ],
        "audit": [audit_view(a) for a in trail],
        "certified_elsewhere": elsewhere,
        "lottery": None
        if entry is None
        else {
            "round_id": entry.round_id,
            "outcome": entry.outcome,
            "draw_position": entry.draw_position,
            "waitlist_position": entry.waitlist_position,
            "acceptance_deadline": entry.acceptance_deadline,
        },
        "certification_id": cert,
    }


async def _certified_elsewhere(session: AsyncSession, row: Row[Any]) -> list[dict[str, Any]]:
    """While undecided: the child's active certifications in other municipalities, so the
    officer can say whether approving is a move (issue 17.3)."""
    if row.status not in ("pending", "waitlisted"):
        return []
    guardian = row.form.get("guardian", {})
    identity = guardian_key(guardian.get("kana", ""), guardian.get("birth_date", ""))
    return [
        {
            "certification_id": found.certification_id,
            "municipality": found.municipality,
            "valid_from": cert.valid_from,
            "valid_until": cert.valid_until,
            "same_guardian": found.same_guardian,
        }
        for found, cert in await moves.candidates_for(session, row, identity)
    ]


async def application_to_decide(
    session: AsyncSession, municipality: str, application_id: uuid.UUID
) -> Row[Any]:
    """The application, locked for the decision's transaction; another tenant's is not found."""
    row = await application_store.application(session, municipality, application_id, lock=True)
    if row is None:
        raise NotFound(
            f"no application {application_id} in municipality {municipality}",
            message_ja=APPLICATION_NOT_FOUND_JA,
        )
    return row


async def check_not_on_a_closed_list(session: AsyncSession, application_id: uuid.UUID) -> None:
    """A closed round draws the list it published: its applications wait for the draw."""
    listed = await waitlist.closed_round_listing(session, application_id)
    if listed is not None:
        raise Conflict(
            f"the application is on the closed list of lottery round {listed}; decide after "
            "the draw",
            message_ja=waitlist.LISTED_JA,
        )

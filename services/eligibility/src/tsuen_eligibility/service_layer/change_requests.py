"""変更申請 reviewed by an officer: filed by the guardian, approved (applied) or rejected with a
reason, the guardian mailed either way (ChangeApplicationDecided). An approval is announced as
CertificationChanged, the event booking and attendance already act on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.auth import Principal
from tsuen_common.events.eligibility import CertificationChanged, ChangeApplicationDecided
from tsuen_eligibility.adapters import (
    application_store,
    certification_store,
    change_store,
    guardian_store,
)
from tsuen_eligibility.domain.changes import (
    APPROVED,
    FORM_KEYS,
    PENDING,
    REJECTED,
    applied,
    in_form_order,
)
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict, NotFound

REQUEST_NOT_FOUND_JA = "変更申請が見つかりません。"


async def form_of(session: AsyncSession, application_id: uuid.UUID) -> dict[str, Any]:
    """The form on record, which a change is applied to."""
    return await application_store.application_form(session, application_id)


async def email_of(session: AsyncSession, guardian_id: uuid.UUID) -> str:
    """The guardian's address, which the decision is mailed to."""
    return await guardian_store.email_of(session, guardian_id)


async def file(
    ctx: Eligibility,
    session: AsyncSession,
    cert: Row[Any],
    changes: dict[str, str],
    actor: str,
) -> uuid.UUID:
    """Keep the guardian's change for an officer; one open request per certification."""
    if await change_store.open_request_of(session, cert.id, status=PENDING) is not None:
        raise Conflict(
            "a change application of this certification is waiting for review",
            message_ja=(
                "確認中の変更申請があります。結果のお知らせが届いてから、改めて申請してください。"
            ),
        )
    request_id = uuid.uuid4()
    now = ctx.now()
    await change_store.add_request(
        session,
        id=request_id,
        municipality=cert.municipality,
        certification_id=cert.id,
        guardian_id=cert.guardian_id,
        requested=changes,
        requested_by=actor,
        requested_at=now,
        status=PENDING,
    )
    await audit(
        session,
        municipality=cert.municipality,
        actor=actor,
        action="certification.change_requested",
        at=now,
        application_id=cert.application_id,
        certification_id=cert.id,
        detail={"fields": list(changes), "change_request_id": str(request_id)},
    )
    return request_id


async def apply(
    ctx: Eligibility,
    session: AsyncSession,
    cert: Row[Any],
    form: dict[str, Any],
    changes: dict[str, str],
    email: str,
    actor: str,
) -> None:
    """Write the change into the application form and tell the other services."""
    form = {**form, "guardian": applied(form["guardian"], changes)}
    values: dict[str, Any] = {"form": form}
    if "guardian_name" in changes:
        values["guardian_name"] = changes["guardian_name"]
    await application_store.update_application(session, cert.application_id, **values)
    await audit(
        session,
        municipality=cert.municipality,
        actor=actor,
        action="certification.changed",
        at=ctx.now(),
        application_id=cert.application_id,
        certification_id=cert.id,
        detail={"changed_fields": list(changes)},
    )
    await ctx.outbox.add(
        session,
        CertificationChanged(
            certification_id=cert.id,
            child_id=cert.child_id,
            guardian_id=cert.guardian_id,
            guardian_email=email,
            changed_fields=list(changes),
        ),
        municipality=cert.municipality,
    )


def _view(row: Row[Any]) -> dict[str, Any]:
    on_record = dict(row.form.get("guardian", {}))
    return {
        "id": row.id,
        "certification_id": row.certification_id,
        "certificate_number": row.certificate_number,
        "child_name": row.child_name,
        "guardian_name": on_record.get("name"),
        "status": row.status,
        "requested_at": row.requested_at,
        "changes": [
            {"field": field, "on_record": on_record.get(FORM_KEYS[field]), "requested": value}
            for field, value in in_form_order(row.requested).items()
        ],
        "decided_at": row.decided_at,
        "reason": row.reason,
    }


async def list_requests(
    ctx: Eligibility,
    *,
    municipality: str,
    status: str | None,
    certification_id: uuid.UUID | None = None,
    guardian_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """The officer's queue (oldest first) or, narrowed, one guardian's own requests."""
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = await change_store.requests(
            session,
            municipality=municipality,
            status=status,
            certification_id=certification_id,
            guardian_id=guardian_id,
        )
    return [_view(r) for r in rows]


async def _pending_request(
    session: AsyncSession, municipality: str, request_id: uuid.UUID
) -> Row[Any]:
    """The change request, locked: of this municipality and not decided yet."""
    row = await change_store.request_for_update(session, municipality, request_id)
    if row is None:
        raise NotFound(f"no change request {request_id}", message_ja=REQUEST_NOT_FOUND_JA)
    if row.status != PENDING:
        raise Conflict(
            f"the change request was already {row.status}",
            message_ja="この変更申請はすでに処理されています。",
        )
    return row


async def decide(
    ctx: Eligibility,
    *,
    municipality: str,
    request_id: uuid.UUID,
    approve: bool,
    reason: str,
    principal: Principal,
) -> dict[str, Any]:
    """Approve (the change applies now) or reject with a reason; each once."""
    now = ctx.now()
    async with ctx.transaction() as session:
        row = await _pending_request(session, municipality, request_id)
        cert = await certification_store.certification_for_update(session, row.certification_id)
        if approve and cert.status != "active":
            raise Conflict(
                "the certification has ended; the change cannot apply",
                message_ja="この認定は終了しているため、変更を反映できません。却下してください。",
            )
        changes = in_form_order(row.requested)
        email = await email_of(session, cert.guardian_id)
        if approve:
            form = await form_of(session, cert.application_id)
            await apply(ctx, session, cert, form, changes, email, principal.subject)
        await change_store.record_decision(
            session,
            request_id,
            status=APPROVED if approve else REJECTED,
            decided_by=principal.subject,
            decided_at=now,
            reason=reason,
        )
        decided = ChangeApplicationDecided(
            change_request_id=request_id,
            certification_id=cert.id,
            child_id=cert.child_id,
            guardian_id=cert.guardian_id,
            guardian_email=email,
            approved=approve,
            fields=list(changes),
            reason=reason,
        )
        await _record_decision(
            ctx, session, municipality, cert, decided, actor=principal.subject, at=now
        )
    return {"id": request_id, "status": APPROVED if approve else REJECTED}


async def _record_decision(
    ctx: Eligibility,
    session: AsyncSession,
    municipality: str,
    cert: Row[Any],
    decided: ChangeApplicationDecided,
    *,
    actor: str,
    at: datetime,
) -> None:
    """The audit line and ChangeApplicationDecided (the guardian is mailed the outcome)."""
    await audit(
        session,
        municipality=municipality,
        actor=actor,
        action="certification.change_approved"
        if decided.approved
        else "certification.change_rejected",
        at=at,
        application_id=cert.application_id,
        certification_id=cert.id,
        detail={"change_request_id": str(decided.change_request_id), "fields": decided.fields},
    )
    await ctx.outbox.add(session, decided, municipality=municipality)

"""認定 after approval: change applications, revocation, and ageing out.

Each ends in an event booking acts on: CertificationChanged, CertificationRevoked (bookings on
or after ``effective_date`` are void).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.auth import Principal, Role
from tsuen_common.events.eligibility import CertificationRevoked, RevocationReason
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import certification_store, guardian_store
from tsuen_eligibility.domain.certification import is_aged_out, revocation_effective_date
from tsuen_eligibility.domain.changes import needs_review, requested_changes
from tsuen_eligibility.domain.names import email_key
from tsuen_eligibility.service_layer import change_requests, guardians
from tsuen_eligibility.service_layer.commands import ChangeRequest, RevokeRequest
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import CERTIFICATION_NOT_FOUND_JA, Conflict, NotFound

log = get_logger(__name__)


def certification_view(row: Row[Any], email: str) -> dict[str, Any]:
    return {
        "certification_id": row.id,
        "municipality": row.municipality,
        "application_id": row.application_id,
        "child_id": row.child_id,
        "guardian_id": row.guardian_id,
        "guardian_email": email,
        "certificate_number": row.certificate_number,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "status": row.status,
        "revoked_on": row.revoked_on,
        "revocation_reason": row.revocation_reason,
        # The certificate names the child (the portal's home and 認定証 show it).
        "child_name": getattr(row, "child_name", None),
        "child_kana": getattr(row, "child_kana", None),
        "child_birth_date": row.child_birth_date,
        "guardian_name": getattr(row, "guardian_name", None),
        "guardian_kana": getattr(row, "guardian_kana", None),
        "guardian_address": getattr(row, "guardian_address", None),
        "guardian_phone": getattr(row, "guardian_phone", None),
    }


def _visible_to(principal: Principal, row: Row[Any]) -> bool:
    # Officers see their municipality; a guardian only their own children's certifications.
    return principal.can_access_guardian(row.municipality, str(row.guardian_id))


def guardian_of(principal: Principal, municipality: str) -> uuid.UUID:
    """The guardian account a guardian's token names; 403 for another municipality's path.

    A token whose guardian id is not a UUID names no account here: the nil UUID matches none.
    """
    principal.require_municipality(municipality)
    try:
        return uuid.UUID(str(principal.guardian_id))
    except ValueError:
        return uuid.UUID(int=0)


async def list_certifications(
    ctx: Eligibility,
    *,
    municipality: str,
    status: str | None,
    limit: int,
    offset: int,
    guardian_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Newest first; ``guardian_id`` narrows to one guardian's children (their own view)."""
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        rows = await certification_store.certificates(
            session,
            municipality=municipality,
            guardian_id=guardian_id,
            status=status,
            limit=limit,
            offset=offset,
        )
    return [certification_view(r, r.guardian_email) for r in rows]


async def get_certification(
    ctx: Eligibility, *, municipality: str, certification_id: uuid.UUID, principal: Principal
) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await certification_store.certificate(
            session, municipality=municipality, certification_id=certification_id
        )
    if row is None or not _visible_to(principal, row):
        raise NotFound(
            f"no certification {certification_id} in municipality {municipality}",
            message_ja=CERTIFICATION_NOT_FOUND_JA,
        )
    return certification_view(row, row.guardian_email)


async def _locked(
    session: AsyncSession, municipality: str, certification_id: uuid.UUID
) -> Row[Any]:
    """The municipality's certification, locked; 404 for another's as for none."""
    row = await certification_store.municipality_certification_for_update(
        session, municipality, certification_id
    )
    if row is None:
        raise NotFound(
            f"no certification {certification_id} in municipality {municipality}",
            message_ja=CERTIFICATION_NOT_FOUND_JA,
        )
    return row


async def change_certification(
    ctx: Eligibility,
    *,
    municipality: str,
    certification_id: uuid.UUID,
    change: ChangeRequest,
    principal: Principal,
) -> dict[str, Any]:
    """変更申請 (address, phone, name, e-mail). A guardian's change of details waits for an
    officer (change_requests.py); an officer's applies now. A new e-mail address is used only
    once its owner confirms it (guardians.py)."""
    async with ctx.transaction() as session:
        cert = await _locked(session, municipality, certification_id)
        if not principal.can_access_guardian(municipality, str(cert.guardian_id)):
            raise NotFound(
                f"no certification {certification_id} in municipality {municipality}",
                message_ja=CERTIFICATION_NOT_FOUND_JA,
            )
        if cert.status != "active":
            raise Conflict(
                "the certification has ended; apply again instead of changing it",
                message_ja="この認定は終了しています。変更ではなく、改めて利用申請をしてください。",
            )
        form = await change_requests.form_of(session, cert.application_id)
        changes = requested_changes(form["guardian"], change.model_dump())
        email = await change_requests.email_of(session, cert.guardian_id)
        new_email = None
        if change.guardian_email is not None and email_key(change.guardian_email) != email:
            new_email = email_key(change.guardian_email)
        if not changes and new_email is None:
            raise Conflict(
                "nothing to change: the values are the ones already on record",
                message_ja="変更する内容がありません（登録済みの内容と同じです）。",
            )
        review = bool(changes) and needs_review(principal.role is Role.MUNICIPALITY_OFFICER)
        request_id = None
        if review:
            request_id = await change_requests.file(ctx, session, cert, changes, principal.subject)
        elif changes:
            await change_requests.apply(ctx, session, cert, form, changes, email, principal.subject)
        confirmation_expires_at = None
        if new_email is not None:
            confirmation_expires_at = await guardians.request_email_change(
                ctx,
                session,
                municipality=municipality,
                guardian_id=cert.guardian_id,
                certification_id=cert.id,
                new_email=new_email,
                actor=principal.subject,
            )
    return _change_answer(
        certification_id,
        changes=changes,
        applied=not review,
        request_id=request_id,
        confirmation_expires_at=confirmation_expires_at,
    )


def _change_answer(
    certification_id: uuid.UUID,
    *,
    changes: dict[str, str],
    applied: bool,
    request_id: uuid.UUID | None,
    confirmation_expires_at: datetime | None,
) -> dict[str, Any]:
    """What changed now, what waits for an officer or for the new address's owner, and a
    Japanese note saying so."""
    answer: dict[str, Any] = {
        "certification_id": certification_id,
        "changed_fields": list(changes) if applied else [],
    }
    notes: list[str] = []
    if request_id is not None:
        answer["pending_review"] = list(changes)
        answer["change_request_id"] = request_id
        notes.append(
            "変更申請を受け付けました。市区町村の確認後に反映され、結果はメールでお知らせします。"
        )
    if confirmation_expires_at is not None:
        answer["pending_confirmation"] = ["guardian_email"]
        answer["confirmation_expires_at"] = confirmation_expires_at
        notes.append(
            "新しいメールアドレスに確認メールを送りました。メール内のリンクを開くと変更が完了します。"
            "それまでは、これまでのアドレスにお知らせが届きます。"
        )
    if notes:
        answer["message_ja"] = "".join(notes)
    return answer


async def revoke_row(
    ctx: Eligibility,
    session: AsyncSession,
    cert: Row[Any],
    *,
    reason: RevocationReason,
    event_date: date,
    actor: str,
) -> date:
    """Revoke one locked, active certification row inside the caller's transaction."""
    effective = revocation_effective_date(reason, event_date, cert.valid_until)
    await certification_store.mark_revoked(
        session, cert.id, revoked_on=effective, reason=str(reason)
    )
    email = await guardian_store.email_of(session, cert.guardian_id)
    await audit(
        session,
        municipality=cert.municipality,
        actor=actor,
        action="certification.revoked",
        at=ctx.now(),
        application_id=cert.application_id,
        certification_id=cert.id,
        detail={"reason": str(reason), "effective_date": effective.isoformat()},
    )
    await ctx.outbox.add(
        session,
        CertificationRevoked(
            certification_id=cert.id,
            child_id=cert.child_id,
            guardian_id=cert.guardian_id,
            guardian_email=email,
            effective_date=effective,
            reason=reason,
        ),
        municipality=cert.municipality,
    )
    return effective


async def revoke_certification(
    ctx: Eligibility,
    *,
    municipality: str,
    certification_id: uuid.UUID,
    request: RevokeRequest,
    actor: str,
) -> dict[str, Any]:
    async with ctx.transaction() as session:
        cert = await _locked(session, municipality, certification_id)
        if cert.status != "active":
            raise Conflict(
                f"the certification was already revoked from {cert.revoked_on}",
                message_ja="この認定はすでに取り消されています。",
            )
        effective = await revoke_row(
            ctx,
            session,
            cert,
            reason=request.reason,
            event_date=request.effective_date,
            actor=actor,
        )
    return {"certification_id": certification_id, "status": "revoked", "effective_date": effective}


async def expire_aged_out(ctx: Eligibility, *, on: date, batch: int = 500) -> int:
    """Revoke every active certification whose last usable day is before ``on`` (aged_out).

    Idempotent: a revoked certification is no longer active, so a second run finds nothing.
    Works in batches (SKIP LOCKED) so two cron runs at once share the work.
    """
    total = 0
    while True:
        async with ctx.transaction() as session:
            rows = await certification_store.active_ended_before_for_update(
                session, before=on, batch=batch
            )
            for cert in rows:
                if is_aged_out(cert.valid_until, on):
                    await revoke_row(
                        ctx,
                        session,
                        cert,
                        reason=RevocationReason.AGED_OUT,
                        event_date=on,
                        actor="system:expire-aged-out",
                    )
        total += len(rows)
        if len(rows) < batch:
            break
    log.info("aged-out certifications revoked", count=total, on=on.isoformat())
    return total

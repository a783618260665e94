"""認定: an officer approves an application and the child is certified.

ChildCertified drives the アカウント発行のお知らせ e-mail and booking's copy of the child.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import ChildCertified, MovedFrom
from tsuen_common.logging import get_logger
from tsuen_common.usecase import retry_on_conflict
from tsuen_eligibility.adapters import application_store, certification_store
from tsuen_eligibility.domain.certification import (
    CertificationError,
    certificate_number,
    special_needs,
    validity_window,
)
from tsuen_eligibility.domain.checks import AgeStatus, CheckResults
from tsuen_eligibility.domain.moves import OfficerDecision
from tsuen_eligibility.domain.names import guardian_key
from tsuen_eligibility.service_layer import guardians, moves, waitlist
from tsuen_eligibility.service_layer.commands import ApproveRequest
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict
from tsuen_eligibility.service_layer.registries import child_checks
from tsuen_eligibility.service_layer.review import application_to_decide

log = get_logger(__name__)


@dataclass(frozen=True)
class Certificate:
    """What approval created: the certification and who it is for."""

    certification_id: uuid.UUID
    certificate_number: str
    child_id: uuid.UUID
    guardian_id: uuid.UUID
    valid_from: date
    valid_until: date
    moved_from: MovedFrom | None = None


@retry_on_conflict
async def approve(
    ctx: Eligibility,
    *,
    municipality: str,
    application_id: uuid.UUID,
    request: ApproveRequest,
    actor: str,
) -> dict[str, Any]:
    """認定: certify the child; ChildCertified drives the アカウント発行のお知らせ e-mail."""
    now = ctx.now()
    today = now.date()
    async with ctx.transaction() as session:
        app = await application_to_decide(session, municipality, application_id)
        entry = await _check_approvable(session, municipality, app)
        # The registries may have changed since submission: check again on the decision day.
        checks = await child_checks(
            ctx,
            session,
            municipality=municipality,
            child_kana_key=app.child_kana_key,
            birth_date=app.child_birth_date,
            on=today,
        )
        _check_results_allow(checks, request)
        cert = await _certify(ctx, session, app, request, today)
        await application_store.update_application(
            session,
            application_id,
            status="approved",
            checks=checks.to_json(),
            decided_at=now,
            decided_by=actor,
        )
        if entry is not None:
            await waitlist.take_up(session, entry)
        await _record_approval(ctx, session, app, cert, checks, request, actor=actor, at=now)
    log.info(
        "application approved",
        application_id=str(application_id),
        certification_id=str(cert.certification_id),
        municipality=municipality,
    )
    return {
        "application_id": application_id,
        "status": "approved",
        "certification_id": cert.certification_id,
        "certificate_number": cert.certificate_number,
        "child_id": cert.child_id,
        "guardian_id": cert.guardian_id,
        "valid_from": cert.valid_from,
        "valid_until": cert.valid_until,
        "moved_from": cert.moved_from.model_dump() if cert.moved_from else None,
    }


async def _check_approvable(
    session: AsyncSession, municipality: str, app: Row[Any]
) -> Row[Any] | None:
    """Pending, and not held back by a lottery: the lottery entry whose place it takes up."""
    if app.status in ("waitlisted", "not_selected"):
        # The lottery's refusal says more (補欠 number, outcome) than "not pending".
        await waitlist.check_may_approve(session, municipality=municipality, app=app)
    if app.status != "pending":
        raise Conflict(
            f"the application is {app.status}; only pending ones can be approved",
            message_ja="この申請は審査中ではないため、承認できません。申請の状態をご確認ください。",
        )
    return await waitlist.check_may_approve(session, municipality=municipality, app=app)


def _check_results_allow(checks: CheckResults, request: ApproveRequest) -> None:
    """Aged out: never. Another failed check: only when the officer verified it by hand."""
    if checks.age is AgeStatus.AGED_OUT:
        raise Conflict(
            "; ".join(checks.failures()) + "; reject the application instead",
            message_ja="お子さまが対象年齢を過ぎているため、承認できません。申請を却下してください。",
        )
    if not checks.passed and not request.acknowledge_failed_checks:
        raise Conflict(
            "automatic checks failed: "
            + "; ".join(checks.failures())
            + ". Fix the registry data, or approve with acknowledge_failed_checks=true "
            "after verifying by hand",
            message_ja="自動確認で一致しない項目があります。住民記録などを確認のうえ修正するか、"
            "目視で確認済みとして承認してください。",
        )


async def _certify(
    ctx: Eligibility, session: AsyncSession, app: Row[Any], request: ApproveRequest, today: date
) -> Certificate:
    """The certification: its validity window, the guardian's account, the child's id (kept
    from a certification elsewhere when this is a move, service_layer/moves.py)."""
    municipality = app.municipality
    try:
        valid_from, valid_until = validity_window(app.child_birth_date, today)
    except CertificationError as exc:
        raise Conflict(
            str(exc),
            message_ja="認定期間を決められないため、承認できません。お子さまの生年月日をご確認ください。",
        ) from None
    guardian = app.form["guardian"]
    identity = guardian_key(guardian["kana"], guardian["birth_date"])
    previous = await certification_store.latest_for_child(
        session,
        municipality=municipality,
        child_kana_key=app.child_kana_key,
        child_birth_date=app.child_birth_date,
    )
    if previous is not None and previous.status == "active":
        raise Conflict(
            "this child (same name reading and birth date) already holds an active "
            "certification in this municipality; reject this application or revoke that one",
            message_ja="このお子さま（同じ読み仮名・生年月日）は、この市区町村ですでに認定を受けています。"
            "この申請を却下するか、既存の認定を取り消してください。",
        )
    moved = await moves.move_in(
        ctx,
        session,
        app,
        identity=identity,
        decision=OfficerDecision(
            moved_from=request.moved_from_certification_id, another_child=request.another_child
        ),
        valid_from=valid_from,
    )
    guardian_id = moved.guardian_id if moved is not None else None
    if guardian_id is None:
        guardian_id = await guardians.account_for_applicant(
            session, municipality=municipality, email=app.guardian_email, identity=identity
        )
    certification_id = uuid.uuid4()
    # A child certified again (moved back, left daycare) keeps its child id, and so does a
    # child moving in from another municipality: booking keeps one quota history per child.
    if moved is not None:
        child_id = moved.child_id
    else:
        child_id = previous.child_id if previous is not None else uuid.uuid4()
    cert = Certificate(
        certification_id=certification_id,
        certificate_number=certificate_number(municipality, today, certification_id),
        child_id=child_id,
        guardian_id=guardian_id,
        valid_from=valid_from,
        valid_until=valid_until,
        moved_from=moved.moved_from if moved is not None else None,
    )
    await certification_store.add_certification(
        session,
        id=cert.certification_id,
        municipality=municipality,
        application_id=app.id,
        child_id=cert.child_id,
        guardian_id=cert.guardian_id,
        certificate_number=cert.certificate_number,
        child_kana_key=app.child_kana_key,
        child_birth_date=app.child_birth_date,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        status="active",
    )
    return cert


async def _record_approval(
    ctx: Eligibility,
    session: AsyncSession,
    app: Row[Any],
    cert: Certificate,
    checks: CheckResults,
    request: ApproveRequest,
    *,
    actor: str,
    at: datetime,
) -> None:
    """The audit line (with any failed check the officer acknowledged) and ChildCertified."""
    await audit(
        session,
        municipality=app.municipality,
        actor=actor,
        action="application.approved",
        at=at,
        application_id=app.id,
        certification_id=cert.certification_id,
        detail={
            "checks_passed": checks.passed,
            "acknowledged_failed_checks": request.acknowledge_failed_checks and not checks.passed,
            # 転入: from which certification, or the officer's "another child" (which gives
            # the child a quota of its own): both stay on record.
            "moved_from": str(cert.moved_from.certification_id) if cert.moved_from else None,
            "moved_from_municipality": cert.moved_from.municipality if cert.moved_from else None,
            "another_child": request.another_child,
        },
    )
    await ctx.outbox.add(session, _child_certified(app, cert), municipality=app.municipality)


def _child_certified(app: Row[Any], cert: Certificate) -> ChildCertified:
    return ChildCertified(
        certification_id=cert.certification_id,
        child_id=cert.child_id,
        guardian_id=cert.guardian_id,
        guardian_email=app.guardian_email,
        certificate_number=cert.certificate_number,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        needs_support=app.needs_support,
        birth_date=app.child_birth_date,
        child_name=app.child_name,
        child_kana=app.form.get("child", {}).get("kana"),
        decided_facility_id=app.desired_facility_id,
        considerations=special_needs(app.form),
        moved_from=cert.moved_from,
    )

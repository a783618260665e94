"""The application flow: link → form → automatic checks → officer review → 認定."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common import ratelimit
from tsuen_common.age import InvalidBirthDate, validate_birth_date
from tsuen_common.events.eligibility import (
    ApplicationLinkIssued,
    ApplicationRejected,
    ApplicationSubmitted,
    ChildCertified,
)
from tsuen_common.logging import get_logger
from tsuen_common.policy import ApplicationPhase, MunicipalityPolicy
from tsuen_common.ratelimit import Rate
from tsuen_eligibility.adapters.orm import (
    application_links,
    applications,
    attachments,
    audit_log,
    certifications,
    lottery_entries,
    rate_limits,
)
from tsuen_eligibility.domain.attachments import content_matches, safe_filename
from tsuen_eligibility.domain.certification import (
    CertificationError,
    certificate_number,
    special_needs,
    validity_window,
)
from tsuen_eligibility.domain.checks import AgeStatus
from tsuen_eligibility.domain.links import (
    LinkAlreadyUsed,
    LinkError,
    check_link_usable,
    link_expiry,
    new_token,
    token_hash,
)
from tsuen_eligibility.domain.names import email_key, guardian_key, kana_key
from tsuen_eligibility.service_layer import guardians, lottery
from tsuen_eligibility.service_layer.commands import (
    ApplicationForm,
    ApproveRequest,
    Attachment,
    RejectRequest,
)
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import (
    APPLICATION_NOT_FOUND_JA,
    DUPLICATE_APPLICATION_JA,
    LINK_EXPIRED_JA,
    LINK_USED_JA,
    Conflict,
    Gone,
    Invalid,
    NotFound,
    TooLarge,
    UnsupportedType,
)
from tsuen_eligibility.service_layer.registries import child_checks

log = get_logger(__name__)

LIVE_STATUSES = ("pending", "approved", "waitlisted")


def check_accepting_applications(policy: MunicipalityPolicy, today: date) -> None:
    """Links and applications only inside the municipality's application period (issue 17)."""
    rule = policy.eligibility
    phase = rule.application_phase(today)
    if phase is ApplicationPhase.UPCOMING and rule.applications_open_on is not None:
        opens = rule.applications_open_on
        raise Conflict(
            f"{policy.name} takes applications from {opens.isoformat()}",
            message_ja=f"{policy.name}の利用認定申請の受付は{opens.year}年{opens.month}月"
            f"{opens.day}日からです。受付開始後にもう一度お申し込みください。",
        )
    if phase is ApplicationPhase.CLOSED and rule.applications_close_on is not None:
        closed = rule.applications_close_on
        raise Conflict(
            f"{policy.name} stopped taking applications on {closed.isoformat()}",
            message_ja=f"{policy.name}の利用認定申請の受付は{closed.year}年{closed.month}月"
            f"{closed.day}日で終了しました。{policy.name}の担当窓口にお問い合わせください。",
        )


@dataclass(frozen=True)
class IssuedLink:
    link_id: uuid.UUID
    expires_at: datetime


async def issue_link(
    ctx: Eligibility, *, municipality: str, email: str, client: str | None = None
) -> IssuedLink:
    """Step 1 (利用申請): a one-time link for the e-mail; the token travels only in the e-mail.

    Limited per address and per client, so nobody can make the platform mail someone else
    without end; the limit answers the same whether or not the address is known.
    """
    policy = ctx.policy(municipality)
    now = ctx.now()
    settings = ctx.settings
    check_accepting_applications(policy, now.date())
    token = new_token()
    link_id = uuid.uuid4()
    expires_at = link_expiry(now, policy.eligibility.application_link_validity_hours)
    url = f"{ctx.settings.application_url_base}?" + urlencode(
        {"municipality": municipality, "token": token}
    )
    async with ctx.sessions() as session, session.begin():
        await ratelimit.check(
            session,
            rate_limits,
            [
                (
                    ratelimit.address_key("link", email),
                    Rate(settings.link_requests_per_address_per_hour, timedelta(hours=1)),
                ),
                (
                    ratelimit.client_key("link", client),
                    Rate(settings.link_requests_per_client_per_hour, timedelta(hours=1)),
                ),
            ],
            now=now,
        )
        await session.execute(
            sa.insert(application_links).values(
                id=link_id,
                municipality=municipality,
                token_hash=token_hash(token),
                email=email_key(email),
                issued_at=now,
                expires_at=expires_at,
            )
        )
        await ctx.outbox.add(
            session,
            ApplicationLinkIssued(link_id=link_id, email=email, url=url, expires_at=expires_at),
            municipality=municipality,
        )
    return IssuedLink(link_id=link_id, expires_at=expires_at)


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's bytes, from base64 in the JSON form or from a multipart upload."""

    filename: str
    content_type: str
    data: bytes


def _checked(ctx: Eligibility, n: int, file: AttachmentFile) -> AttachmentFile:
    settings = ctx.settings
    content_type = file.content_type.split(";")[0].strip().lower()
    if content_type not in settings.attachment_content_types:
        raise UnsupportedType(
            f"attachment {n} ({file.filename}) is {content_type}; send one of "
            f"{', '.join(settings.attachment_content_types)}",
            message_ja=f"添付{n}の形式（{content_type}）は受け付けられません。"
            "PDF・JPEG・PNG のいずれかでお送りください。",
        )
    if len(file.data) > settings.attachment_max_bytes:
        raise TooLarge(
            _too_large(n, file.filename, settings.attachment_max_bytes),
            message_ja=_too_large_ja(n, settings.attachment_max_bytes),
        )
    name = safe_filename(file.filename)
    if not file.data:
        raise Invalid(
            f"attachment {n} ({name}) is empty", message_ja=f"添付{n}（{name}）が空です。"
        )
    if not content_matches(content_type, file.data):
        raise UnsupportedType(
            f"attachment {n} ({name}) is not a {content_type} file; send the scan or photo "
            "itself as PDF, JPEG or PNG",
            message_ja=f"添付{n}（{name}）の中身が {content_type} ではありません。"
            "PDF・JPEG・PNG のファイルをそのまま添付してください。",
        )
    return AttachmentFile(name, content_type, file.data)


def _decode_attachments(
    ctx: Eligibility, items: list[Attachment], uploads: Sequence[AttachmentFile] = ()
) -> list[AttachmentFile]:
    settings = ctx.settings
    if len(items) + len(uploads) > settings.attachment_max_count:
        raise Invalid(
            f"at most {settings.attachment_max_count} attachments per application",
            message_ja=f"添付できるファイルは、1件の申請につき{settings.attachment_max_count}件までです。",
        )
    files = []
    for n, item in enumerate(items, start=1):
        # base64 is 4/3 of the size: refuse before decoding a huge string.
        if len(item.data_base64) > (settings.attachment_max_bytes * 4) // 3 + 8:
            raise TooLarge(
                _too_large(n, item.filename, settings.attachment_max_bytes),
                message_ja=_too_large_ja(n, settings.attachment_max_bytes),
            )
        try:
            data = base64.b64decode(item.data_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(
                f"attachment {n} ({item.filename}): data_base64 is not base64",
                message_ja=f"添付{n}のデータを読み取れませんでした。ファイルを選び直してください。",
            ) from None
        files.append(_checked(ctx, n, AttachmentFile(item.filename, item.content_type, data)))
    for n, upload in enumerate(uploads, start=len(items) + 1):
        files.append(_checked(ctx, n, upload))
    return files


def _size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def _too_large_ja(n: int, limit: int) -> str:
    return (
        f"添付{n}のファイルが大きすぎます（上限 {_size_text(limit)}）。"
        "解像度を下げるなどして、小さくしてからお送りください。"
    )


def _too_large(n: int, filename: str, limit: int) -> str:
    return (
        f"attachment {n} ({filename}) is larger than {_size_text(limit)}; "
        "send a smaller scan or photo (for example a PDF at a lower resolution)"
    )


async def submit_application(
    ctx: Eligibility,
    *,
    municipality: str,
    form: ApplicationForm,
    uploads: Sequence[AttachmentFile] = (),
) -> dict[str, Any]:
    """Step 2: the form, sent with the link's token. The link is used up in the same transaction."""
    now = ctx.now()
    today = now.date()
    check_accepting_applications(ctx.policy(municipality), today)
    try:
        validate_birth_date(form.child.birth_date, today)
    except InvalidBirthDate as exc:
        raise Invalid(
            f"child.birth_date: {exc}; check the year",
            message_ja="お子さまの生年月日に誤りがあります。年をご確認ください（まだ生まれていない日は指定できません）。",
        ) from None
    if form.guardian.birth_date >= form.child.birth_date:
        raise Invalid(
            "guardian.birth_date must be before child.birth_date; check both dates",
            message_ja="保護者の生年月日が、お子さまの生年月日より後になっています。両方の日付をご確認ください。",
        )
    files = _decode_attachments(ctx, form.attachments, uploads)
    application_id = uuid.uuid4()
    child_key = kana_key(form.child.kana)
    try:
        async with ctx.sessions() as session, session.begin():
            link = (
                await session.execute(
                    sa.select(application_links)
                    .where(application_links.c.token_hash == token_hash(form.link_token))
                    .with_for_update()
                )
            ).one_or_none()
            if link is None:
                raise NotFound(
                    "this application link is unknown; open the form from the link in your "
                    "e-mail, or request a new link",
                    message_ja="この申請用リンクは無効です。メールに記載されたリンクから開き直すか、新しいリンクをお申し込みください。",
                )
            if link.municipality != municipality:
                raise NotFound(
                    f"this application link was not issued by municipality {municipality}; "
                    "open the form from the link in your e-mail",
                    message_ja="この申請用リンクは、この市区町村のものではありません。メールに記載されたリンクから開き直してください。",
                )
            try:
                check_link_usable(expires_at=link.expires_at, used_at=link.used_at, now=now)
            except LinkError as exc:
                raise Gone(
                    str(exc),
                    message_ja=LINK_USED_JA
                    if isinstance(exc, LinkAlreadyUsed)
                    else LINK_EXPIRED_JA,
                ) from None
            duplicate = (
                await session.execute(
                    sa.select(applications.c.id).where(
                        applications.c.municipality == municipality,
                        applications.c.child_kana_key == child_key,
                        applications.c.child_birth_date == form.child.birth_date,
                        applications.c.guardian_email == link.email,
                        applications.c.status.in_(LIVE_STATUSES),
                    )
                )
            ).first()
            if duplicate is not None:
                raise Conflict(_duplicate_message(), message_ja=DUPLICATE_APPLICATION_JA)
            checks = await child_checks(
                ctx,
                session,
                municipality=municipality,
                child_kana_key=child_key,
                birth_date=form.child.birth_date,
                on=today,
            )
            form_json = form.model_dump(mode="json", exclude={"link_token", "attachments"})
            form_json["guardian"]["email"] = link.email
            await session.execute(
                sa.insert(applications).values(
                    id=application_id,
                    municipality=municipality,
                    link_id=link.id,
                    status="pending",
                    guardian_email=link.email,
                    guardian_name=form.guardian.name,
                    child_name=form.child.name,
                    child_kana_key=child_key,
                    child_birth_date=form.child.birth_date,
                    desired_facility_id=form.desired_facility_id,
                    needs_support=form.special_considerations.present,
                    form=form_json,
                    checks=checks.to_json(),
                    submitted_at=now,
                )
            )
            for f in files:
                await session.execute(
                    sa.insert(attachments).values(
                        id=uuid.uuid4(),
                        municipality=municipality,
                        application_id=application_id,
                        filename=f.filename,
                        content_type=f.content_type,
                        size_bytes=len(f.data),
                        sha256=hashlib.sha256(f.data).hexdigest(),
                        data=f.data,
                    )
                )
            await session.execute(
                sa.update(application_links)
                .where(application_links.c.id == link.id)
                .values(used_at=now)
            )
            await audit(
                session,
                municipality=municipality,
                actor=f"guardian-link:{link.id}",
                action="application.submitted",
                at=now,
                application_id=application_id,
                detail={"attachments": len(files)},
            )
            await ctx.outbox.add(
                session,
                ApplicationSubmitted(
                    application_id=application_id, desired_facility_id=form.desired_facility_id
                ),
                municipality=municipality,
            )
    except IntegrityError as exc:
        # Two submissions for the same child at once: the partial unique index decides.
        if "uq_applications_live_child" in str(exc.orig):
            raise Conflict(_duplicate_message(), message_ja=DUPLICATE_APPLICATION_JA) from None
        raise
    # Ids and outcomes only: names, birth dates and e-mails never go to the logs.
    log.info(
        "application submitted",
        application_id=str(application_id),
        municipality=municipality,
        checks_passed=checks.passed,
    )
    # The applicant is not authenticated (the link only proves an e-mail address): the check
    # results (residency, enrollment facility types) stay with the officers, or anyone could
    # probe the municipality's registries through this form.
    return {
        "application_id": application_id,
        "status": "pending",
        "message": SUBMITTED_MESSAGE,
    }


SUBMITTED_MESSAGE = (
    "your application has been received; the municipality will review it and tell you the "
    "outcome by e-mail"
)


def _duplicate_message() -> str:
    return (
        "an application for this child (same name reading and birth date) from this e-mail "
        "address is already pending or approved; siblings apply separately with their own "
        "name and birth date"
    )


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
    query = sa.select(applications).where(applications.c.municipality == municipality)
    if status:
        query = query.where(applications.c.status == status)
    if facility_id:
        query = query.where(applications.c.desired_facility_id == facility_id)
    if checks_passed is not None:
        query = query.where(applications.c.checks["passed"].as_boolean() == checks_passed)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            sa.or_(
                applications.c.child_name.ilike(pattern),
                applications.c.guardian_name.ilike(pattern),
                applications.c.guardian_email.ilike(pattern),
                applications.c.child_kana_key.contains(kana_key(q), autoescape=True),
            )
        )
    query = query.order_by(applications.c.submitted_at.desc(), applications.c.id)
    async with ctx.sessions() as session:
        rows = (await session.execute(query.limit(limit).offset(offset))).all()
    return [_summary(r) for r in rows]


async def get_application(
    ctx: Eligibility, *, municipality: str, application_id: uuid.UUID
) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                sa.select(applications).where(
                    applications.c.municipality == municipality,
                    applications.c.id == application_id,
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound(
                f"no application {application_id} in municipality {municipality}",
                message_ja=APPLICATION_NOT_FOUND_JA,
            )
        files = (
            await session.execute(
                sa.select(
                    attachments.c.id,
                    attachments.c.filename,
                    attachments.c.content_type,
                    attachments.c.size_bytes,
                    attachments.c.sha256,
                )
                .where(attachments.c.application_id == application_id)
                .order_by(attachments.c.filename, attachments.c.id)
            )
        ).all()
        trail = (
            await session.execute(
                sa.select(audit_log)
                .where(
                    audit_log.c.municipality == municipality,
                    audit_log.c.application_id == application_id,
                )
                .order_by(audit_log.c.id)
            )
        ).all()
        entry = (
            await session.execute(
                sa.select(lottery_entries).where(lottery_entries.c.application_id == application_id)
            )
        ).one_or_none()
        cert = (
            await session.execute(
                sa.select(certifications.c.id).where(
                    certifications.c.application_id == application_id
                )
            )
        ).scalar_one_or_none()
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


async def get_attachment(
    ctx: Eligibility, *, municipality: str, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> tuple[str, str, bytes]:
    async with ctx.sessions() as session:
        row = (
            await session.execute(
                sa.select(attachments).where(
                    attachments.c.municipality == municipality,
                    attachments.c.application_id == application_id,
                    attachments.c.id == attachment_id,
                )
            )
        ).one_or_none()
    if row is None:
        raise NotFound(
            f"no attachment {attachment_id} on application {application_id}",
            message_ja="添付ファイルが見つかりませんでした。申請の詳細を開き直してください。",
        )
    return row.filename, row.content_type, row.data


def audit_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "application_id": row.application_id,
        "certification_id": row.certification_id,
        "round_id": row.round_id,
        "detail": row.detail,
    }


async def list_audit(
    ctx: Eligibility,
    *,
    municipality: str,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    ctx.policy(municipality)
    query = sa.select(audit_log).where(audit_log.c.municipality == municipality)
    if application_id:
        query = query.where(audit_log.c.application_id == application_id)
    if certification_id:
        query = query.where(audit_log.c.certification_id == certification_id)
    if round_id:
        query = query.where(audit_log.c.round_id == round_id)
    async with ctx.sessions() as session:
        rows = (
            await session.execute(query.order_by(audit_log.c.id).limit(limit).offset(offset))
        ).all()
    return [audit_view(r) for r in rows]


async def _locked_application(session: Any, municipality: str, application_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            sa.select(applications)
            .where(applications.c.municipality == municipality, applications.c.id == application_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(
            f"no application {application_id} in municipality {municipality}",
            message_ja=APPLICATION_NOT_FOUND_JA,
        )
    return row


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
    async with ctx.sessions() as session, session.begin():
        app = await _locked_application(session, municipality, application_id)
        if app.status in ("waitlisted", "not_selected"):
            await lottery.check_may_approve(session, municipality=municipality, app=app)
        if app.status != "pending":
            raise Conflict(
                f"the application is {app.status}; only pending ones can be approved",
                message_ja="この申請は審査中ではないため、承認できません。申請の状態をご確認ください。",
            )
        entry = await lottery.check_may_approve(session, municipality=municipality, app=app)
        # The registries may have changed since submission: check again on the decision day.
        checks = await child_checks(
            ctx,
            session,
            municipality=municipality,
            child_kana_key=app.child_kana_key,
            birth_date=app.child_birth_date,
            on=today,
        )
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
        try:
            valid_from, valid_until = validity_window(app.child_birth_date, today)
        except CertificationError as exc:
            raise Conflict(
                str(exc),
                message_ja="認定期間を決められないため、承認できません。お子さまの生年月日をご確認ください。",
            ) from None
        guardian = app.form["guardian"]
        guardian_id = await guardians.account_for_applicant(
            session,
            municipality=municipality,
            email=app.guardian_email,
            identity=guardian_key(guardian["kana"], guardian["birth_date"]),
        )
        previous = (
            await session.execute(
                sa.select(certifications.c.child_id, certifications.c.status)
                .where(
                    certifications.c.municipality == municipality,
                    certifications.c.child_kana_key == app.child_kana_key,
                    certifications.c.child_birth_date == app.child_birth_date,
                )
                .order_by(certifications.c.created_at.desc())
                .limit(1)
            )
        ).one_or_none()
        if previous is not None and previous.status == "active":
            raise Conflict(
                "this child (same name reading and birth date) already holds an active "
                "certification in this municipality; reject this application or revoke that one",
                message_ja="このお子さま（同じ読み仮名・生年月日）は、この市区町村ですでに認定を受けています。"
                "この申請を却下するか、既存の認定を取り消してください。",
            )
        certification_id = uuid.uuid4()
        # A child certified again (moved back, left daycare) keeps its child id, so booking
        # keeps one quota history per child.
        child_id = previous.child_id if previous is not None else uuid.uuid4()
        number = certificate_number(municipality, today, certification_id)
        await session.execute(
            sa.insert(certifications).values(
                id=certification_id,
                municipality=municipality,
                application_id=application_id,
                child_id=child_id,
                guardian_id=guardian_id,
                certificate_number=number,
                child_kana_key=app.child_kana_key,
                child_birth_date=app.child_birth_date,
                valid_from=valid_from,
                valid_until=valid_until,
                status="active",
            )
        )
        await session.execute(
            sa.update(applications)
            .where(applications.c.id == application_id)
            .values(
                status="approved",
                checks=checks.to_json(),
                decided_at=now,
                decided_by=actor,
            )
        )
        if entry is not None:
            await lottery.take_up(session, entry)
        await audit(
            session,
            municipality=municipality,
            actor=actor,
            action="application.approved",
            at=now,
            application_id=application_id,
            certification_id=certification_id,
            detail={
                "checks_passed": checks.passed,
                "acknowledged_failed_checks": request.acknowledge_failed_checks
                and not checks.passed,
            },
        )
        await ctx.outbox.add(
            session,
            ChildCertified(
                certification_id=certification_id,
                child_id=child_id,
                guardian_id=guardian_id,
                guardian_email=app.guardian_email,
                certificate_number=number,
                valid_from=valid_from,
                valid_until=valid_until,
                needs_support=app.needs_support,
                birth_date=app.child_birth_date,
                child_name=app.child_name,
                child_kana=app.form.get("child", {}).get("kana"),
                decided_facility_id=app.desired_facility_id,
                considerations=special_needs(app.form),
            ),
            municipality=municipality,
        )
    log.info(
        "application approved",
        application_id=str(application_id),
        certification_id=str(certification_id),
        municipality=municipality,
    )
    return {
        "application_id": application_id,
        "status": "approved",
        "certification_id": certification_id,
        "certificate_number": number,
        "child_id": child_id,
        "guardian_id": guardian_id,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


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
    async with ctx.sessions() as session, session.begin():
        app = await _locked_application(session, municipality, application_id)
        if app.status not in ("pending", "waitlisted"):
            raise Conflict(
                f"the application is {app.status}; only pending ones can be rejected",
                message_ja="この申請は審査中ではないため、却下できません。申請の状態をご確認ください。",
            )
        await _not_on_a_closed_list(session, app.id)
        await session.execute(
            sa.update(applications)
            .where(applications.c.id == application_id)
            .values(
                status="rejected", decided_at=now, decided_by=actor, decision_reason=request.reason
            )
        )
        entry = await lottery.entry_for(session, application_id)
        if entry is not None and entry.outcome in lottery.HOLDING:
            # A rejected winner frees the place for the next 補欠.
            await lottery.give_up_place(
                ctx, session, entry, outcome="rejected", actor=actor, today=now.date()
            )
        elif entry is not None and entry.outcome == "waitlisted":
            await lottery.set_outcome(session, entry, "rejected")
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


async def _not_on_a_closed_list(session: AsyncSession, application_id: uuid.UUID) -> None:
    """A closed round draws the list it published: its applications wait for the draw."""
    listed = await lottery.closed_round_listing(session, application_id)
    if listed is not None:
        raise Conflict(
            f"the application is on the closed list of lottery round {listed}; decide after "
            "the draw",
            message_ja=lottery.LISTED_JA,
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
    async with ctx.sessions() as session, session.begin():
        app = await _locked_application(session, municipality, application_id)
        await _not_on_a_closed_list(session, app.id)
        if await lottery.entry_for(session, app.id) is not None:
            raise Conflict(
                "the application has already been drawn; its tier can no longer change",
                message_ja="この申請はすでに抽選済みのため、優先順位の区分は変更できません。",
            )
        await session.execute(
            sa.update(applications)
            .where(applications.c.id == application_id)
            .values(priority_tier=tier)
        )
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

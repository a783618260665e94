"""Step 2 of the application flow: the form, sent with the link's token, and its checks.

The link is used up in the same transaction as the application is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.age import InvalidBirthDate, validate_birth_date
from tsuen_common.events.eligibility import ApplicationSubmitted
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import application_store
from tsuen_eligibility.domain.checks import CheckResults
from tsuen_eligibility.domain.links import (
    LinkAlreadyUsed,
    LinkError,
    check_link_usable,
    token_hash,
)
from tsuen_eligibility.domain.names import kana_key
from tsuen_eligibility.service_layer.application_links import check_accepting_applications
from tsuen_eligibility.service_layer.attachments import AttachmentFile, decode_attachments
from tsuen_eligibility.service_layer.commands import ApplicationForm
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import (
    DUPLICATE_APPLICATION_JA,
    LINK_EXPIRED_JA,
    LINK_USED_JA,
    Conflict,
    Gone,
    Invalid,
    NotFound,
)
from tsuen_eligibility.service_layer.registries import child_checks

log = get_logger(__name__)

SUBMITTED_MESSAGE = (
    "your application has been received; the municipality will review it and tell you the "
    "outcome by e-mail"
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
    _check_birth_dates(form, today)
    files = decode_attachments(ctx, form.attachments, uploads)
    application_id = uuid.uuid4()
    child_key = kana_key(form.child.kana)
    try:
        async with ctx.transaction() as session:
            link = await _usable_link(session, municipality, form.link_token, now)
            await _refuse_duplicate(session, municipality, child_key, form, link.email)
            checks = await child_checks(
                ctx,
                session,
                municipality=municipality,
                child_kana_key=child_key,
                birth_date=form.child.birth_date,
                on=today,
            )
            await _store_application(
                session,
                municipality=municipality,
                application_id=application_id,
                link=link,
                form=form,
                child_key=child_key,
                checks=checks,
                files=files,
                now=now,
            )
            await _record_submission(
                ctx, session, municipality, application_id, link, form, len(files), now
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


def _check_birth_dates(form: ApplicationForm, today: date) -> None:
    """The child is born (not in the future) and the guardian before the child."""
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


async def _usable_link(
    session: AsyncSession, municipality: str, link_token: str, now: datetime
) -> Row[Any]:
    """The link of this token, locked: issued by this municipality, not used, not expired."""
    link = await application_store.link_for_update(session, token_hash(link_token))
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
            message_ja=LINK_USED_JA if isinstance(exc, LinkAlreadyUsed) else LINK_EXPIRED_JA,
        ) from None
    return link


async def _refuse_duplicate(
    session: AsyncSession, municipality: str, child_key: str, form: ApplicationForm, email: str
) -> None:
    """One live application per child and address (siblings differ by name and birth date)."""
    duplicate = await application_store.live_application_for(
        session,
        municipality=municipality,
        child_kana_key=child_key,
        child_birth_date=form.child.birth_date,
        guardian_email=email,
    )
    if duplicate is not None:
        raise Conflict(_duplicate_message(), message_ja=DUPLICATE_APPLICATION_JA)


async def _store_application(
    session: AsyncSession,
    *,
    municipality: str,
    application_id: uuid.UUID,
    link: Row[Any],
    form: ApplicationForm,
    child_key: str,
    checks: CheckResults,
    files: Sequence[AttachmentFile],
    now: datetime,
) -> None:
    """The application as pending, its files, and the link used up."""
    # The guardian's e-mail is the link's: the link proved it.
    form_json = form.model_dump(mode="json", exclude={"link_token", "attachments"})
    form_json["guardian"]["email"] = link.email
    await application_store.add_application(
        session,
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
    await application_store.add_attachments(
        session,
        municipality=municipality,
        application_id=application_id,
        files=[(f.filename, f.content_type, f.data) for f in files],
    )
    await application_store.mark_link_used(session, link.id, at=now)


async def _record_submission(
    ctx: Eligibility,
    session: AsyncSession,
    municipality: str,
    application_id: uuid.UUID,
    link: Row[Any],
    form: ApplicationForm,
    attachment_count: int,
    now: datetime,
) -> None:
    """The audit line (the link is the only actor the applicant has) and ApplicationSubmitted."""
    await audit(
        session,
        municipality=municipality,
        actor=f"guardian-link:{link.id}",
        action="application.submitted",
        at=now,
        application_id=application_id,
        detail={"attachments": attachment_count},
    )
    await ctx.outbox.add(
        session,
        ApplicationSubmitted(
            application_id=application_id, desired_facility_id=form.desired_facility_id
        ),
        municipality=municipality,
    )


def _duplicate_message() -> str:
    return (
        "an application for this child (same name reading and birth date) from this e-mail "
        "address is already pending or approved; siblings apply separately with their own "
        "name and birth date"
    )

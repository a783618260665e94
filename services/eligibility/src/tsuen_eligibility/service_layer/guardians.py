"""Guardian accounts: which account a certified child joins, and changing its e-mail address.

Two rules close the takeover found in issue 12 (a guardian set their address to a stranger's,
then received the stranger's child at approval):

- an account is the guardian's *identity* (reading + birth date, ``names.guardian_key``); a
  child joins an existing account only when its applying guardian is that account's guardian,
  never because the e-mail addresses match;
- a new address is used only after its owner opens the link sent to it; until then mail still
  goes to the old address and nothing else changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import CertificationChanged, GuardianEmailChangeRequested
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters.orm import (
    applications,
    certifications,
    email_changes,
    guardian_accounts,
)
from tsuen_eligibility.domain.links import new_token, token_hash
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict, Gone, NotFound

log = get_logger(__name__)


class AddressBelongsToAnotherGuardian(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "the application's e-mail address belongs to another guardian's account in this "
            "municipality; a child joins an account only when that account's guardian applies "
            "(same name reading and birth date). Ask the applicant to apply again with their "
            "own e-mail address, or reject the application",
            message_ja=(
                "この申請のメールアドレスは、この自治体の別の保護者のアカウントで使われています。"
                "お子さんは、同じ保護者（ふりがな・生年月日が同じ）の申請でのみ同じアカウントに"
                "追加されます。申請者ご本人のメールアドレスで申請し直していただくか、"
                "この申請を却下してください。"
            ),
        )


async def account_for_applicant(
    session: AsyncSession, *, municipality: str, email: str, identity: str
) -> uuid.UUID:
    """The account the certified child joins: the applicant's own, or a new one."""
    await session.execute(
        insert(guardian_accounts)
        .values(id=uuid.uuid4(), municipality=municipality, email=email, identity_key=identity)
        .on_conflict_do_nothing(constraint="uq_guardian_accounts_email")
    )
    account = (
        await session.execute(
            sa.select(guardian_accounts.c.id, guardian_accounts.c.identity_key)
            .where(
                guardian_accounts.c.municipality == municipality,
                guardian_accounts.c.email == email,
            )
            .with_for_update()
        )
    ).one()
    if account.identity_key is None:
        # An account from before identities were kept, with no certified child yet whose form
        # could tell who it is: the first certified guardian becomes it.
        await session.execute(
            sa.update(guardian_accounts)
            .where(guardian_accounts.c.id == account.id)
            .values(identity_key=identity)
        )
    elif account.identity_key != identity:
        raise AddressBelongsToAnotherGuardian()
    return uuid.UUID(str(account.id))


async def request_email_change(
    ctx: Eligibility,
    session: AsyncSession,
    *,
    municipality: str,
    guardian_id: uuid.UUID,
    certification_id: uuid.UUID,
    new_email: str,
    actor: str,
) -> datetime:
    """Mail a confirmation link to the new address; the change waits for it."""
    now = ctx.now()
    expires_at = now + timedelta(hours=ctx.settings.email_change_validity_hours)
    token = new_token()
    change_id = uuid.uuid4()
    # One open request at a time: an earlier link stops working when a newer one is sent.
    await session.execute(
        sa.update(email_changes)
        .where(
            email_changes.c.municipality == municipality,
            email_changes.c.guardian_id == guardian_id,
            email_changes.c.confirmed_at.is_(None),
            email_changes.c.expires_at > now,
        )
        .values(expires_at=now)
    )
    await session.execute(
        sa.insert(email_changes).values(
            id=change_id,
            municipality=municipality,
            guardian_id=guardian_id,
            certification_id=certification_id,
            new_email=new_email,
            token_hash=token_hash(token),
            requested_by=actor,
            requested_at=now,
            expires_at=expires_at,
        )
    )
    url = f"{ctx.settings.email_change_url_base}?" + urlencode(
        {"municipality": municipality, "token": token}
    )
    await audit(
        session,
        municipality=municipality,
        actor=actor,
        action="guardian.email_change_requested",
        at=now,
        certification_id=certification_id,
        detail={"change_id": str(change_id)},
    )
    await ctx.outbox.add(
        session,
        GuardianEmailChangeRequested(
            change_id=change_id,
            guardian_id=guardian_id,
            email=new_email,
            url=url,
            expires_at=expires_at,
        ),
        municipality=municipality,
    )
    return expires_at


async def confirm_email_change(
    ctx: Eligibility, *, municipality: str, token: str
) -> dict[str, Any]:
    """The new address's owner opened the link: the account and every active child follow."""
    now = ctx.now()
    async with ctx.sessions() as session, session.begin():
        change = await _confirmable_change(session, municipality, token, now)
        await _check_address_free(session, municipality, change)
        await session.execute(
            sa.update(guardian_accounts)
            .where(guardian_accounts.c.id == change.guardian_id)
            .values(email=change.new_email)
        )
        await session.execute(
            sa.update(email_changes).where(email_changes.c.id == change.id).values(confirmed_at=now)
        )
        changed = await _tell_each_certification(ctx, session, municipality, change, now)
    log.info("guardian e-mail change confirmed", municipality=municipality)
    return {
        "status": "confirmed",
        "certifications_changed": changed,
        "message_ja": "メールアドレスの変更が完了しました。",
    }


async def _confirmable_change(
    session: AsyncSession, municipality: str, token: str, now: datetime
) -> Row[Any]:
    """The change of this token, locked: not confirmed yet and not expired."""
    change = (
        await session.execute(
            sa.select(email_changes)
            .where(
                email_changes.c.municipality == municipality,
                email_changes.c.token_hash == token_hash(token),
            )
            .with_for_update()
        )
    ).one_or_none()
    if change is None:
        raise NotFound(
            "this confirmation link is not valid; ask for the change again",
            message_ja="この確認リンクは無効です。もう一度、変更を申請してください。",
        )
    if change.confirmed_at is not None:
        raise Gone(
            "this address has already been confirmed",
            message_ja="このメールアドレスは確認済みです。",
        )
    if now >= change.expires_at:
        raise Gone(
            "this confirmation link has expired (or a newer one was sent); ask for the "
            "change again",
            message_ja="この確認リンクは有効期限が切れています（または新しいリンクが送られています）。"
            "もう一度、変更を申請してください。",
        )
    return change


async def _check_address_free(session: AsyncSession, municipality: str, change: Row[Any]) -> None:
    """No other guardian account of the municipality uses the new address."""
    taken = (
        await session.execute(
            sa.select(guardian_accounts.c.id).where(
                guardian_accounts.c.municipality == municipality,
                guardian_accounts.c.email == change.new_email,
                guardian_accounts.c.id != change.guardian_id,
            )
        )
    ).first()
    if taken is not None:
        raise Conflict(
            "another guardian account of this municipality already uses that e-mail "
            "address; choose another one",
            message_ja="このメールアドレスは別のアカウントで使われています。別のアドレスを"
            "お選びください。",
        )


async def _tell_each_certification(
    ctx: Eligibility, session: AsyncSession, municipality: str, change: Row[Any], now: datetime
) -> int:
    """Each active certification of the account takes the new address (CertificationChanged);
    how many did."""
    # Siblings share the account: booking and notification keep the address per
    # certification, so each active one is told.
    active = (
        await session.execute(
            sa.select(certifications)
            .where(
                certifications.c.municipality == municipality,
                certifications.c.guardian_id == change.guardian_id,
                certifications.c.status == "active",
            )
            .order_by(certifications.c.id)
            .with_for_update()
        )
    ).all()
    for cert in active:
        await session.execute(
            sa.update(applications)
            .where(applications.c.id == cert.application_id)
            .values(guardian_email=change.new_email)
        )
        await audit(
            session,
            municipality=municipality,
            actor=f"email-confirmation:{change.id}",
            action="certification.changed",
            at=now,
            application_id=cert.application_id,
            certification_id=cert.id,
            detail={"changed_fields": ["guardian_email"], "change_id": str(change.id)},
        )
        await ctx.outbox.add(
            session,
            CertificationChanged(
                certification_id=cert.id,
                child_id=cert.child_id,
                guardian_id=cert.guardian_id,
                guardian_email=change.new_email,
                changed_fields=["guardian_email"],
            ),
            municipality=municipality,
        )
    return len(active)

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

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import CertificationChanged, GuardianEmailChangeRequested
from tsuen_common.logging import get_logger
from tsuen_eligibility.adapters import application_store, certification_store, guardian_store
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
    account = await guardian_store.account_of_email_for_update(
        session, municipality=municipality, email=email, identity_if_new=identity
    )
    if account.identity_key is None:
        # An account from before identities were kept, with no certified child yet whose form
        # could tell who it is: the first certified guardian becomes it.
        await guardian_store.set_identity(session, account.id, identity)
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
    await guardian_store.expire_open_changes(
        session, municipality=municipality, guardian_id=guardian_id, now=now
    )
    await guardian_store.add_change(
        session,
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
    async with ctx.transaction() as session:
        change = await _confirmable_change(session, municipality, token, now)
        await _check_address_free(session, municipality, change)
        await guardian_store.set_email(session, change.guardian_id, change.new_email)
        await guardian_store.mark_change_confirmed(session, change.id, at=now)
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
    change = await guardian_store.change_for_update(
        session, municipality=municipality, token_hash=token_hash(token)
    )
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
    if await guardian_store.another_account_uses(
        session, municipality=municipality, email=change.new_email, guardian_id=change.guardian_id
    ):
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
    active = await certification_store.active_of_guardian_for_update(
        session, municipality, change.guardian_id
    )
    for cert in active:
        await application_store.update_application(
            session, cert.application_id, guardian_email=change.new_email
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

"""Use cases that create accounts and give them passwords: from certifications (eligibility's
events), by an operator (staff and officers), and through the one-time links in the mails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.auth import Role
from tsuen_common.events.eligibility import CertificationChanged, ChildCertified
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.identity import AccountIssued, PasswordResetRequested
from tsuen_common.logging import get_logger
from tsuen_common.messaging import PermanentFailure
from tsuen_identity.adapters import account_admin_store as admin_store
from tsuen_identity.adapters import repository as repo
from tsuen_identity.domain.account_admin import AuditAction, may_log_in
from tsuen_identity.domain.accounts import Account, normalise_email
from tsuen_identity.domain.errors import EmailTaken, LinkUnknown
from tsuen_identity.domain.links import (
    LinkPurpose,
    OneTimeLink,
    digest,
    link_url,
    new_secret,
    reset_page,
)
from tsuen_identity.domain.passwords import check_password
from tsuen_identity.domain.throttle import throttle_key
from tsuen_identity.service_layer.context import Identity

log = get_logger(__name__)


@dataclass(frozen=True)
class LinkInfo:
    purpose: LinkPurpose
    expires_at: datetime


async def _issue_link(
    ctx: Identity,
    session: AsyncSession,
    account: Account,
    purpose: LinkPurpose,
    caused_by: EventEnvelope | None = None,
) -> None:
    """A new one-time link, and the event whose mail carries it (same transaction)."""
    ttl = ctx.policy.set_password_link_ttl
    if purpose is LinkPurpose.RESET:
        ttl = ctx.policy.reset_link_ttl
    secret = new_secret()
    link = OneTimeLink.issue(purpose, now=ctx.now(), ttl=ttl)
    assert account.municipality is not None
    await repo.insert_link(
        session, digest(secret), account_id=account.id, municipality=account.municipality, link=link
    )
    url = link_url(ctx.portal_base_url, secret, purpose)
    event: AccountIssued | PasswordResetRequested
    if purpose is LinkPurpose.RESET:
        event = PasswordResetRequested(
            account_id=account.id,
            email=account.email,
            url=url,
            expires_at=link.expires_at,
            role=str(account.role),
        )
    else:
        event = AccountIssued(
            account_id=account.id,
            email=account.email,
            url=url,
            expires_at=link.expires_at,
            role=str(account.role),
        )
    await ctx.outbox.add(session, event, municipality=account.municipality, caused_by=caused_by)


# --- from eligibility's events (inside the consumer's inbox transaction) ----------------------


async def on_child_certified(
    ctx: Identity, session: AsyncSession, envelope: EventEnvelope, payload: ChildCertified
) -> None:
    """The first certification of a guardian makes the account; a sibling's only adds the child.

    The account is found by the guardian id eligibility assigned, never by e-mail address
    (issue 12: an address match alone must never attach a child to someone's account).
    """
    stored = await repo.account_by_id(session, payload.guardian_id)
    if stored is None:
        account = Account(
            id=payload.guardian_id,
            role=Role.GUARDIAN,
            municipality=envelope.municipality,
            email=normalise_email(str(payload.guardian_email)),
        )
        if await repo.insert_account(session, account):
            await _issue_link(ctx, session, account, LinkPurpose.SET_PASSWORD, envelope)
            log.info("guardian account issued", account_id=str(account.id))
        elif await repo.account_by_id(session, payload.guardian_id) is None:
            # The id is free, so the address is another account's login ID.
            raise PermanentFailure(
                "the guardian's e-mail address is the login ID of another account; "
                "an officer must resolve it (no child is attached by address alone)"
            )
    elif _login_moves_here(stored.account, envelope, payload):
        # 転入 (issue 17.3): eligibility moved this guardian's account with the family. The
        # login keeps its password; its sessions end, so the next sign-in opens the new home.
        await repo.set_municipality(session, payload.guardian_id, envelope.municipality)
        await repo.bump_generation(session, payload.guardian_id)
        log.info("guardian account moved", account_id=str(payload.guardian_id))
    await repo.add_child(
        session,
        payload.guardian_id,
        child_id=payload.child_id,
        certification_id=payload.certification_id,
        municipality=envelope.municipality,
    )


def _login_moves_here(account: Account, envelope: EventEnvelope, payload: ChildCertified) -> bool:
    """A guardian's account of the municipality the child moved from, certified here now."""
    moved = payload.moved_from
    return (
        moved is not None
        and account.role is Role.GUARDIAN
        and account.municipality == moved.municipality
        and envelope.municipality != account.municipality
    )


async def on_certification_changed(
    ctx: Identity, session: AsyncSession, envelope: EventEnvelope, payload: CertificationChanged
) -> None:
    """Follow a changed guardian e-mail (eligibility sends it only once the new address was
    confirmed by its owner). Repeatable: the event carries the current address."""
    stored = await repo.account_by_id(session, payload.guardian_id, for_update=True)
    if stored is None:
        log.warning(
            "certification change for an unknown account", account_id=str(payload.guardian_id)
        )
        return
    email = normalise_email(str(payload.guardian_email))
    if email == stored.account.email:
        return
    holder = await repo.account_by_email(session, email)
    if holder is not None:
        raise PermanentFailure("the new guardian e-mail address is the login ID of another account")
    await repo.set_email(session, stored.account.id, email)
    log.info("account e-mail changed", account_id=str(stored.account.id))


# --- by an operator ---------------------------------------------------------------------------


async def create_account(
    ctx: Identity,
    *,
    role: Role,
    municipality: str,
    email: str,
    facility_id: uuid.UUID | None = None,
    actor: str = "command",
) -> uuid.UUID:
    """A staff or officer account; the set-password link goes out by mail (AccountIssued).
    ``actor``: the inviting officer's account id (the audit trail), or the CLI."""
    account = Account(
        id=uuid.uuid4(),
        role=role,
        municipality=municipality,
        email=normalise_email(email),
        facility_id=facility_id,
    )
    account.principal()  # the role's tenant claims must be complete (raises ValueError)
    async with ctx.transaction() as session:
        if not await repo.insert_account(session, account):
            raise EmailTaken("an account with this e-mail address exists already")
        await _issue_link(ctx, session, account, LinkPurpose.SET_PASSWORD)
        await admin_store.record(
            session,
            municipality=municipality,
            at=ctx.now(),
            actor=actor,
            action=AuditAction.INVITED,
            account_id=account.id,
        )
    return account.id


# --- the links in the mails -----------------------------------------------------------------


async def check_link(ctx: Identity, token: str) -> LinkInfo:
    """What the link is for and until when; raises LinkUnknown, LinkUsed or LinkExpired."""
    async with ctx.transaction() as session:
        stored = await repo.link_for_update(session, digest(token))
    if stored is None:
        raise _unknown_link(ctx)
    stored.link.check_usable(ctx.now(), portal_base_url=ctx.portal_base_url)
    return LinkInfo(stored.link.purpose, stored.link.expires_at)


async def set_password(ctx: Identity, token: str, password: str) -> None:
    """Set the password with a one-time link. Ends every open link and session of the account
    (a reset means someone else may have had the old password)."""
    token_digest = digest(token)
    async with ctx.transaction() as session:
        stored = await repo.link_for_update(session, token_digest)
        account = await repo.account_by_id(session, stored.account_id) if stored else None
    if stored is None or account is None:
        raise _unknown_link(ctx)
    stored.link.check_usable(ctx.now(), portal_base_url=ctx.portal_base_url)
    check_password(password, email=account.account.email)
    password_hash = await ctx.passwords.hash(password)  # slow: outside the transaction
    now = ctx.now()
    async with ctx.transaction() as session:
        again = await repo.link_for_update(session, token_digest)
        assert again is not None
        # Checked again under the row lock: two tabs sending the same link set it once.
        again.link.check_usable(now, portal_base_url=ctx.portal_base_url)
        await repo.set_password(session, account.account.id, password_hash, now)
        await repo.use_open_links(session, account.account.id, now)
        await repo.bump_generation(session, account.account.id)
        await repo.revoke_all_refresh(session, account.account.id, now)
        # The holder proved control of the mailbox: a lockout from failed logins ends.
        await repo.clear_throttle(session, throttle_key("login-email", account.account.email))
    log.info("password set", account_id=str(account.account.id), purpose=str(stored.link.purpose))


async def request_reset(ctx: Identity, email: str, *, client: str) -> None:
    """Mail a reset link if the account exists and the limits allow; silent either way."""
    email = normalise_email(email)
    now = ctx.now()
    keys = (
        (throttle_key("reset-client", client), ctx.policy.client_resets),
        (throttle_key("reset-email", email), ctx.policy.email_resets),
    )
    async with ctx.transaction() as session:
        states = [await repo.throttle(session, key, for_update=True) for key, _ in keys]
        if any(state.blocked(now) is not None for state in states):
            # Counted nowhere: a blocked client must not use up the address's requests too.
            log.info("password reset request limited")
            return
        for (key, rule), state in zip(keys, states, strict=True):
            await repo.save_throttle(session, key, state.register(rule, now))
        stored = await repo.account_by_email(session, email)
        # A disabled account gets no link: a new password must not reopen what an officer shut.
        if stored is not None and may_log_in(stored.account):
            await _issue_link(ctx, session, stored.account, LinkPurpose.RESET)
            log.info("password reset link issued", account_id=str(stored.account.id))


def _unknown_link(ctx: Identity) -> LinkUnknown:
    page = reset_page(ctx.portal_base_url)
    return LinkUnknown(
        f"this link is not valid; check that the whole link was opened, or ask for a new one at "
        f"{page}",
        message_ja="このリンクは無効です。メールのリンクを最後まで開いたか確認してください。"
        f"新しいリンクはパスワード再設定（{page}）から請求できます。",
    )

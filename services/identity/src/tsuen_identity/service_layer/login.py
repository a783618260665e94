"""Use cases of logging in and out: password login with throttling, refresh-token rotation,
logout of one session and of all of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.identity import AccountLocked
from tsuen_common.logging import get_logger
from tsuen_identity.adapters import repository as repo
from tsuen_identity.adapters import second_factor_store as store
from tsuen_identity.domain.account_admin import may_log_in
from tsuen_identity.domain.accounts import Account, normalise_email
from tsuen_identity.domain.errors import InvalidRefreshToken, LoginFailed, TooManyAttempts
from tsuen_identity.domain.links import digest, new_secret
from tsuen_identity.domain.second_factor import (
    CHALLENGE_TTL,
    needs_second_factor,
    provisioning_uri,
)
from tsuen_identity.domain.second_factor import new_secret as new_totp_secret
from tsuen_identity.domain.sessions import RefreshVerdict
from tsuen_identity.domain.throttle import throttle_key
from tsuen_identity.service_layer.context import Identity

log = get_logger(__name__)

TOTP_CONTEXT = b"identity.totp"  # what the sealed secret is for (tsuen_common.sealed)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    account: Account


@dataclass(frozen=True)
class Enrolment:
    """A new TOTP secret for the authenticator app (shown once, as a QR code)."""

    secret: str
    otpauth_uri: str


@dataclass(frozen=True)
class SecondFactorNeeded:
    """The password was right; the session opens once the code comes (second_factor.py)."""

    challenge: str
    expires_in: int
    account: Account
    enrolment: Enrolment | None


def login_failed() -> LoginFailed:
    return LoginFailed(
        "the e-mail address or the password is not correct",
        message_ja="メールアドレスまたはパスワードが正しくありません。",
    )


async def _open_session(
    ctx: Identity, session: AsyncSession, account: Account, now: datetime
) -> Tokens:
    secret = new_secret()
    await repo.insert_refresh(
        session,
        digest(secret),
        account=account,
        now=now,
        expires_at=now + ctx.policy.refresh_token_ttl,
    )
    ttl = ctx.policy.access_token_ttl
    # Minted on the real clock (not ctx.now): verifiers compare iat/exp with their own.
    access = ctx.require_signer().mint(account.principal(), ttl=ttl)
    return Tokens(access, int(ttl.total_seconds()), secret, account)


async def login(
    ctx: Identity, email: str, password: str, *, client: str
) -> Tokens | SecondFactorNeeded:
    """Tokens, or (for a role that needs it) a challenge for the second factor.

    Raises :class:`LoginFailed` (the same for an unknown address and a wrong password) or
    :class:`TooManyAttempts` (the same whether or not the address has an account)."""
    email = normalise_email(email)
    now = ctx.now()
    email_key = throttle_key("login-email", email)
    client_key = throttle_key("login-client", client)
    async with ctx.transaction() as session:
        blocked = [
            until
            for key in (email_key, client_key)
            if (until := (await repo.throttle(session, key)).blocked(now)) is not None
        ]
        stored = await repo.account_by_email(session, email)
    if blocked:
        raise TooManyAttempts(max(blocked))
    # An unknown address is verified against a decoy hash: it takes as long as a wrong password.
    password_ok = await ctx.passwords.verify(stored.password_hash if stored else None, password)
    # A disabled account answers exactly like a wrong password (the same body, the same count
    # towards the lockout): the login page reveals nothing about the account's state.
    if not password_ok or (stored is not None and not may_log_in(stored.account)):
        await _count_failure(ctx, email_key, client_key, stored.account if stored else None)
        raise login_failed()
    assert stored is not None
    if needs_second_factor(str(stored.account.role), ctx.second_factor_roles):
        async with ctx.transaction() as session:
            return await _challenge(ctx, session, stored.account)
    async with ctx.transaction() as session:
        await repo.clear_throttle(session, email_key)
        tokens = await _open_session(ctx, session, stored.account, ctx.now())
    log.info("logged in", account_id=str(stored.account.id), role=str(stored.account.role))
    return tokens


async def _challenge(ctx: Identity, session: AsyncSession, account: Account) -> SecondFactorNeeded:
    """After the right password: a challenge for the code, and a secret to enrol if the
    account has no confirmed one yet. The lockout counter is not cleared until the code is
    right, so wrong codes count towards it like wrong passwords."""
    now = ctx.now()
    enrolment = None
    stored = await store.factor(session, account.id)
    if stored is None or not stored.confirmed:
        secret = new_totp_secret()
        await store.replace_unconfirmed(
            session, account.id, ctx.box.seal(secret.encode(), context=TOTP_CONTEXT)
        )
        enrolment = Enrolment(secret, provisioning_uri(secret, account.email))
    challenge = new_secret()
    await store.insert_challenge(session, digest(challenge), account.id, now + CHALLENGE_TTL)
    log.info("password accepted; second factor asked", account_id=str(account.id))
    return SecondFactorNeeded(challenge, int(CHALLENGE_TTL.total_seconds()), account, enrolment)


async def _count_failure(
    ctx: Identity, email_key: str, client_key: str, account: Account | None
) -> None:
    now = ctx.now()
    async with ctx.transaction() as session:
        before = await repo.throttle(session, email_key, for_update=True)
        after = before.register(ctx.policy.account_lockout, now)
        await repo.save_throttle(session, email_key, after)
        client = await repo.throttle(session, client_key, for_update=True)
        await repo.save_throttle(
            session, client_key, client.register(ctx.policy.client_logins, now)
        )
        if account is not None and after.just_blocked(before, now):
            assert after.blocked_until is not None
            assert account.municipality is not None
            await ctx.outbox.add(
                session,
                AccountLocked(
                    account_id=account.id,
                    email=account.email,
                    locked_until=after.blocked_until,
                    role=str(account.role),
                ),
                municipality=account.municipality,
            )
            log.warning("account locked after failed logins", account_id=str(account.id))


async def refresh(ctx: Identity, refresh_token: str) -> Tokens:
    """A new access token and a new refresh token; the presented one is spent."""
    token_digest = digest(refresh_token)
    now = ctx.now()
    reused = False
    async with ctx.transaction() as session:
        stored = await repo.refresh_for_update(session, token_digest)
        account = await repo.account_by_id(session, stored.account_id) if stored else None
        if stored is None or account is None or not may_log_in(account.account):
            raise InvalidRefreshToken("the session is not known; log in again")
        verdict = stored.token.verdict(now=now, account_generation=account.account.token_generation)
        if verdict is RefreshVerdict.REUSED:
            # Committed before answering: whoever holds a copy loses every session too.
            await repo.revoke_all_refresh(session, account.account.id, now)
            await repo.bump_generation(session, account.account.id)
            reused = True
        else:
            await repo.mark_rotated(session, token_digest, now)
            tokens = await _open_session(ctx, session, account.account, now)
    if reused:
        log.warning("a rotated refresh token was used again", account_id=str(stored.account_id))
        raise InvalidRefreshToken("the session has ended; log in again")
    return tokens


async def purge(ctx: Identity, *, keep: timedelta) -> dict[str, int]:
    """Housekeeping: delete links, sessions and counters dead for longer than ``keep``."""
    now = ctx.now()
    async with ctx.transaction() as session:
        purged = await repo.purge(session, before=now - keep, now=now)
        purged["login_challenges"] = await store.purge_challenges(session, before=now - keep)
        return purged


async def logout(ctx: Identity, refresh_token: str) -> None:
    async with ctx.transaction() as session:
        await repo.revoke_refresh(session, digest(refresh_token), ctx.now())


async def logout_all(ctx: Identity, account_id: uuid.UUID) -> None:
    """Every refresh token of the account dies, and so does any session bound to the old
    generation (the portal's sessions check it when they refresh)."""
    async with ctx.transaction() as session:
        await repo.revoke_all_refresh(session, account_id, ctx.now())
        await repo.bump_generation(session, account_id)
    log.info("logged out everywhere", account_id=str(account_id))


@dataclass(frozen=True)
class Profile:
    account: Account
    children: list[repo.ChildLink]


async def profile(ctx: Identity, account_id: uuid.UUID) -> Profile | None:
    async with ctx.transaction() as session:
        stored = await repo.account_by_id(session, account_id)
        if stored is None:
            return None
        return Profile(stored.account, await repo.children(session, account_id))

"""Use cases of the second factor: the code after the password opens the session (and, the
first time, confirms the authenticator app); the operator's reset for a lost phone."""

from __future__ import annotations

from tsuen_common.logging import get_logger
from tsuen_identity.adapters import repository as repo
from tsuen_identity.adapters import second_factor_store as store
from tsuen_identity.domain.account_admin import may_log_in
from tsuen_identity.domain.accounts import normalise_email
from tsuen_identity.domain.links import digest
from tsuen_identity.domain.second_factor import (
    MAX_CODE_ATTEMPTS,
    ChallengeExpired,
    SecondFactorFailed,
    accept_code,
)
from tsuen_identity.domain.throttle import throttle_key
from tsuen_identity.service_layer.context import Identity
from tsuen_identity.service_layer.login import (
    TOTP_CONTEXT,
    Tokens,
    _count_failure,
    _open_session,
)

log = get_logger(__name__)


def _expired() -> ChallengeExpired:
    return ChallengeExpired("the login has expired; give the e-mail address and password again")


async def complete(ctx: Identity, challenge: str, code: str, *, client: str) -> Tokens:
    """The code for a challenge: tokens, or 401 (wrong code, counted towards the account's
    lockout), 410 (unknown, used, expired or out of tries: log in again)."""
    token_digest = digest(challenge)
    now = ctx.now()
    async with ctx.transaction() as session:
        stored = await store.challenge_for_update(session, token_digest)
        if (
            stored is None
            or stored.used_at is not None
            or stored.expires_at <= now
            or stored.attempts >= MAX_CODE_ATTEMPTS
        ):
            raise _expired()
        account = await repo.account_by_id(session, stored.account_id)
        factor = await store.factor(session, stored.account_id, for_update=True)
        # Disabled between the password and the code: the login is over, like an expired one.
        if account is None or factor is None or not may_log_in(account.account):
            raise _expired()
        email_key = throttle_key("login-email", normalise_email(account.account.email))
        secret = ctx.box.open(factor.sealed_secret, context=TOTP_CONTEXT).decode()
        accepted = accept_code(secret, code, last_step=factor.last_step)
        if accepted is None:
            await store.count_attempt(session, token_digest)
        else:
            await store.use_challenge(session, token_digest, now)
            await store.record_step(session, stored.account_id, accepted.step, now)
            await repo.clear_throttle(session, email_key)
            tokens = await _open_session(ctx, session, account.account, now)
    if accepted is None:
        # Outside the transaction above, like a wrong password: the count must survive.
        await _count_failure(ctx, email_key, throttle_key("login-client", client), account.account)
        raise SecondFactorFailed("the code is not right")
    if not factor.confirmed:
        log.info("second factor enrolled", account_id=str(account.account.id))
    log.info("logged in with a second factor", account_id=str(account.account.id))
    return tokens


async def reset(ctx: Identity, email: str) -> bool:
    """Forget the account's authenticator (a lost phone): the next login enrols a new one.
    Every session of the account ends too."""
    async with ctx.transaction() as session:
        stored = await repo.account_by_email(session, normalise_email(email))
        if stored is None:
            return False
        removed = await store.remove(session, stored.account.id)
        await repo.revoke_all_refresh(session, stored.account.id, ctx.now())
        await repo.bump_generation(session, stored.account.id)
    log.info("second factor reset", account_id=str(stored.account.id), removed=removed)
    return True

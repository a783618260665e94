"""Sessions as the pages use them: start, sign in, find, keep tokens fresh, end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from tsuen_common.logging import get_logger
from tsuen_portal.adapters.backends import (
    BackendUnauthorized,
    Identity,
    SecondFactorAsked,
    SignIn,
)
from tsuen_portal.adapters.session_store import SessionStore
from tsuen_portal.domain import csrf
from tsuen_portal.domain import sessions as rules
from tsuen_portal.domain.sessions import Lifetime, Session, SessionState

log = get_logger(__name__)


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        identity: Identity,
        lifetime: Lifetime,
        clock: Callable[[], datetime],
        refresh_margin: timedelta = rules.REFRESH_MARGIN,
    ) -> None:
        self.refresh_margin = refresh_margin
        self.store = store
        self.identity = identity
        self.lifetime = lifetime
        self.clock = clock

    async def find(self, session_id: str | None) -> Session | None:
        """The live session of this cookie, its idle deadline moved on; None if none."""
        if not session_id:
            return None
        session = await self.store.get(rules.hash_session_id(session_id))
        now = self.clock()
        if session is None:
            return None
        if rules.state(session, now) is SessionState.EXPIRED:
            await self.store.delete(session.id_hash)
            return None
        touched = session.touched(now, self.lifetime)
        if session.signed_in:
            await self.store.touch(touched)
        return touched

    async def start_anonymous(self) -> tuple[str, Session]:
        session_id = rules.new_session_id()
        session = rules.anonymous(
            self.clock(), csrf.new_secret(), rules.hash_session_id(session_id)
        )
        await self.store.add(session)
        return session_id, session

    async def authenticate(
        self, email: str, password: str, client_ip: str | None
    ) -> SignIn | SecondFactorAsked:
        """Identity's answer to a login form (InvalidCredentials, Locked), or its request for
        the second factor (officers)."""
        return await self.identity.login(email, password, client_ip, self.clock())

    async def second_factor(self, challenge: str, code: str, client_ip: str | None) -> SignIn:
        """Identity's answer to the code (WrongCode, ChallengeOver, Locked)."""
        return await self.identity.second_factor(challenge, code, client_ip, self.clock())

    async def sign_in(self, previous: Session | None, signed: SignIn) -> tuple[str, Session]:
        """A new session (new id, new CSRF secret) for the account: the pre-login id, which
        another person might have planted, is dropped (no session fixation)."""
        if previous is not None:
            await self.store.delete(previous.id_hash)
        session_id = rules.new_session_id()
        session = rules.signed_in(
            self.clock(),
            csrf.new_secret(),
            rules.hash_session_id(session_id),
            signed.account,
            signed.tokens,
            self.lifetime,
        )
        await self.store.add(session)
        return session_id, session

    async def access_token(self, session: Session, client_ip: str | None) -> str:
        """The session's access token, refreshed first when it is (nearly) expired.

        Raises BackendUnauthorized (and ends the session) when identity refuses the refresh:
        the account logged out everywhere or set a new password."""
        assert session.tokens is not None
        if not session.needs_refresh(self.clock(), self.refresh_margin):
            return session.tokens.access_token

        async def refreshed(current: Session) -> Session:
            now = self.clock()
            if current.tokens is None:
                raise BackendUnauthorized("signed out meanwhile")
            if not current.needs_refresh(now, self.refresh_margin):
                return current  # another request of this session refreshed it just now
            signed = await self.identity.refresh(current.tokens.refresh_token, client_ip, now)
            account = rules.after_refresh(current.account, signed.account)
            return replace(current, account=account, tokens=signed.tokens)

        try:
            updated = await self.store.change_locked(session.id_hash, refreshed)
        except BackendUnauthorized:
            await self.store.delete(session.id_hash)
            raise
        if updated is None or updated.tokens is None:
            raise BackendUnauthorized("the session has ended")
        return updated.tokens.access_token

    async def keep_to_entrance_display(self, session: Session) -> None:
        """「この端末を玄関の表示専用にする」: the session shows the 2D code and nothing else."""

        async def kept(current: Session) -> Session:
            if current.account is None:
                raise BackendUnauthorized("signed out meanwhile")
            return replace(current, account=rules.as_entrance_display(current.account))

        if await self.store.change_locked(session.id_hash, kept) is None:
            raise BackendUnauthorized("the session has ended")

    async def end_account(self, account_id: str) -> int:
        """Sign out every session of an account that was just disabled. identity has already
        revoked its refresh tokens, but the access tokens the portal holds would otherwise keep
        the pages working until they expire (minutes): a disabled person must be out now."""
        ended = await self.store.delete_account(account_id)
        log.info("sessions ended for a disabled account", sessions=ended)
        return ended

    async def end(self, session: Session, client_ip: str | None) -> None:
        await self.store.delete(session.id_hash)
        if session.tokens is not None:
            try:
                await self.identity.logout(session.tokens.refresh_token, client_ip)
            except Exception as exc:  # the local session is gone either way
                log.warning("identity logout failed", error=type(exc).__name__)

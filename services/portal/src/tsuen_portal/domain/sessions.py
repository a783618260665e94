"""The portal's sessions: what a session is and when it ends. Pure rules, no storage.

The browser holds only a random session id in an HttpOnly cookie; the database keeps its hash
(a leaked table cannot be replayed as cookies), the account the guardian logged in as, the
tokens the portal uses on their behalf, and the CSRF secret. A visitor who has not logged in
gets an anonymous session (only a CSRF secret) so that the login form itself is protected;
logging in always starts a new session with a new id (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

ID_BYTES = 32
ANONYMOUS_LIFETIME = timedelta(hours=2)
REFRESH_MARGIN = timedelta(seconds=30)
"""An access token this close to its expiry is refreshed before use (a slow backend call)."""


def new_session_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    """Who logged in, as identity said in its login answer."""

    role: str
    municipality: str | None
    guardian_id: str | None = None
    facility_id: str | None = None
    # identity's account id: an officer who disables the account ends its sessions by it.
    account_id: str | None = None


ENTRANCE_DISPLAY = "entrance_display"
"""The role of a staff session turned into the entrance tablet's (「玄関の表示専用」): it shows the
facility's 2D code and nothing else. Parents stand at that tablet; a staff session left open
there would show them every child's allergies and contacts. Ended only by logging out."""


def as_entrance_display(account: Account) -> Account:
    """The same staff account, kept to the 2D code page from now on."""
    return replace(account, role=ENTRANCE_DISPLAY)


def after_refresh(previous: Account | None, refreshed: Account) -> Account:
    """The account identity names when the tokens are refreshed, still kept to the 2D code page
    if the session was (identity knows only the staff role)."""
    if previous is not None and previous.role == ENTRANCE_DISPLAY:
        return as_entrance_display(refreshed)
    return refreshed


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Session:
    id_hash: str
    csrf_secret: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    account: Account | None = None
    tokens: Tokens | None = None

    @property
    def signed_in(self) -> bool:
        return self.account is not None and self.tokens is not None

    def touched(self, now: datetime, lifetime: Lifetime) -> Session:
        """The session after a request at ``now``: the idle deadline moves, the absolute one
        (from login) never does."""
        if not self.signed_in:
            return replace(self, last_seen_at=now)
        return replace(
            self,
            last_seen_at=now,
            expires_at=min(now + lifetime.idle, self.created_at + lifetime.absolute),
        )

    def needs_refresh(self, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
        return self.tokens is not None and now >= self.tokens.access_expires_at - margin


class SessionState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"


def state(session: Session, now: datetime) -> SessionState:
    return SessionState.ACTIVE if now < session.expires_at else SessionState.EXPIRED


def anonymous(now: datetime, csrf_secret: str, id_hash: str) -> Session:
    return Session(
        id_hash=id_hash,
        csrf_secret=csrf_secret,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ANONYMOUS_LIFETIME,
    )


def signed_in(
    now: datetime, csrf_secret: str, id_hash: str, account: Account, tokens: Tokens, life: Lifetime
) -> Session:
    return Session(
        id_hash=id_hash,
        csrf_secret=csrf_secret,
        created_at=now,
        last_seen_at=now,
        expires_at=min(now + life.idle, now + life.absolute),
        account=account,
        tokens=tokens,
    )

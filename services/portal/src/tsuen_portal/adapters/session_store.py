"""``portal_sessions`` in the portal's PostgreSQL database: the only SQL of the portal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_portal.adapters.orm import portal_sessions
from tsuen_portal.domain.sessions import Account, Session, Tokens


class TokenBox:
    """Encrypts tokens at rest when given a key; passes them through otherwise."""

    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode() if self._fernet else value

    def open(self, value: str) -> str | None:
        if self._fernet is None:
            return value
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            return None  # the key was rotated: the guardian logs in again


class SessionStore:
    def __init__(self, engine: AsyncEngine, box: TokenBox) -> None:
        self._engine = engine
        self._box = box

    def _row(self, session: Session) -> dict[str, Any]:
        account, tokens = session.account, session.tokens
        return {
            "id_hash": session.id_hash,
            "csrf_secret": session.csrf_secret,
            "role": account.role if account else None,
            "municipality": account.municipality if account else None,
            "guardian_id": account.guardian_id if account else None,
            "facility_id": account.facility_id if account else None,
            "account_id": account.account_id if account else None,
            "access_token": self._box.seal(tokens.access_token) if tokens else None,
            "refresh_token": self._box.seal(tokens.refresh_token) if tokens else None,
            "access_expires_at": tokens.access_expires_at if tokens else None,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "expires_at": session.expires_at,
        }

    def _session(self, row: Any) -> Session:
        account = tokens = None
        if row.role is not None:
            account = Account(
                role=row.role,
                municipality=row.municipality,
                guardian_id=row.guardian_id,
                facility_id=row.facility_id,
                account_id=row.account_id,
            )
        if row.access_token is not None and row.refresh_token is not None:
            access = self._box.open(row.access_token)
            refresh = self._box.open(row.refresh_token)
            if access is not None and refresh is not None:
                tokens = Tokens(access, refresh, row.access_expires_at)
            else:
                account = None
        return Session(
            id_hash=row.id_hash,
            csrf_secret=row.csrf_secret,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            account=account,
            tokens=tokens,
        )

    async def get(self, id_hash: str) -> Session | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(portal_sessions).where(portal_sessions.c.id_hash == id_hash)
                )
            ).one_or_none()
        return None if row is None else self._session(row)

    async def add(self, session: Session) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.insert(portal_sessions).values(self._row(session)))

    async def touch(self, session: Session) -> None:
        """Store only when the session was last seen and when it now expires: never the
        tokens, which a parallel request of the same session may have just refreshed."""
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(portal_sessions)
                .where(portal_sessions.c.id_hash == session.id_hash)
                .values(last_seen_at=session.last_seen_at, expires_at=session.expires_at)
            )

    async def change_locked(
        self, id_hash: str, change: Callable[[Session], Awaitable[Session]]
    ) -> Session | None:
        """``change`` the session under its row lock and store what it returns.

        Requests of one session that refresh its tokens take turns here: the second one reads
        the tokens the first stored (a refresh token presented twice makes identity end every
        session of the account). None if the session is gone; an exception from ``change``
        leaves the row as it was."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(portal_sessions)
                    .where(portal_sessions.c.id_hash == id_hash)
                    .with_for_update()
                )
            ).one_or_none()
            if row is None:
                return None
            changed = await change(self._session(row))
            await conn.execute(
                sa.update(portal_sessions)
                .where(portal_sessions.c.id_hash == id_hash)
                .values(self._row(changed))
            )
        return changed

    async def delete(self, id_hash: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(portal_sessions).where(portal_sessions.c.id_hash == id_hash)
            )

    async def delete_account(self, account_id: str) -> int:
        """End every session of one account (an officer disabled it): on every replica at once,
        since they share this table."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.delete(portal_sessions).where(portal_sessions.c.account_id == account_id)
            )
        return int(result.rowcount or 0)

    async def delete_expired(self, now: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.delete(portal_sessions).where(portal_sessions.c.expires_at <= now)
            )
        return int(result.rowcount or 0)

"""Reading and writing accounts, links, sessions and throttles. Every function runs in the
caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.auth import Role
from tsuen_identity.adapters.orm import (
    accounts,
    guardian_children,
    one_time_links,
    refresh_tokens,
    throttles,
)
from tsuen_identity.domain.accounts import Account
from tsuen_identity.domain.links import LinkPurpose, OneTimeLink
from tsuen_identity.domain.sessions import RefreshToken
from tsuen_identity.domain.throttle import ThrottleState


@dataclass(frozen=True)
class StoredAccount:
    account: Account
    password_hash: str | None


@dataclass(frozen=True)
class StoredLink:
    account_id: uuid.UUID
    link: OneTimeLink


@dataclass(frozen=True)
class StoredRefresh:
    account_id: uuid.UUID
    token: RefreshToken


@dataclass(frozen=True)
class ChildLink:
    child_id: uuid.UUID
    certification_id: uuid.UUID
    municipality: str


def _account(row: Any) -> StoredAccount:
    return StoredAccount(
        Account(
            id=row.id,
            role=Role(row.role),
            municipality=row.municipality,
            email=row.email,
            facility_id=row.facility_id,
            token_generation=row.token_generation,
            disabled=row.disabled_at is not None,
        ),
        row.password_hash,
    )


async def account_by_id(
    session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
) -> StoredAccount | None:
    query = sa.select(accounts).where(accounts.c.id == account_id)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    return _account(row) if row else None


async def account_by_email(session: AsyncSession, email: str) -> StoredAccount | None:
    row = (await session.execute(sa.select(accounts).where(accounts.c.email == email))).first()
    return _account(row) if row else None


async def insert_account(session: AsyncSession, account: Account) -> bool:
    """Insert; False if the id or the e-mail address is taken (nothing written then)."""
    statement = (
        pg_insert(accounts)
        .values(
            id=account.id,
            municipality=account.municipality,
            role=str(account.role),
            email=account.email,
            facility_id=account.facility_id,
        )
        .on_conflict_do_nothing()
        .returning(accounts.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def add_child(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    child_id: uuid.UUID,
    certification_id: uuid.UUID,
    municipality: str,
) -> None:
    await session.execute(
        pg_insert(guardian_children)
        .values(
            account_id=account_id,
            child_id=child_id,
            certification_id=certification_id,
            municipality=municipality,
        )
        .on_conflict_do_update(
            # The child's newest certification (a move keeps the child's id, issue 17.3).
            index_elements=[guardian_children.c.account_id, guardian_children.c.child_id],
            set_={"certification_id": certification_id, "municipality": municipality},
        )
    )


async def children(session: AsyncSession, account_id: uuid.UUID) -> list[ChildLink]:
    rows = await session.execute(
        sa.select(
            guardian_children.c.child_id,
            guardian_children.c.certification_id,
            guardian_children.c.municipality,
        )
        .where(guardian_children.c.account_id == account_id)
        .order_by(guardian_children.c.created_at)
    )
    return [ChildLink(r.child_id, r.certification_id, r.municipality) for r in rows]


async def set_email(session: AsyncSession, account_id: uuid.UUID, email: str) -> None:
    await session.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(email=email, updated_at=sa.func.now())
    )


async def set_municipality(session: AsyncSession, account_id: uuid.UUID, municipality: str) -> None:
    await session.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(municipality=municipality, updated_at=sa.func.now())
    )


async def set_password(
    session: AsyncSession, account_id: uuid.UUID, password_hash: str, now: datetime
) -> None:
    await session.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(password_hash=password_hash, password_changed_at=now, updated_at=sa.func.now())
    )


async def bump_generation(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(token_generation=accounts.c.token_generation + 1, updated_at=sa.func.now())
    )


# --- one-time links -------------------------------------------------------------------------


async def insert_link(
    session: AsyncSession,
    token_digest: str,
    *,
    account_id: uuid.UUID,
    municipality: str,
    link: OneTimeLink,
) -> None:
    await session.execute(
        sa.insert(one_time_links).values(
            token_digest=token_digest,
            account_id=account_id,
            municipality=municipality,
            purpose=str(link.purpose),
            created_at=link.created_at,
            expires_at=link.expires_at,
        )
    )


async def link_for_update(session: AsyncSession, token_digest: str) -> StoredLink | None:
    row = (
        await session.execute(
            sa.select(one_time_links)
            .where(one_time_links.c.token_digest == token_digest)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    return StoredLink(
        row.account_id,
        OneTimeLink(
            LinkPurpose(row.purpose),
            created_at=row.created_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
        ),
    )


async def use_open_links(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    """Mark every unused link of the account used: one password set ends them all."""
    await session.execute(
        sa.update(one_time_links)
        .where(one_time_links.c.account_id == account_id, one_time_links.c.used_at.is_(None))
        .values(used_at=now)
    )


# --- refresh tokens -------------------------------------------------------------------------


async def insert_refresh(
    session: AsyncSession,
    token_digest: str,
    *,
    account: Account,
    now: datetime,
    expires_at: datetime,
) -> None:
    await session.execute(
        sa.insert(refresh_tokens).values(
            token_digest=token_digest,
            account_id=account.id,
            municipality=account.municipality,
            generation=account.token_generation,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def refresh_for_update(session: AsyncSession, token_digest: str) -> StoredRefresh | None:
    row = (
        await session.execute(
            sa.select(refresh_tokens)
            .where(refresh_tokens.c.token_digest == token_digest)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    return StoredRefresh(
        row.account_id,
        RefreshToken(
            generation=row.generation,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            rotated_at=row.rotated_at,
        ),
    )


async def mark_rotated(session: AsyncSession, token_digest: str, now: datetime) -> None:
    await session.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.token_digest == token_digest)
        .values(rotated_at=now)
    )


async def revoke_refresh(session: AsyncSession, token_digest: str, now: datetime) -> None:
    await session.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.token_digest == token_digest, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_refresh(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.account_id == account_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- throttles ------------------------------------------------------------------------------


async def throttle(session: AsyncSession, key: str, *, for_update: bool = False) -> ThrottleState:
    """The key's state; ``for_update`` locks its row (made if missing) until the transaction
    ends, so two concurrent failures both count."""
    query = sa.select(throttles).where(throttles.c.key == key)
    if for_update:
        await session.execute(
            pg_insert(throttles).values(key=key, count=0).on_conflict_do_nothing()
        )
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        return ThrottleState()
    return ThrottleState(row._mapping["count"], row.window_started_at, row.blocked_until)


async def save_throttle(session: AsyncSession, key: str, state: ThrottleState) -> None:
    values = {
        "count": state.count,
        "window_started_at": state.window_started_at,
        "blocked_until": state.blocked_until,
    }
    await session.execute(
        pg_insert(throttles)
        .values(key=key, **values)
        .on_conflict_do_update(index_elements=[throttles.c.key], set_=values)
    )


async def clear_throttle(session: AsyncSession, key: str) -> None:
    await session.execute(sa.delete(throttles).where(throttles.c.key == key))


# --- housekeeping ---------------------------------------------------------------------------


async def purge(session: AsyncSession, *, before: datetime, now: datetime) -> dict[str, int]:
    """Delete what can never matter again: links and refresh tokens expired (or used, revoked,
    rotated) before ``before``, and throttle rows whose window and block are both over."""
    links = await session.execute(
        sa.delete(one_time_links).where(
            sa.or_(one_time_links.c.expires_at < before, one_time_links.c.used_at < before)
        )
    )
    tokens = await session.execute(
        sa.delete(refresh_tokens).where(
            sa.or_(
                refresh_tokens.c.expires_at < before,
                refresh_tokens.c.revoked_at < before,
                refresh_tokens.c.rotated_at < before,
            )
        )
    )
    counters = await session.execute(
        sa.delete(throttles).where(
            sa.or_(throttles.c.window_started_at.is_(None), throttles.c.window_started_at < before),
            sa.or_(throttles.c.blocked_until.is_(None), throttles.c.blocked_until < now),
        )
    )
    return {
        "links": links.rowcount,  # type: ignore[attr-defined]
        "refresh_tokens": tokens.rowcount,  # type: ignore[attr-defined]
        "throttles": counters.rowcount,  # type: ignore[attr-defined]
    }
